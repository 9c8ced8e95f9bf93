/**
 * The local composition root (`npm start`, the e2e suites, the benchmarks): the same handlers as in AWS, each made
 * with `makeHandler` over ports built here — the embedded DynamoDB engine, a local queue and worker, file secrets,
 * and Twilio or the dry-run outbox — behind a node:http adapter, with the sweeper on a timer.
 */
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CachedTargetStore } from '../adapters/cached-target-store';
import { CachedTenantStore } from '../adapters/cached-tenant-store';
import { DataProtection } from '../adapters/data-protection';
import { DynamoDbEventStore } from '../adapters/dynamodb-event-store';
import { fileDataKeySource } from '../adapters/local/file-data-key';
import { LocalQueue } from '../adapters/local/local-queue';
import { FileSecretStore } from '../adapters/local/file-secret-store';
import { JsonlEventBus } from '../adapters/local/jsonl-event-bus';
import { createTables, type EmbeddedDynamoDb, startEmbeddedDynamoDb } from '../adapters/local/embedded-dynamodb';
import { createLocalHttpServer, type HttpLambda, type RequestTracker } from '../adapters/local/local-http';
import { LocalWorkerRunner } from '../adapters/local/local-worker-runner';
import { fileTeeLogger, SERVER_LOG_FILE } from '../adapters/local/file-log';
import { createLogger, loggerPort, noMetrics } from '../adapters/observability';
import { OutboxSmsSender } from '../adapters/local/outbox-sms-sender';
import type { WorkBatchDeps } from '../adapters/sqs-batch-handler';
import { TwilioSignatureVerifier } from '../adapters/twilio-signature-verifier';
import { makeHandler as makeAdminHandler } from '../admin/handler';
import type { AdminFunctionDeps } from '../core/console-api';
import { directoryConsoleAssets } from '../adapters/console-assets';
import { Authenticator } from '../core/api-keys';
import { systemClock } from '../core/clock';
import { describeError } from '../core/http';
import type { IngestDeps } from '../core/ingest';
import { maskPhone } from '../core/redaction';
import type {
  ConsoleAssets,
  ConsoleSessionStore,
  EventBusPublisher,
  FineractClient,
  Logger,
  SignatureVerifier,
  SmsSender,
  UrlPolicy,
  WebhookSender,
} from '../core/ports';
import type { RegisterDeps } from '../core/registration';
import { readSettings, type Settings } from '../core/settings';
import type { StatusCallbackDeps } from '../core/status-callback';
import { redispatch, type SweepResult, type SweeperDeps, sweep } from '../core/sweeper';
import { makeHandler as makeIngestHandler } from '../ingest/handler';
import { makeHandler as makeRegisterHandler } from '../register/handler';
import { makeHandler as makeStatusHandler } from '../twilio-status/handler';
import { makeHandler as makeWorkerHandler } from '../worker/handler';
import { timedFineractClient } from '../core/timed-fineract';
import {
  createAfricasTalkingSender,
  createAwsSmsSender,
  createFineractClient,
  createHttpForwarder,
  createTwilioSender,
  createUrlPolicy,
} from './outbound';
import { routeByProvider } from '../core/sms-providers';
import {
  createConsoleSessionStore,
  createForwardStores,
  createLocalDocumentClient,
  createStores,
  type ForwardStores,
  type Stores,
} from './stores';

export interface LocalReceiverOptions {
  port?: number;
  host?: string;
  /** Where tenants, events, secrets and the outbox live; undefined keeps everything in memory (tests). */
  dataDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Replaces the SMS sender (tests); otherwise Twilio (TWILIO_API_BASE_URL) or the dry-run outbox. */
  sms?: SmsSender;
  logger?: Logger;
  sweepIntervalSeconds?: number;
}

/** Every function's deps. The handlers read them on each call, so a test may swap a port of a running receiver. */
export interface LocalDepsBundle {
  ingest: IngestDeps;
  register: RegisterDeps;
  admin: AdminFunctionDeps;
  worker: WorkBatchDeps;
  twilioStatus: StatusCallbackDeps;
  sweeper: SweeperDeps;
}

