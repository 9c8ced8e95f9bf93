/**
 * The real ingest, worker and Twilio status callback, wired on the embedded engine with sealing on, for the bench
 * scripts that count what one SMS event does to the tables (bench/partitions.ts: per partition key;
 * bench/item-sizes.ts: per item write). Twilio and Fineract are stand-ins that answer at once; the tenant's config
 * and the secret are held as a warm container holds them (lambdas/wiring/aws/worker.ts).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CachedTargetStore } from '../lambdas/adapters/cached-target-store';
import { CachedTenantStore } from '../lambdas/adapters/cached-tenant-store';
import { DataProtection, newDataKeyDocument } from '../lambdas/adapters/data-protection';
import {
  createTables,
  type EmbeddedDynamoDb,
  startEmbeddedDynamoDb,
} from '../lambdas/adapters/local/embedded-dynamodb';
import { noMetrics } from '../lambdas/adapters/observability';
import { Authenticator, fingerprintOf, hashApiKey } from '../lambdas/core/api-keys';
import type { HttpRequest } from '../lambdas/core/http';
import { handleHookEvent } from '../lambdas/core/ingest';
import type { SentSms, WorkMessage } from '../lambdas/core/model';
import type { FineractClient, Logger, SecretStore, SmsSender } from '../lambdas/core/ports';
import { readSettings } from '../lambdas/core/settings';
import { handleTwilioStatus } from '../lambdas/core/status-callback';
import { processWorkMessage, type WorkOutcome } from '../lambdas/core/worker';
import { createForwardStores, createLocalDocumentClient, createStores } from '../lambdas/wiring/stores';

export interface PipelineOptions {
  tables: { tenantsTable: string; eventsTable: string };
  tenantId: string;
  apiKey: string;
  /** The pipeline's clock, in epoch ms: the caller moves it. */
  now: () => number;
  /** What the sender's Fineract answers (a flat body's client); `{}` by default. */
  fineract?: FineractClient;
}

export interface Pipeline {
  db: EmbeddedDynamoDb;
  doc: DynamoDBDocumentClient;
  stores: ReturnType<typeof createStores>;
  /** One hook through ingest; what it enqueued waits in `queued`. */
  ingest(request: HttpRequest): Promise<void>;
  /**
   * Every queued message through the worker, then each SMS's two Twilio reports (sent, delivered); `onStep` hears
   * which of the two runs next (item-sizes labels its writes by it).
   */
  drain(onStep?: (step: 'worker' | 'report') => void): Promise<WorkOutcome[]>;
  close(): Promise<void>;
}

const silent: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const TOKEN = 'bench-token';
const REGISTRATION = 'bench';

/** A Twilio delivery report as the status route hands it to the core (the signature is not checked here). */
export function statusReport(tenantId: string, messageId: string, sid: string, status: string): HttpRequest {
  return {
    method: 'POST',
    path: `/twilio/status/${tenantId}/${messageId}`,
    headers: { 'x-twilio-signature': `${'A'.repeat(27)}=`, 'content-type': 'application/x-www-form-urlencoded' },
    query: {},
    params: { tenantId, messageId },
    body: Buffer.from(new URLSearchParams({ MessageSid: sid, MessageStatus: status }).toString()),
  };
}

export async function startPipeline(options: PipelineOptions): Promise<Pipeline> {
  const { tables, tenantId, apiKey, now } = options;
  const db = await startEmbeddedDynamoDb();
  await createTables(db.client, tables);
  const doc = createLocalDocumentClient(db.endpoint);
  const settings = { ...readSettings({}), ...tables, publicBaseUrl: 'https://hooks.example.org' };
  // Sealed and phone-hashed as in AWS, so item sizes and byPhone's writes are what they are there.
  const key = newDataKeyDocument();
  const stores = createStores(doc, settings, new DataProtection({ load: async () => key }));
  const forward = createForwardStores(doc, settings);
  const clock = { now: () => new Date(now()) };
  const common = { clock, logger: silent, metrics: noMetrics, settings };
  const at = new Date(now()).toISOString();

  await stores.tenants.putTenant({
    tenantId,
    smsProvider: 'twilio',
    phoneNo: '+15005550006',
    accountSid: `AC${'0'.repeat(32)}`,
    endpoint: 'https://fineract.example.org/fineract-provider/api/v1',
    registeredAt: at,
    updatedAt: at,
    registrationId: REGISTRATION,
  });
  const keyHash = hashApiKey(apiKey);
  await stores.tenants.putApiKey({
    tenantId,
    keyHash,
    fingerprint: fingerprintOf(keyHash),
    createdAt: at,
    scope: 'ingest',
    // As registration issues it: the worker then trusts its cached config for this registration's events.
    registrationId: REGISTRATION,
  });
  const secrets: SecretStore = {
    // A warm container holds the secret (the delivery reports' path without a read).
    peekTenantSecret: () => ({ smsProviderToken: TOKEN, registrationId: REGISTRATION }),
    getTenantSecret: async () => ({ smsProviderToken: TOKEN, registrationId: REGISTRATION, mifosToken: 'x' }),
    putTenantSecret: async () => {},
    deleteTenantSecret: async () => {},
  };
  let sids = 0;
  const sms: SmsSender = {
    send: async (): Promise<SentSms> => ({ sid: `SM${String(++sids).padStart(32, '0')}`, status: 'queued' }),
    findSent: async () => undefined,
    verifyAccount: async () => {},
  };
  const queued: WorkMessage[] = [];
  const ingestDeps = {
    ...common,
    auth: new Authenticator(stores.tenants, clock, settings.authCacheSeconds),
    events: stores.events,
    queue: { enqueue: async (message: WorkMessage) => void queued.push(message) },
  };
  const cacheMs = settings.tenantCacheSeconds * 1000;
  const workerDeps = {
    ...common,
    ...stores,
    // Config, templates and targets cached per container as lambdas/wiring/aws/worker.ts does.
    tenants: new CachedTenantStore(stores.tenants, cacheMs, now),
    secrets,
    sms,
    fineract: options.fineract ?? { get: async () => ({}) },
    forward: {
      ...forward,
      targets: new CachedTargetStore(forward.targets, cacheMs, now),
      targetSecrets: {
        getTargetSecrets: async () => undefined,
        putTargetSecrets: async () => {},
        deleteTargetSecrets: async () => {},
      },
      webhooks: { post: async () => ({ statusCode: 204, latencyMs: 1, excerpt: '' }) },
      bus: { publish: async () => {} },
    },
  };
  const statusDeps = { ...common, messages: stores.messages, secrets, signatures: { verifyTwilio: () => true } };

  return {
    db,
    doc,
    stores,
    async ingest(request) {
      const answer = await handleHookEvent(request, ingestDeps);
      if (answer.statusCode !== 200) throw new Error(`ingest answered ${answer.statusCode}: ${answer.body}`);
    },
    drain: (onStep) =>
      Promise.all(
        queued.splice(0).map(async (message) => {
          onStep?.('worker');
          const outcome = await processWorkMessage(message, workerDeps);
          onStep?.('report');
          for (const record of await stores.messages.listByEvent(message.tenantId, message.eventId)) {
            for (const status of ['sent', 'delivered']) {
              await handleTwilioStatus(
                statusReport(record.tenantId, record.messageId, record.sid ?? '', status),
                statusDeps,
              );
            }
          }
          return outcome;
        }),
      ),
    async close() {
      doc.destroy();
      await db.close();
    },
  };
}
