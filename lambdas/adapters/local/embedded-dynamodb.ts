import { EventEmitter } from 'node:events';
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
  /**
   * An SDK request handler that gives each request to the engine's own listener in this process: the same API,
   * signing and (de)serialisation, without a loopback socket and HTTP parsing on both sides. The endpoint stays
   * open for other processes (`npm run cli` on the same DATA_DIR).
   */
  requestHandler: InProcessRequestHandler;
  close(): Promise<void>;
}

/** The part of the SDK's HttpRequest the engine reads. */
interface SdkRequest {
  method: string;
  path: string;
  query?: Record<string, string | string[] | null>;
  headers: Record<string, string>;
  body?: unknown;
}

type EngineListener = (req: EventEmitter, res: EngineResponse) => void;

/** What dynalite's listener calls on a response (statusCode, setHeader, end). */
interface EngineResponse {
  statusCode: number;
  contentType?: string;
  setHeader(name: string, value: string | number): void;
  end(body?: string | Buffer): void;
}

export interface InProcessRequestHandler {
  handle(
    request: SdkRequest,
  ): Promise<{ response: { statusCode: number; headers: Record<string, string>; body: Uint8Array } }>;
  updateHttpClientConfig(): void;
  httpHandlerConfigs(): Record<string, never>;
  destroy(): void;
}

export function inProcessRequestHandler(listener: EngineListener): InProcessRequestHandler {
  return {
    handle: (request) =>
      new Promise((resolve) => {
        const req = Object.assign(new EventEmitter(), {
          method: request.method,
          url: request.path + queryString(request.query),
          headers: lowerCaseKeys(request.headers),
        });
        const headers: Record<string, string> = {};
        const res: EngineResponse = {
          statusCode: 200,
          setHeader(name, value) {
            headers[name.toLowerCase()] = String(value);
          },
          end(body) {
            const bytes = body === undefined ? new Uint8Array() : typeof body === 'string' ? Buffer.from(body) : body;
            resolve({ response: { statusCode: res.statusCode, headers, body: bytes } });
          },
        };
        listener(req, res);
        // The listener subscribes to 'data' and 'end' synchronously; the body follows, as from a socket.
        const bytes = bodyBytes(request.body);
        if (bytes.length > 0) req.emit('data', bytes);
        req.emit('end');
      }),
    updateHttpClientConfig: () => {},
    httpHandlerConfigs: () => ({}),
    destroy: () => {},
  };
}

/** The SDK's JSON body is a string or a Uint8Array view (read as bytes: its string methods warn). */
function bodyBytes(body: unknown): Buffer {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return Buffer.alloc(0);
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = v;
  return out;
}

function queryString(query: SdkRequest['query']): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    for (const value of Array.isArray(v) ? v : [v]) params.append(k, value ?? '');
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

export async function startEmbeddedDynamoDb(options: { path?: string } = {}): Promise<EmbeddedDynamoDb> {
  const server = dynalite({ path: options.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const requestHandler = inProcessRequestHandler(server.listeners('request')[0] as EngineListener);
  const client = new DynamoDBClient({
    endpoint,
    region: process.env.AWS_REGION ?? 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    requestHandler,
  });
  return {
    endpoint,
    client,
    requestHandler,
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