export interface LocalReceiver {
  url: string;
  port: number;
  /** The address it listens on, and whether that is this machine only. */
  host: string;
  loopbackOnly: boolean;
  settings: Settings;
  deps: LocalDepsBundle;
  queue: LocalQueue;
  db: EmbeddedDynamoDb;
  smsMode: string;
  /** Runs one sweep now (the scheduled one runs every `sweepIntervalSeconds`). */
  sweep(): Promise<SweepResult>;
  close(): Promise<void>;
}

/** Where `npm start` listens unless HOST says otherwise: this machine only. */
export const DEFAULT_LOCAL_HOST = '127.0.0.1';

/** Whether a listen address is reachable from this machine only (a name other than localhost counts as not). */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1' || bare === '::ffff:127.0.0.1';
}

/**
 * Local defaults (README "Configuration"): on loopback anyone may register and callbacks may reach private
 * addresses; listening beyond loopback both are off (anyone on the network could otherwise register an internal
 * address and read back what it answers). Without a Twilio base URL messages go to the outbox. Explicit
 * environment values win.
 */
export function localSettings(env: NodeJS.ProcessEnv, publicBaseUrl: string, host = DEFAULT_LOCAL_HOST): Settings {
  const trusted = isLoopbackHost(host) ? 'true' : 'false';
  return readSettings({
    OPEN_ENROLLMENT: trusted,
    ALLOW_PRIVATE_ENDPOINTS: trusted,
    SMS_DRY_RUN: env.TWILIO_API_BASE_URL ? 'false' : 'true',
    SWEEP_GRACE_SECONDS: '30',
    PUBLIC_BASE_URL: publicBaseUrl,
    ...stripEmpty(env),
  });
}

function withLogFile(logger: Logger, dataDir: string | undefined): Logger {
  return dataDir
    ? fileTeeLogger(logger, path.join(dataDir, SERVER_LOG_FILE), { minLevel: process.env.LOG_LEVEL })
    : logger;
}

function stripEmpty(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
}

export async function startLocalReceiver(options: LocalReceiverOptions = {}): Promise<LocalReceiver> {
  const dataDir = options.dataDir ? path.resolve(options.dataDir) : undefined;
  // Tenants, secrets and full phone numbers live here: this user only, also when the directory already existed.
  if (dataDir) {
    mkdirSync(path.join(dataDir, 'dynamodb'), { recursive: true, mode: 0o700 });
    chmodSync(dataDir, 0o700);
    chmodSync(path.join(dataDir, 'dynamodb'), 0o700);
  }
  const context: BootContext = {
    env: options.env ?? process.env,
    host: options.host || DEFAULT_LOCAL_HOST,
    requestedPort: options.port ?? 3000,
    // Also appended to DATA_DIR/server.log, which `logs tail --local` reads.
    logger: withLogFile(options.logger ?? loggerPort(createLogger()), dataDir),
    dataDir,
    options,
  };
  const db = await startEmbeddedDynamoDb({ path: dataDir ? path.join(dataDir, 'dynamodb') : undefined });
  try {
    return await boot(db, context);
  } catch (error) {
    // A failed start (port in use, unreadable data) must not leave the engine running and the process stuck.
    await db.close().catch(() => undefined);
    throw error;
  }
}

interface BootContext {
  env: NodeJS.ProcessEnv;
  host: string;
  requestedPort: number;
  logger: Logger;
  dataDir: string | undefined;
  options: LocalReceiverOptions;
}

/** The ports of one local receiver, built once; the deps bundle is assembled from them (again once the URL is known). */
interface LocalPorts extends Stores, ForwardStores {
  search: DynamoDbEventStore;
  /** DATA_DIR/data-key.json: seals numbers and bodies at rest, keys the phone hashes. */
  protection: DataProtection;
  secrets: FileSecretStore;
  queue: LocalQueue;
  sms: SmsSender;
  smsMode: string;
  fineract: FineractClient;
  urlPolicy: UrlPolicy;
  signatures: SignatureVerifier;
  /** Shared by ingest and register, so a re-registration updates the keys ingest has cached. */
  auth: Authenticator;
  /**
   * The worker's own stores, as in AWS: its document client (counted as `worker:` when the bench counts requests),
   * its tenant config and templates cached (the other functions' writes through `tenantCache.watch` clear it).
   */
  workerStores: Stores & ForwardStores;
  tenantCache: CachedTenantStore;
  webhooks: WebhookSender;
  bus: EventBusPublisher;
  sessions: ConsoleSessionStore;
  consoleAssets: ConsoleAssets;
}

