import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { EVENTS_TABLE, keyAttributes, type TableSchema, TENANTS_TABLE } from '../../lambdas/adapters/table-schema';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamo';

let dynamo: TestDynamo;

beforeAll(async () => {
  dynamo = await startTestDynamo();
});

afterAll(async () => {
  await dynamo.close();
});

/** The shape DescribeTable reports, in the schema module's vocabulary, so both sides compare as plain data. */
function expectedShape(table: TableSchema) {
  return {
    attributes: keyAttributes(table)
      .map((a) => `${a.name}:${a.type}`)
      .sort(),
    key: [table.partitionKey.name, table.sortKey.name],
    indexes: table.indexes
      .map((i) => {
        const included = i.projection.type === 'INCLUDE' ? `[${[...i.projection.attributes].sort().join(',')}]` : '';
        return `${i.indexName}(${i.partitionKey.name},${i.sortKey.name})${i.projection.type}${included}`;
      })
      .sort(),
  };
}

async function describedShape(tableName: string) {
  const { Table } = await dynamo.db.client.send(new DescribeTableCommand({ TableName: tableName }));
  return {
    attributes: (Table?.AttributeDefinitions ?? []).map((a) => `${a.AttributeName}:${a.AttributeType}`).sort(),
    key: (Table?.KeySchema ?? []).map((k) => k.AttributeName),
    indexes: (Table?.GlobalSecondaryIndexes ?? [])
      .map((i) => {
        const keys = (i.KeySchema ?? []).map((k) => k.AttributeName).join(',');
        const nonKey = i.Projection?.NonKeyAttributes;
        const included = nonKey ? `[${[...nonKey].sort().join(',')}]` : '';
        return `${i.IndexName}(${keys})${i.Projection?.ProjectionType}${included}`;
      })
      .sort(),
  };
}

describe('the embedded engine creates the tables table-schema.ts describes', () => {
  it('builds the tenants and events tables with the schema keys and indexes', async () => {
    // Prepare
    const stores = await dynamo.createStores('schema');

    // Act
    const tenants = await describedShape(stores.tables.tenantsTable);
    const events = await describedShape(stores.tables.eventsTable);

    // Assess
    expect(tenants).toEqual(expectedShape(TENANTS_TABLE));
    expect(events).toEqual(expectedShape(EVENTS_TABLE));
    expect(events.indexes).toEqual([
      'byDueV2(duePk,dueAt)INCLUDE[eventId,tenantId]',
      'byPhone(phonePk,createdAt)KEYS_ONLY',
      'byTenantTimeV2(gsi1pk,gsi1sk)INCLUDE[action,clientId,commandId,entity,eventId,loanId,receivedAt,savingsId,tenantId]',
    ]);
  });
});
