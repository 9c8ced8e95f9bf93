/**
 * `npx tsx bench/item-sizes.ts`: what one SMS event's items weigh in the events table and what each of its writes
 * costs, for the bench's two bodies (bench/events.ts: a Fineract envelope, a MifosX flat body). Runs the real ingest,
 * worker and two Twilio delivery reports per event on the embedded engine with sealing on, and reads the item
 * before and after every write (bench/item-size.ts: a write costs one WRU per started KB of the larger). Prints one
 * line per write and the totals; not a test.
 */
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { CachedTenantStore } from '../lambdas/adapters/cached-tenant-store';
import { DataProtection, newDataKeyDocument } from '../lambdas/adapters/data-protection';
import { createTables, startEmbeddedDynamoDb } from '../lambdas/adapters/local/embedded-dynamodb';
import { noMetrics } from '../lambdas/adapters/observability';
import { PK, SK } from '../lambdas/adapters/table-schema';
import { Authenticator, fingerprintOf, hashApiKey } from '../lambdas/core/api-keys';
import type { HttpRequest } from '../lambdas/core/http';
import { handleHookEvent } from '../lambdas/core/ingest';
import type { SentSms, WorkMessage } from '../lambdas/core/model';
import type { Clock, Logger, SecretStore, SmsSender } from '../lambdas/core/ports';
import { readSettings } from '../lambdas/core/settings';
import { handleTwilioStatus } from '../lambdas/core/status-callback';
import { processWorkMessage } from '../lambdas/core/worker';
import { createStores, createLocalDocumentClient } from '../lambdas/wiring/stores';
import { eventSource, MOBILE_NO, TENANT_ID } from './events';
import { itemSize, writeUnitsOf } from './item-size';

type Item = Record<string, unknown>;
const TABLES = { tenantsTable: 'sizes-tenants', eventsTable: 'sizes-events' };
const API_KEY = 'bench-item-sizes-key-0123456789abcdef';

interface WriteLine {
  step: string;
  sk: string;
  before: number;
  after: number;
  wru: number;
}

function recording(doc: DynamoDBDocumentClient, lines: WriteLine[], step: () => string): void {
  const send = doc.send.bind(doc) as (command: unknown) => Promise<Item>;
  const read = async (key: Item): Promise<Item | undefined> =>
    (await send(new GetCommand({ TableName: TABLES.eventsTable, Key: key, ConsistentRead: true }))).Item as
      | Item
      | undefined;
  (doc as unknown as { send: typeof send }).send = async (command) => {
    const name = (command as object).constructor.name;
    const input = (command as { input: Item }).input;
    if (input.TableName !== TABLES.eventsTable) return send(command);
    if (name !== 'PutCommand' && name !== 'UpdateCommand' && name !== 'DeleteCommand') return send(command);
    const key = (input.Key ?? { [PK]: (input.Item as Item)[PK], [SK]: (input.Item as Item)[SK] }) as Item;
    const before = await read(key);
    try {
      return await send(command);
    } finally {
      const after = await read(key);
      lines.push({
        step: `${step()} ${name.replace('Command', '')}`,
        sk: String(key[SK]).slice(0, 2),
        before: before ? itemSize(before) : 0,
        after: after ? itemSize(after) : 0,
        wru: writeUnitsOf(before, after),
      });
    }
  };
}

function toRequest(hook: { headers: Record<string, string>; body: string }): HttpRequest {
  return {
    method: 'POST',
    path: '/modules/sms/',
    headers: Object.fromEntries(Object.entries(hook.headers).map(([k, v]) => [k.toLowerCase(), v])),
    query: {},
    params: {},
    body: Buffer.from(hook.body),
  };
}

function report(tenantId: string, messageId: string, sid: string, status: string): HttpRequest {
  return {
    method: 'POST',
    path: `/twilio/status/${tenantId}/${messageId}`,
    headers: { 'x-twilio-signature': `${'A'.repeat(27)}=`, 'content-type': 'application/x-www-form-urlencoded' },
    query: {},
    params: { tenantId, messageId },
    body: Buffer.from(new URLSearchParams({ MessageSid: sid, MessageStatus: status }).toString()),
  };
}