/** Where `npm run build:console` (run by `npm start`) writes the console: the same bytes the stack bundles. */
export const LOCAL_CONSOLE_DIR = path.join(__dirname, '..', '..', 'build', 'console');

async function boot(db: EmbeddedDynamoDb, context: BootContext): Promise<LocalReceiver> {
  const { env, logger, dataDir } = context;
  // The public URL is only known once the port is; settings are completed after listen().
  let settings = localSettings(env, `http://127.0.0.1:${context.requestedPort}`, context.host);
  await createTables(db.client, settings);
  const ports = buildLocalPorts(db, settings, context);
  let bundle = assembleDeps(ports, settings, logger);

  const tracker: RequestTracker = { active: 0 };
  const server = createLocalHttpServer(
    httpHandlers(() => bundle),
    { maxBodyBytes: settings.maxBodyBytes, tracker },
  );
  const port = await listen(server, context.requestedPort, context.host);
  if (port !== context.requestedPort || !env.PUBLIC_BASE_URL) {
    settings = localSettings(env, `http://127.0.0.1:${port}`, context.host);
    bundle = assembleDeps(ports, settings, logger);
  }
  const background = await startBackground(ports.queue, () => bundle, tracker, context);
  // Lets `npm run cli` on the same DATA_DIR talk to this process's DynamoDB instead of opening the locked files.
  const serverFile = dataDir ? path.join(dataDir, 'server.json') : undefined;
  if (serverFile) {
    const record = { pid: process.pid, url: `http://127.0.0.1:${port}`, dynamodbEndpoint: db.endpoint };
    writeFileSync(serverFile, JSON.stringify(record), { mode: 0o600 });
  }

  let closed = false;
  return {
    url: `http://${connectHost(context.host)}:${port}`,
    port,
    host: context.host,
    loopbackOnly: isLoopbackHost(context.host),
    settings,
    get deps() {
      return bundle;
    },
    queue: ports.queue,
    db,
    smsMode: ports.smsMode,
    sweep: background.sweep,
    async close() {
      if (closed) return;
      closed = true;
      background.stopSweeping();
      // Stop accepting, let in-flight requests finish (their events are stored before they answer), then drain.
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await background.drain();
      await db.close();
      if (serverFile) rmSync(serverFile, { force: true });
    },
  };
}

function buildLocalPorts(db: EmbeddedDynamoDb, settings: Settings, context: BootContext): LocalPorts {
  const { env, dataDir } = context;
  const doc = createLocalDocumentClient(db.endpoint, db.requestHandler);
  const secrets = new FileSecretStore({ dataDir: dataDir ?? path.join(tmpdir(), `fhr-${process.pid}-${Date.now()}`) });
  const protection = new DataProtection(fileDataKeySource(path.dirname(secrets.filePath)));
  const stores = createStores(doc, settings, protection);
  const workerDoc = createLocalDocumentClient(db.endpoint, db.requestHandler, 'worker');
  const workerStores = {
    ...createStores(workerDoc, settings, protection),
    ...createForwardStores(workerDoc, settings),
  };
  const tenantCache = new CachedTenantStore(workerStores.tenants, settings.tenantCacheSeconds * 1000);
  // One target cache for the worker and the tenant API, so a target added over HTTP is seen by the next event.
  const targets = new CachedTargetStore(workerStores.targets, settings.tenantCacheSeconds * 1000);
  const queue = new LocalQueue({
    visibilityTimeoutSeconds: Number(env.LOCAL_QUEUE_VISIBILITY_SECONDS ?? 30),
    maxReceiveCount: Number(env.LOCAL_QUEUE_MAX_RECEIVES ?? settings.retryScheduleSeconds.length + 4),
  });
  return {
    ...stores,
    protection,
    ...createForwardStores(doc, settings),
    targets,
    workerStores: { ...workerStores, tenants: tenantCache, targets },
    tenantCache,
    secrets,
    queue,
    ...createLocalSmsSender(settings, context, path.dirname(secrets.filePath)),
    fineract: timedFineractClient(createFineractClient(settings), { clock: systemClock, logger: context.logger }),
    urlPolicy: createUrlPolicy(settings),
    signatures: new TwilioSignatureVerifier(),
    auth: new Authenticator(stores.tenants, systemClock, settings.authCacheSeconds),
    webhooks: createHttpForwarder(settings),
    // No bus locally: EventBridge targets' entries land in DATA_DIR/eventbridge.jsonl.
    bus: new JsonlEventBus(path.dirname(secrets.filePath)),
    sessions: createConsoleSessionStore(doc, settings),
    consoleAssets: directoryConsoleAssets(env.CONSOLE_ASSETS_DIR ?? LOCAL_CONSOLE_DIR),
  };
}

