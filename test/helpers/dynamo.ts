import { randomBytes } from 'node:crypto';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../lambdas/adapters/dynamodb-client';
import { DynamoDbEventStore } from '../../lambdas/adapters/dynamodb-event-store';
import { DynamoDbMessageStore } from '../../lambdas/adapters/dynamodb-message-store';
import { DynamoDbTenantStore } from '../../lambdas/adapters/dynamodb-tenant-store';
import {
  createTables,
  type EmbeddedDynamoDb,
  startEmbeddedDynamoDb,
} from '../../lambdas/adapters/local/embedded-dynamodb';

export interface TableNames {
  tenantsTable: string;
  eventsTable: string;
}

/** The three DynamoDB stores on one pair of tables, plus raw access for assertions on the stored items. */
export interface TestStores {
  tables: TableNames;
  tenants: DynamoDbTenantStore;
  events: DynamoDbEventStore;
  messages: DynamoDbMessageStore;
  /** The item exactly as DynamoDB holds it (attribute names of the table layout, binary as Uint8Array). */
  rawItem(table: string, pk: string, sk: string): Promise<Record<string, unknown> | undefined>;
  /** Every item of a table (small test tables only). */
  scan(table: string): Promise<Record<string, unknown>[]>;
  /** The items of one partition of an index, as the index holds them (its projection only). */
  indexItems(
    table: string,
    index: { indexName: string; partitionKey: { name: string } },
    partition: string,
  ): Promise<Record<string, unknown>[]>;
}

export interface TestDynamo {
  db: EmbeddedDynamoDb;
  /** Document client built like the app's (`createDocumentClient`), pointed at the embedded engine. */
  doc: DynamoDBDocumentClient;
  endpoint: string;
  /** Creates a fresh pair of uniquely named tables (same schema as the stack) and stores on them. */
  createStores(label?: string): Promise<TestStores>;
  close(): Promise<void>;
}

/** Table names no other test file (nor another test in this file) will use. */
export function uniqueTableNames(label = 'test'): TableNames {
  const suffix = `${label.replace(/[^A-Za-z0-9_.-]/g, '-')}-${process.pid}-${randomBytes(4).toString('hex')}`;
  return { tenantsTable: `tenants-${suffix}`, eventsTable: `events-${suffix}` };
}

/**
 * dynalite in memory on a loopback port, spoken to by the real AWS SDK (the app's document client settings).
 * One engine per test file; `createStores()` gives each test its own tables.
 */
export async function startTestDynamo(): Promise<TestDynamo> {
  const db = await startEmbeddedDynamoDb();
  const doc = createDocumentClient({
    endpoint: db.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const created: string[] = [];
  return {
    db,
    doc,
    endpoint: db.endpoint,
    async createStores(label = 'test') {
      const tables = uniqueTableNames(label);
      await createTables(db.client, tables);
      created.push(tables.tenantsTable, tables.eventsTable);
      return {
        tables,
        tenants: new DynamoDbTenantStore(doc, tables.tenantsTable),
        events: new DynamoDbEventStore(doc, tables.eventsTable, 90),
        messages: new DynamoDbMessageStore(doc, tables.eventsTable),
        async rawItem(table, pk, sk) {
          const out = await doc.send(new GetCommand({ TableName: table, Key: { pk, sk }, ConsistentRead: true }));
          return out.Item;
        },
        async scan(table) {
          const items: Record<string, unknown>[] = [];
          let start: Record<string, unknown> | undefined;
          do {
            const out = await doc.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
            items.push(...(out.Items ?? []));
            start = out.LastEvaluatedKey;
          } while (start);
          return items;
        },
        async indexItems(table, index, partition) {
          const out = await doc.send(
            new QueryCommand({
              TableName: table,
              IndexName: index.indexName,
              KeyConditionExpression: '#p = :p',
              ExpressionAttributeNames: { '#p': index.partitionKey.name },
              ExpressionAttributeValues: { ':p': partition },
            }),
          );
          return out.Items ?? [];
        },
      };
    },
    async close() {
      for (const table of created.splice(0)) {
        await db.client.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
      }
      doc.destroy();
      await db.close();
    },
  };
}