async function main(): Promise<void> {
  const db = await startEmbeddedDynamoDb();
  await createTables(db.client, TABLES);
  const doc = createLocalDocumentClient(db.endpoint);
  const settings = { ...readSettings({}), ...TABLES, publicBaseUrl: 'https://hooks.example.org' };
  const key = newDataKeyDocument();
  const stores = createStores(doc, settings, new DataProtection({ load: async () => key }));
  const tick = Date.UTC(2026, 2, 2, 9);
  const clock: Clock = { now: () => new Date(tick) };
  const silent: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
  const common = { clock, logger: silent, metrics: noMetrics, settings };
  await stores.tenants.putTenant({
    tenantId: TENANT_ID,
    smsProvider: 'twilio',
    phoneNo: '+15005550006',
    accountSid: `AC${'0'.repeat(32)}`,
    endpoint: 'https://fineract.example.org/fineract-provider/api/v1',
    registeredAt: new Date(tick).toISOString(),
    updatedAt: new Date(tick).toISOString(),
    registrationId: 'bench',
  });
  const keyHash = hashApiKey(API_KEY);
  await stores.tenants.putApiKey({
    tenantId: TENANT_ID,
    keyHash,
    fingerprint: fingerprintOf(keyHash),
    createdAt: new Date(tick).toISOString(),
    scope: 'ingest',
    registrationId: 'bench',
  });
  const secrets: SecretStore = {
    // A warm container holds the secret (the delivery reports' path without a read).
    peekTenantSecret: () => ({ smsProviderToken: 'bench-token', registrationId: 'bench' }),
    getTenantSecret: async () => ({ smsProviderToken: 'bench-token', registrationId: 'bench', mifosToken: 'x' }),
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
  const ingest = {
    ...common,
    auth: new Authenticator(stores.tenants, clock, settings.authCacheSeconds),
    events: stores.events,
    queue: { enqueue: async (message: WorkMessage) => void queued.push(message) },
  };
  const source = eventSource({ apiKey: API_KEY, prefix: 'size', idBase: 1000, mix: 'mixed' });
  const worker = {
    ...common,
    ...stores,
    tenants: new CachedTenantStore(stores.tenants, 60_000, () => tick),
    secrets,
    sms,
    // The flat body's client, as Fineract answers GET /clients/{id}.
    fineract: {
      get: async () => ({
        id: 1001,
        accountNo: '000001001',
        displayName: 'size1 Bench',
        firstname: 'size1',
        lastname: 'Bench',
        mobileNo: MOBILE_NO,
        officeId: 1,
      }),
    },
  };
  const status = {
    ...common,
    messages: stores.messages,
    tenants: worker.tenants,
    secrets,
    signatures: { verifyTwilio: () => true },
  };

  for (const seq of [0, 1]) {
    const lines: WriteLine[] = [];
    let step = 'ingest';
    recording(doc, lines, () => step);
    const hook = source.make(seq);
    const answer = await handleHookEvent(toRequest(hook), ingest);
    if (answer.statusCode !== 200) throw new Error(`ingest answered ${answer.statusCode}: ${answer.body}`);
    step = 'worker';
    for (const message of queued.splice(0)) {
      const outcome = await processWorkMessage(message, worker);
      if (outcome.action !== 'ack') throw new Error(`worker: ${JSON.stringify(outcome)}`);
      step = 'report';
      for (const record of await stores.messages.listByEvent(message.tenantId, message.eventId)) {
        for (const s of ['sent', 'delivered']) {
          await handleTwilioStatus(report(record.tenantId, record.messageId, record.sid ?? '', s), status);
        }
      }
    }
    (doc as unknown as { send: unknown }).send = Object.getPrototypeOf(doc).send.bind(doc);
    console.log(`${hook.shape} body (${Buffer.byteLength(hook.body)} bytes):`);
    for (const l of lines) {
      console.log(
        `  ${l.step.padEnd(14)} ${l.sk.padEnd(3)} ${String(l.before).padStart(5)} → ${String(l.after).padStart(5)} B  ${l.wru} WRU`,
      );
    }
    const total = lines.reduce((n, l) => n + l.wru, 0);
    console.log(`  ${lines.length} writes, ${total} table WRU`);
  }
  doc.destroy();
  await db.close();
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