/**
 * A test's sender, else per provider: the real adapter when its base URL is configured (TWILIO_API_BASE_URL,
 * AFRICASTALKING_API_BASE_URL, AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2) or SMS_DRY_RUN is off, else the dry-run
 * outbox file.
 */
function createLocalSmsSender(
  settings: Settings,
  { options, dataDir, logger, env }: BootContext,
  fallbackDir: string,
): { sms: SmsSender; smsMode: string } {
  if (options.sms) return { sms: options.sms, smsMode: 'custom sender' };
  const outbox = new OutboxSmsSender({
    dataDir: dataDir ?? fallbackDir,
    onMessage: (entry) =>
      logger.info('SMS written to the outbox (dry run)', {
        to: maskPhone(entry.to),
        sid: entry.sid,
        chars: entry.body.length,
      }),
  });
  const live = !settings.smsDryRun;
  const twilio = live ? createTwilioSender(settings) : outbox;
  const africastalking = live || settings.africastalkingApiBaseUrl ? createAfricasTalkingSender(settings) : outbox;
  const aws =
    live || settings.smsVoiceEndpoint ? createAwsSmsSender(settings, localSmsVoiceConfig(settings, env)) : outbox;
  const at = (url: string | undefined) => (url ? ` at ${url}` : '');
  const modes = [
    twilio === outbox ? undefined : `Twilio${at(settings.twilioApiBaseUrl)}`,
    africastalking === outbox ? undefined : `Africa's Talking${at(settings.africastalkingApiBaseUrl)}`,
    aws === outbox ? undefined : `AWS SMS${at(settings.smsVoiceEndpoint)}`,
  ].filter(Boolean);
  const dryRun = twilio === outbox || africastalking === outbox || aws === outbox;
  const smsMode = [...modes, ...(dryRun ? [`dry run → ${outbox.file}`] : [])].join('; ');
  return { sms: routeByProvider({ twilio, aws, africastalking }), smsMode };
}

