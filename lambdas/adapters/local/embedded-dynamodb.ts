import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { EVENTS_TABLE, type KeyAttribute, keyAttributes, type TableSchema, TENANTS_TABLE } from '../table-schema';

/**
 * DynamoDB on loopback for `npm start`, the tests and the benchmarks: dynalite speaks the real DynamoDB API to the
 * real SDK, in process, from a LevelDB directory (or memory). It has no transactions and no UpdateTimeToLive,
 * which is why the stores use conditional single-item writes only.
 */
export interface EmbeddedDynamoDb {
  endpoint: string;
  client: DynamoDBClient;
  close(): Promise<void>;
}

export async function startEmbeddedDynamoDb(options: { path?: string } = {}): Promise<EmbeddedDynamoDb> {
  const server = dynalite({ path: options.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: process.env.AWS_REGION ?? 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return {
    endpoint,
    client,
    close: () =>
      new Promise<void>((resolve) => {
        client.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Both tables as the CDK stack declares them (table-schema.ts). TTL is left out: dynalite has no
 * UpdateTimeToLive, and locally nothing needs expiring items to disappear.
 */
export async function createTables(
  client: DynamoDBClient,
  names: { tenantsTable: string; eventsTable: string },
): Promise<void> {
  await createIfMissing(client, createTableCommand(names.tenantsTable, TENANTS_TABLE));
  await createIfMissing(client, createTableCommand(names.eventsTable, EVENTS_TABLE));
}

function createTableCommand(tableName: string, table: TableSchema): CreateTableCommand {
  const keySchema = (partitionKey: KeyAttribute, sortKey: KeyAttribute): KeySchemaElement[] => [
    { AttributeName: partitionKey.name, KeyType: 'HASH' },
    { AttributeName: sortKey.name, KeyType: 'RANGE' },
  ];
  const indexes: GlobalSecondaryIndex[] = table.indexes.map((index) => ({
    IndexName: index.indexName,
    KeySchema: keySchema(index.partitionKey, index.sortKey),
    Projection: {
      ProjectionType: index.projection.type,
      NonKeyAttributes: index.projection.type === 'INCLUDE' ? [...index.projection.attributes] : undefined,
    },
  }));
  return new CreateTableCommand({
    TableName: tableName,
    AttributeDefinitions: keyAttributes(table).map((a) => ({ AttributeName: a.name, AttributeType: a.type })),
    KeySchema: keySchema(table.partitionKey, table.sortKey),
    BillingMode: 'PAY_PER_REQUEST',
    GlobalSecondaryIndexes: indexes.length > 0 ? indexes : undefined,
  });
}

async function createIfMissing(client: DynamoDBClient, command: CreateTableCommand): Promise<void> {
  try {
    await client.send(command);
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitUntilActive(client, command.input.TableName!);
}

/**
 * dynalite answers CreateTable with CREATING and flips the table to ACTIVE a moment later; until then every read
 * fails with ResourceNotFoundException (the startup sweep did, under load). Wait for ACTIVE, briefly.
 */
async function waitUntilActive(client: DynamoDBClient, tableName: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const indexes = Table?.GlobalSecondaryIndexes ?? [];
    if (Table?.TableStatus === 'ACTIVE' && indexes.every((i) => i.IndexStatus === 'ACTIVE')) return;
    if (Date.now() > deadline) throw new Error(`table ${tableName} did not become ACTIVE`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
