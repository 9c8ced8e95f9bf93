import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { AdminDeps } from '../../core/admin';
import { Authenticator } from '../../core/api-keys';
import { systemClock } from '../../core/clock';
import { describeError } from '../../core/http';
import type { IngestDeps } from '../../core/ingest';
import { maskPhone } from '../../core/redaction';
import type { Logger, SmsSender } from '../../core/ports';
import type { RegisterDeps } from '../../core/registration';
import { readSettings, type Settings } from '../../core/settings';
import type { StatusCallbackDeps } from '../../core/status-callback';
import { sweep, type SweeperDeps } from '../../core/sweeper';
import type { WorkerDeps } from '../../core/worker';
import { createDocumentClient } from '../dynamodb-client';
import { DynamoDbEventStore, DynamoDbMessageStore } from '../dynamodb-event-store';
import { DynamoDbTenantStore } from '../dynamodb-tenant-store';
import { FineractHttpClient } from '../fineract-http-client';
import { LocalQueue } from '../local-queue';
import { setLocalDeps } from '../local-registry';
import { FileSecretStore } from '../local-secret-store';
import { createLogger, loggerPort, noMetrics } from '../observability';
import { OutboxSmsSender } from '../sms-outbox';
import { TwilioSignatureVerifier } from '../twilio-signature';
import { TwilioSmsSender } from '../twilio-sms-sender';
import { DnsUrlPolicy } from '../url-guard';
import { createTables, type EmbeddedDynamoDb, startEmbeddedDynamoDb } from './embedded-dynamodb';
import { createLocalHttpServer, type HttpLambda, type RequestTracker } from './local-http';
import { LocalWorkerRunner } from './local-worker';

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

export interface LocalDepsBundle {
  ingest: IngestDeps;
  register: RegisterDeps;
  admin: AdminDeps;
  worker: { worker: WorkerDeps; control: LocalQueue['control'] };
  twilioStatus: StatusCallbackDeps;
  sweeper: SweeperDeps;
}

export interface LocalReceiver {
  url: string;
  port: number;
  settings: Settings;
  deps: LocalDepsBundle;
  queue: LocalQueue;
  db: EmbeddedDynamoDb;
  smsMode: string;
  /** Runs one sweep now (the scheduled one runs every `sweepIntervalSeconds`). */
  sweep(): Promise<{ found: number; enqueued: number }>;
  close(): Promise<void>;
}

/**
 * Local defaults (README "Configuration"): anyone may register, callbacks may reach private addresses, and
 * without a Twilio base URL messages go to the outbox. Explicit environment values win.
 */
export function localSettings(env: NodeJS.ProcessEnv, publicBaseUrl: string): Settings {
  return readSettings({
    OPEN_ENROLLMENT: 'true',
    ALLOW_PRIVATE_ENDPOINTS: 'true',
    SMS_DRY_RUN: env.TWILIO_API_BASE_URL ? 'false' : 'true',
    SWEEP_GRACE_SECONDS: '30',
    PUBLIC_BASE_URL: publicBaseUrl,
    ...stripEmpty(env),
  });
}

function stripEmpty(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
}

export async function startLocalReceiver(options: LocalReceiverOptions = {}): Promise<LocalReceiver> {
  const env = options.env ?? process.env;
  // Undefined: Node listens on :: (IPv4 and IPv6) where available, else 0.0.0.0, so `localhost` works either way.
  const host = options.host;
  const requestedPort = options.port ?? 3000;
  const logger = options.logger ?? loggerPort(createLogger());
  const dataDir = options.dataDir ? path.resolve(options.dataDir) : undefined;
  if (dataDir) mkdirSync(dataDir, { recursive: true });

  const db = await startEmbeddedDynamoDb({ path: dataDir ? path.join(dataDir, 'dynamodb') : undefined });
  try {
    return await boot(db, { env, host, requestedPort, logger, dataDir, options });
  } catch (error) {
    // A failed start (port in use, unreadable data) must not leave the engine running and the process stuck.
    await db.close().catch(() => undefined);
    throw error;
  }
}

interface BootContext {
  env: NodeJS.ProcessEnv;
  host: string | undefined;
  requestedPort: number;
  logger: Logger;
  dataDir: string | undefined;
  options: LocalReceiverOptions;
}