/** Pointed at a loopback fake (or another endpoint), the SDK client needs a region and, without any, placeholder keys. */
function localSmsVoiceConfig(settings: Settings, env: NodeJS.ProcessEnv) {
  if (!settings.smsVoiceEndpoint) return {};
  return {
    endpoint: settings.smsVoiceEndpoint,
    region: env.AWS_REGION || 'us-east-1',
    ...(env.AWS_ACCESS_KEY_ID ? {} : { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  };
}

function assembleDeps(ports: LocalPorts, settings: Settings, logger: Logger): LocalDepsBundle {
  const { events, messages, secrets, queue, sms, fineract, auth, workerStores } = ports;
  // Every function but the worker reads the table as it is; their writes drop what the worker has cached.
  const tenants = ports.tenantCache.watch(ports.tenants);
  const common = { clock: systemClock, logger, metrics: noMetrics, settings };
  return {
    ingest: { ...common, auth, events, queue, enrollments: tenants },
    register: { ...common, tenants, secrets, sms, urlPolicy: ports.urlPolicy, auth },
    // No key cache for admin, as in AWS: a DELETE takes effect at once.
    admin: {
      ...common,
      auth: new Authenticator(tenants, systemClock, 0),
      tenants,
      events,
      messages,
      secrets,
      queue,
      targets: ports.targets,
      targetSecrets: secrets,
      deliveries: ports.deliveries,
      webhooks: ports.webhooks,
      bus: ports.bus,
      search: ports.search,
      phones: ports.protection,
      sessions: ports.sessions,
      consoleAssets: ports.consoleAssets,
    },
    worker: {
      worker: {
        ...common,
        tenants: workerStores.tenants,
        events: workerStores.events,
        messages: workerStores.messages,
        secrets,
        sms,
        fineract,
        forward: {
          targets: workerStores.targets,
          targetSecrets: secrets,
          deliveries: workerStores.deliveries,
          webhooks: ports.webhooks,
          bus: ports.bus,
        },
      },
      control: queue.control,
    },
    twilioStatus: { ...common, messages, secrets, signatures: ports.signatures },
    sweeper: { ...common, events, queue },
  };
}

/** Each HTTP function's handler over the current bundle (looked up per request: tests swap ports live). */
function httpHandlers(
  current: () => LocalDepsBundle,
): Record<'ingest' | 'register' | 'admin' | 'twilioStatus', HttpLambda> {
  return {
    ingest: makeIngestHandler(() => current().ingest),
    register: makeRegisterHandler(() => current().register),
    admin: makeAdminHandler(() => current().admin),
    twilioStatus: makeStatusHandler(() => current().twilioStatus),
  };
}

/** An address a client on this machine reaches the server at. */
function connectHost(host: string): string {
  if (host === 'localhost') return host;
  if (host === '0.0.0.0' || host === '::' || host.startsWith('127.')) return '127.0.0.1';
  return isIP(host) === 6 ? `[${host}]` : host;
}

async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

/**
 * Under a burst the count of requests in hand drops to zero for a moment between two of them; without this gap
 * the worker would take full batches in those moments and share the event loop with the burst after all. A
 * burst's moments are well under it; a paced sender (10 events/s) leaves 100 ms between requests and the worker
 * runs between them, as before.
 */
const BURST_GAP_MS = 10;

/** The worker (Lambda's SQS event source, played locally) and the sweeper (its schedule, played by a timer). */
async function startBackground(
  queue: LocalQueue,
  current: () => LocalDepsBundle,
  tracker: RequestTracker,
  { env, logger, options }: BootContext,
): Promise<{ sweep(): Promise<SweepResult>; stopSweeping(): void; drain(): Promise<void> }> {
  const runner = new LocalWorkerRunner(
    queue,
    makeWorkerHandler(() => current().worker),
    {
      concurrency: Number(env.LOCAL_WORKER_CONCURRENCY ?? 4),
      batchSize: 10,
      onError: (error) => logger.error('local worker batch failed', { error: describeError(error) }),
      busy: () => tracker.active > 0 || Date.now() - (tracker.lastDoneAt ?? 0) < BURST_GAP_MS,
    },
  );
  // Pumped once the burst gap has passed: pumped at once, the runner would still see the gap as busy and wait its
  // whole busy interval, holding a paced sender's messages back by up to a second.
  tracker.onIdle = () => setTimeout(() => runner.pump(), BURST_GAP_MS + 1).unref();
  const runSweep = () => sweep(current().sweeper);
  // After a restart the queue is empty: whatever is still in flight in the store was orphaned, send it on now.
  // Read from the table, not the due index: a kill -9 between the embedded engine's item and index writes can
  // leave an in-flight event out of the index.
  const { events } = current().sweeper;
  const startup =
    events instanceof DynamoDbEventStore
      ? await redispatch(await events.scanInFlight(), current().sweeper)
      : await sweep(current().sweeper, 100_000, { all: true });
  if (startup.found > 0) logger.info('resumed in-flight events from the store', { ...startup });
  const seconds = options.sweepIntervalSeconds ?? Number(env.SWEEP_INTERVAL_SECONDS ?? 15);
  const timer = setInterval(() => {
    runSweep().catch((error) => logger.error('sweep failed', { error: describeError(error) }));
  }, seconds * 1000);
  timer.unref();
  runner.pump();
  return {
    sweep: runSweep,
    stopSweeping: () => clearInterval(timer),
    async drain() {
      await runner.stop();
      queue.close();
    },
  };
}
