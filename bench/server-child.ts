/**
 * One server under test per process, started by bench/run.ts as `node --import tsx bench/server-child.ts`
 * (the same process model as `npm start`, which runs under tsx too):
 *
 *   receiver         startLocalReceiver: node:http → API Gateway v2 events → the real handlers, embedded DynamoDB
 *                    (dynalite) in this process, the local queue and worker, Twilio SDK → the fake Twilio
 *   storage          node:http that does nothing but one conditional PutItem of the body (attribute_not_exists)
 *                    into the same embedded engine, same tables, through the same SDK document client
 *   storage-event-item  the same put, but of an item shaped like a stored event (every attribute the event store
 *                    writes, including the keys of the events table's two GSIs, which dynalite then maintains):
 *                    separates the cost of the item from the cost of the code around it (a diagnostic)
 *   storage-read-put the put preceded by one GetItem of another key, as ingest reads the previous dedup window
 *                    for an event without a commandId: the storage floor of that design (a diagnostic)
 *   bare             node:http answering 200 with a fixed JSON body: the ceiling of HTTP on this machine
 *
 * All three answer `{"status":"accepted","eventId":…}` so the load generator does the same work for each.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { Session } from 'node:inspector';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serveRpc } from './ipc';

export type ServerMode = 'receiver' | 'storage' | 'storage-event-item' | 'storage-read-put' | 'bare';

export interface StartArgs {
  mode: ServerMode;
  /** Receiver: the environment it reads its settings from (TWILIO_API_BASE_URL, LOCAL_WORKER_CONCURRENCY…). */
  env?: Record<string, string>;
}

/** Log lines the receiver wrote over a stretch of the run (bench/cost.ts prices them). */
export interface LogUsage {
  lines: number;
  /** Bytes of the lines as the local log file holds them, without the newline. */
  bytes: number;
  byMessage: Record<string, number>;
}

export interface VerifyResult {
  stored: number;
  missing: number;
  missingSample: string[];
}

interface Running {
  url: string;
  /** Event ids found in the events table (Scan). */
  storedIds(): Promise<Set<string>>;
  stats(): unknown;
  close(): Promise<void>;
}

const dataDir = path.join(tmpdir(), `fhr-bench-${process.pid}-${Date.now()}`);
/** The receiver appends every line it logs here, as `npm start` does (lambdas/adapters/local/file-log.ts). */
const serverLog = path.join(dataDir, 'server.log');
let running: Running | undefined;
let profiler: Session | undefined;

function post(session: Session, method: string, params?: object): Promise<unknown> {
  return new Promise((resolve, reject) =>
    session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
  );
}

serveRpc({
  async start(args) {
    const { mode, env } = args as StartArgs;
    mkdirSync(dataDir, { recursive: true });
    running =
      mode === 'receiver'
        ? await startReceiver(env ?? {})
        : mode === 'bare'
          ? await startBare()
          : await startStorage(mode === 'storage-event-item', mode === 'storage-read-put');
    return { url: running.url, pid: process.pid };
  },
  /** Zero loss: every acknowledged event id must be in the events table. */
  async verify(args): Promise<VerifyResult> {
    const { eventIds } = args as { eventIds: string[] };
    const stored = await running!.storedIds();
    const missing = eventIds.filter((id) => !stored.has(id));
    return { stored: stored.size, missing: missing.length, missingSample: missing.slice(0, 5) };
  },
  stats() {
    return running?.stats();
  },
  /** The AWS SDK requests counted so far (COUNT_AWS_REQUESTS=1 in the receiver's env), else {}. */
  async counts() {
    const { requestCounterFromEnv } = await import('../lambdas/adapters/request-counter');
    return requestCounterFromEnv()?.snapshot() ?? {};
  },
  /** Bytes of the receiver's log file so far (DATA_DIR/server.log): where logUsage counts from. */
  logSize() {
    return existsSync(serverLog) ? statSync(serverLog).size : 0;
  },
  /** The application lines the receiver logged after byte `from`: how many, their bytes, how many of each message. */
  logUsage(args): LogUsage {
    const { from } = args as { from: number };
    const usage: LogUsage = { lines: 0, bytes: 0, byMessage: {} };
    if (!existsSync(serverLog)) return usage;
    const text = readFileSync(serverLog).subarray(from).toString('utf8');
    for (const line of text.split('\n')) {
      if (!line) continue;
      usage.lines += 1;
      usage.bytes += Buffer.byteLength(line);
      const message = String((JSON.parse(line) as { message?: unknown }).message ?? '');
      usage.byMessage[message] = (usage.byMessage[message] ?? 0) + 1;
    }
    return usage;
  },
  /** A CPU profile of this process between the two calls (bench/profile.ts): the load alone, not the start-up. */
  async profileStart(args) {
    const { intervalUs } = (args ?? {}) as { intervalUs?: number };
    profiler = new Session();
    profiler.connect();
    await post(profiler, 'Profiler.enable');
    if (intervalUs) await post(profiler, 'Profiler.setSamplingInterval', { interval: intervalUs });
    await post(profiler, 'Profiler.start');
    return true;
  },
  async profileStop() {
    if (!profiler) throw new Error('profileStart was not called');
    const { profile } = (await post(profiler, 'Profiler.stop')) as { profile: unknown };
    profiler.disconnect();
    profiler = undefined;
    return profile;
  },
  async stop() {
    await running?.close();
    rmSync(dataDir, { recursive: true, force: true });
    return true;
  },
});