async function boot(
  db: EmbeddedDynamoDb,
  { env, host, requestedPort, logger, dataDir, options }: BootContext,
): Promise<LocalReceiver> {
  // The public URL is only known once the port is; settings are completed after listen().
  let settings = localSettings(env, `http://127.0.0.1:${requestedPort}`);
  await createTables(db.client, settings);
  const doc = createDocumentClient({
    endpoint: db.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const tenants = new DynamoDbTenantStore(doc, settings.tenantsTable);
  const events = new DynamoDbEventStore(doc, settings.eventsTable, settings.eventRetentionDays);
  const messages = new DynamoDbMessageStore(doc, settings.eventsTable);
  const secrets = new FileSecretStore({ dataDir: dataDir ?? path.join(tmpdir(), `fhr-${process.pid}-${Date.now()}`) });
  const queue = new LocalQueue({
    visibilityTimeoutSeconds: Number(env.LOCAL_QUEUE_VISIBILITY_SECONDS ?? 30),
    maxReceiveCount: Number(env.LOCAL_QUEUE_MAX_RECEIVES ?? settings.retryScheduleSeconds.length + 4),
  });
  let smsMode: string;
  let sms: SmsSender;
  if (options.sms) {
    sms = options.sms;
    smsMode = 'custom sender';
  } else if (settings.smsDryRun) {
    const outbox = new OutboxSmsSender({
      dataDir: dataDir ?? secretsDir(secrets),
      onMessage: (entry) =>
        logger.info('SMS written to the outbox (dry run)', {
          to: maskPhone(entry.to),
          sid: entry.sid,
          chars: entry.body.length,
        }),
    });
    sms = outbox;
    smsMode = `dry run → ${outbox.file}`;
  } else {
    sms = new TwilioSmsSender({ apiBaseUrl: settings.twilioApiBaseUrl, timeoutMs: settings.twilioTimeoutMs });
    smsMode = `Twilio${settings.twilioApiBaseUrl ? ` at ${settings.twilioApiBaseUrl}` : ''}`;
  }
  const auth = new Authenticator(tenants, systemClock, settings.authCacheSeconds);
  const common = { clock: systemClock, logger, metrics: noMetrics };
  const fineract = new FineractHttpClient({
    allowPrivate: settings.allowPrivateEndpoints,
    timeoutMs: settings.fineractTimeoutMs,
    rejectUnauthorized: !settings.fineractTlsInsecure,
  });

  const deps = (): LocalDepsBundle => ({
    ingest: { ...common, auth, events, queue, settings },
    register: {
      ...common,
      tenants,
      secrets,
      sms,
      urlPolicy: new DnsUrlPolicy({ allowPrivate: settings.allowPrivateEndpoints }),
      auth,
      settings,
    },
    admin: {
      ...common,
      auth: new Authenticator(tenants, systemClock, 0),
      tenants,
      events,
      messages,
      secrets,
      queue,
      settings,
    },
    worker: {
      worker: { ...common, tenants, events, messages, secrets, sms, fineract, settings },
      control: queue.control,
    },
    twilioStatus: { ...common, messages, secrets, signatures: new TwilioSignatureVerifier(), settings },
    sweeper: { ...common, events, queue, settings },
  });
  let bundle = deps();
  setLocalDeps(bundle);

  const [ingest, register, admin, twilioStatus, worker] = await Promise.all([
    import('../../ingest/handler'),
    import('../../register/handler'),
    import('../../admin/handler'),
    import('../../twilio-status/handler'),
    import('../../worker/handler'),
  ]);
  const tracker: RequestTracker = { active: 0 };
  const server: Server = createLocalHttpServer(
    {
      ingest: ingest.handler as unknown as HttpLambda,
      register: register.handler as unknown as HttpLambda,
      admin: admin.handler as unknown as HttpLambda,
      twilioStatus: twilioStatus.handler as unknown as HttpLambda,
    },
    { maxBodyBytes: settings.maxBodyBytes, tracker },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(requestedPort, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  if (port !== requestedPort || !env.PUBLIC_BASE_URL) {
    settings = localSettings(env, `http://127.0.0.1:${port}`);
    bundle = deps();
    setLocalDeps(bundle);
  }

  const runner = new LocalWorkerRunner(queue, worker.handler as never, {
    concurrency: Number(env.LOCAL_WORKER_CONCURRENCY ?? 4),
    batchSize: 10,
    onError: (error) => logger.error('local worker batch failed', { error: describeError(error) }),
    busy: () => tracker.active > 0,
  });
  tracker.onIdle = () => runner.pump();
  const runSweep = () => sweep(bundle.sweeper);
  // After a restart the queue is empty: whatever is still in flight in the store was orphaned, send it on now.
  const startup = await sweep(bundle.sweeper, 100_000, { all: true });
  if (startup.found > 0) logger.info('resumed in-flight events from the store', { ...startup });
  const sweepTimer = setInterval(
    () => {
      runSweep().catch((error) => logger.error('sweep failed', { error: describeError(error) }));
    },
    (options.sweepIntervalSeconds ?? Number(env.SWEEP_INTERVAL_SECONDS ?? 15)) * 1000,
  );
  sweepTimer.unref();
  runner.pump();
  // Lets `npm run cli` on the same DATA_DIR talk to this process's DynamoDB instead of opening the locked files.
  const serverFile = dataDir ? path.join(dataDir, 'server.json') : undefined;
  if (serverFile)
    writeFileSync(
      serverFile,
      JSON.stringify({ pid: process.pid, url: `http://127.0.0.1:${port}`, dynamodbEndpoint: db.endpoint }),
    );

  let closed = false;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    settings,
    get deps() {
      return bundle;
    },
    queue,
    db,
    smsMode,
    sweep: runSweep,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(sweepTimer);
      // Stop accepting, let in-flight requests finish (their events are stored before they answer), then drain.
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await runner.stop();
      queue.close();
      await db.close();
      if (serverFile) rmSync(serverFile, { force: true });
    },
  };
}

function secretsDir(store: FileSecretStore): string {
  return path.dirname(store.filePath);
}
