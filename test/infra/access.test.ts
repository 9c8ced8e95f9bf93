import { EVENT_STORE, FUNCTION_USES, tableUses } from '../../lib/access';
import { tableStatements } from '../../lib/hook-function';

const table = {
  tableName: 'events',
  tableArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/events',
  indexNames: ['byDueV2'],
};

describe('table grants from port uses', () => {
  test('item actions go on the table, a query of an index on that index only', () => {
    // Act
    const statements = tableStatements(table, [EVENT_STORE.update, EVENT_STORE.listDue, EVENT_STORE.get].flat());
    // Assess
    expect(statements.map((s) => s.toStatementJson())).toEqual([
      { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], Resource: table.tableArn },
      { Effect: 'Allow', Action: 'dynamodb:Query', Resource: `${table.tableArn}/index/byDueV2` },
    ]);
  });

  test('a use naming an index the table does not have stops the synth', () => {
    // Act
    const act = () => tableStatements(table, [EVENT_STORE.listByTenant].flat());
    // Assess
    expect(act).toThrow(/no index "byTenantTimeV2"/);
  });

  test('a tenant listing queries its index and reads the page from the table in one BatchGetItem', () => {
    // Prepare
    const indexed = { ...table, indexNames: ['byTenantTimeV2'] };
    // Act
    const statements = tableStatements(indexed, [EVENT_STORE.listByTenant].flat());
    // Assess
    expect(statements.map((s) => s.toStatementJson())).toEqual([
      { Effect: 'Allow', Action: 'dynamodb:Query', Resource: `${table.tableArn}/index/byTenantTimeV2` },
      { Effect: 'Allow', Action: 'dynamodb:BatchGetItem', Resource: table.tableArn },
    ]);
  });

  test('twilio-status touches no tenants, ingest writes no tenants', () => {
    // Act
    const status = tableUses(FUNCTION_USES.twilioStatus);
    const ingest = tableUses(FUNCTION_USES.ingest);
    // Assess
    expect(status.tenants).toEqual([]);
    // Two reads (the key; the enrollment's root Web hook allow-list), no write.
    expect([...new Set(ingest.tenants.flatMap((use) => use.actions))]).toEqual(['GetItem']);
  });
});