async function startReceiver(env: Record<string, string>): Promise<Running> {
  Object.assign(process.env, env);
  const { startLocalReceiver } = await import('../lambdas/wiring/local-receiver');
  // As `npm start` runs it (its default logger, LOG_LEVEL, auth cache and sweep interval), on a free loopback port.
  const receiver = await startLocalReceiver({ port: 0, host: '127.0.0.1', dataDir });
  const table = receiver.settings.eventsTable;
  return {
    url: receiver.url,
    storedIds: () => scanEventIds(receiver.db.client, table),
    stats: () => receiver.queue.stats(),
    close: () => receiver.close(),
  };
}

async function startStorage(eventShaped: boolean, readFirst = false): Promise<Running> {
  const { startEmbeddedDynamoDb, createTables } = await import('../lambdas/adapters/local/embedded-dynamodb');
  const { createLocalDocumentClient } = await import('../lambdas/wiring/stores');
  const { readSettings } = await import('../lambdas/core/settings');
  const { GetCommand, PutCommand } = await import('@aws-sdk/lib-dynamodb');
  const keys = await import('../lambdas/adapters/table-schema');
  const settings = readSettings({});
  const db = await startEmbeddedDynamoDb({ path: path.join(dataDir, 'dynamodb') });
  await createTables(db.client, settings);
  // The local server's document client, built the same way (in-process handler to the engine).
  const doc = createLocalDocumentClient(db.endpoint, db.requestHandler);
  const table = settings.eventsTable;
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const eventId = createHash('sha256').update(body).digest('base64url').slice(0, 22);
      const item: Record<string, unknown> = {
        pk: keys.eventPk('bench', eventId),
        sk: keys.EVENT_SK,
        rawBody: body.toString('utf8'),
      };
      if (eventShaped) Object.assign(item, eventShape(eventId, item.rawBody as string, keys));
      let status = 'accepted';
      if (readFirst) {
        await doc.send(
          new GetCommand({
            TableName: table,
            Key: { pk: keys.eventPk('bench', `prev-${eventId}`), sk: keys.EVENT_SK },
          }),
        );
      }
      try {
        await doc.send(
          new PutCommand({ TableName: table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
        );
      } catch (error) {
        if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
        status = 'duplicate';
      }
      const text = JSON.stringify({ status, eventId });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    })().catch((error: unknown) => {
      res.writeHead(500);
      res.end(String(error));
    });
  });
  const url = await listen(server);
  return {
    url,
    storedIds: () => scanEventIds(db.client, table),
    stats: () => ({}),
    close: async () => {
      await closeServer(server);
      await db.close();
    },
  };
}

/** The attributes DynamoDbEventStore.putIfAbsent writes for a client-create event (values typical, not parsed). */
function eventShape(
  eventId: string,
  rawBody: string,
  keys: typeof import('../lambdas/adapters/table-schema'),
): Record<string, unknown> {
  const now = new Date().toISOString();
  return {
    gsi1pk: keys.tenantTimePk('bench', eventId),
    gsi1sk: keys.tenantTimeSk(now, eventId),
    clientId: '42',
    tenantId: 'bench',
    eventId,
    dedupKey: `bench|CLIENT|CREATE|body:${createHash('sha256').update(rawBody).digest('hex')}`,
    entity: 'CLIENT',
    action: 'CREATE',
    entityRaw: 'CLIENT',
    actionRaw: 'CREATE',
    source: 'fineract',
    template: 'sms-bridge',
    shape: 'envelope',
    encoding: 'json',
    failed: false,
    ids: { clientId: 42, resourceId: 42, officeId: 1 },
    contentType: 'application/json; charset=UTF-8',
    receivedAt: now,
    updatedAt: now,
    status: 'received',
    attempts: 0,
    dueAt: now,
    duePk: keys.duePk(eventId),
  };
}

async function startBare(): Promise<Running> {
  const text = JSON.stringify({ status: 'accepted', eventId: 'AAAAAAAAAAAAAAAAAAAAAA' });
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
  });
  const url = await listen(server);
  return { url, storedIds: async () => new Set(), stats: () => ({}), close: () => closeServer(server) };
}

async function scanEventIds(
  client: import('@aws-sdk/client-dynamodb').DynamoDBClient,
  table: string,
): Promise<Set<string>> {
  const { ScanCommand } = await import('@aws-sdk/client-dynamodb');
  const ids = new Set<string>();
  let start: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue> | undefined;
  do {
    const out = await client.send(
      new ScanCommand({
        TableName: table,
        ProjectionExpression: 'pk, sk, eventId',
        ExclusiveStartKey: start,
        ConsistentRead: true,
      }),
    );
    for (const item of out.Items ?? []) {
      if (item.sk?.S !== 'EVENT') continue;
      // The storage-bound server's bare items have no eventId: it is the end of `T#{tenant}#E#{eventId}`.
      const pk = item.pk?.S ?? '';
      ids.add(item.eventId?.S ?? pk.slice(pk.indexOf('#E#') + 3));
    }
    start = out.LastEvaluatedKey;
  } while (start);
  return ids;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
