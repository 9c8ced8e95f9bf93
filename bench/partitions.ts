/**
 * `npm run bench:partitions`: how far one deployment's DynamoDB writes scale before a single partition key caps
 * them. 10 000 SMS events go through the happy path of their lifecycle (stored, claimed, message created, sending,
 * sent, final) against the embedded engine with the real stores; every write is recorded with the partition key
 * it lands on in the table and in each index. The largest share any one key takes, with DynamoDB's 1 000 WCU/s per
 * partition, gives the sustained ceiling in events per second. One tenant: a single MifosX is the worst case.
 * Writes the figures to bench/results.json under `partitions`. Not a test.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbEventStore } from '../lambdas/adapters/dynamodb-event-store';
import { DynamoDbMessageStore } from '../lambdas/adapters/dynamodb-message-store';
import { createTables, startEmbeddedDynamoDb } from '../lambdas/adapters/local/embedded-dynamodb';
import { BY_DUE, BY_TENANT_TIME, duePk, PK } from '../lambdas/adapters/table-schema';
import { eventIdFor } from '../lambdas/core/dedup';
import type { StoredEvent } from '../lambdas/core/model';
import { createLocalDocumentClient } from '../lambdas/wiring/stores';

const EVENTS = Number(process.env.BENCH_PARTITION_EVENTS ?? 10_000);
const WCU_PER_PARTITION = 1000;
const TABLES = { tenantsTable: 'bench-tenants', eventsTable: 'bench-events' };

type Target = 'table' | typeof BY_TENANT_TIME.indexName | typeof BY_DUE.indexName;
const writes: Record<Target, Map<string, number>> = {
  table: new Map(),
  [BY_TENANT_TIME.indexName]: new Map(),
  [BY_DUE.indexName]: new Map(),
};

function count(target: Target, key: unknown): void {
  if (typeof key !== 'string') return;
  writes[target].set(key, (writes[target].get(key) ?? 0) + 1);
}

/** Every write the stores send, with the partition keys of the table and of each index it touches. */
function recording(doc: DynamoDBDocumentClient): void {
  const send = doc.send.bind(doc) as (command: unknown) => Promise<Record<string, unknown>>;
  (doc as unknown as { send: typeof send }).send = async (command) => {
    const out = await send(command);
    const name = (command as object).constructor.name;
    if (name !== 'PutCommand' && name !== 'UpdateCommand') return out;
    const input = (command as { input: Record<string, unknown> }).input;
    const item = (input.Item ?? out.Attributes ?? {}) as Record<string, unknown>;
    const key = (input.Key ?? input.Item) as Record<string, unknown>;
    count('table', key[PK]);
    count(BY_TENANT_TIME.indexName, item[BY_TENANT_TIME.partitionKey.name]);
    // An update that drops the due entry still writes (a delete in) the index partition it leaves.
    const due = item[BY_DUE.partitionKey.name] ?? (removesDue(input) ? duePk(String(item.eventId)) : undefined);
    count(BY_DUE.indexName, due);
    return out;
  };
}

function removesDue(input: Record<string, unknown>): boolean {
  return typeof input.UpdateExpression === 'string' && /REMOVE[^=]*#duePk/.test(input.UpdateExpression);
}

function event(i: number): StoredEvent {
  const receivedAt = new Date(Date.UTC(2026, 2, 2, 9) + i * 10).toISOString();
  const dedupKey = `default|SMS|SEND|body:${i}`;
  return {
    tenantId: 'default',
    eventId: eventIdFor(dedupKey),
    dedupKey,
    entity: 'SMS',
    action: 'SEND',
    entityRaw: 'sms',
    actionRaw: 'send',
    source: 'mifosx',
    template: 'sms-bridge',
    shape: 'sms-send',
    encoding: 'json',
    failed: false,
    ids: {},
    rawBody: `{"mobileNo":"2547${String(i).padStart(8, '0')}","message":"Dear client, we received your payment."}`,
    contentType: 'application/json',
    receivedAt,
    updatedAt: receivedAt,
    status: 'received',
    attempts: 0,
    dueAt: new Date(Date.parse(receivedAt) + 300_000).toISOString(),
  };
}

async function lifecycle(e: StoredEvent, events: DynamoDbEventStore, messages: DynamoDbMessageStore): Promise<void> {
  const at = e.receivedAt;
  await events.putIfAbsent(e);
  await events.update(
    e.tenantId,
    e.eventId,
    { status: 'processing', updatedAt: at, dueAt: at },
    { incrementAttempts: true },
  );
  const messageId = `${e.eventId}.SMS.SEND`;
  await messages.createIfAbsent({
    tenantId: e.tenantId,
    messageId,
    eventId: e.eventId,
    templateKey: 'SMS.SEND',
    status: 'pending',
    to: '+254700000000',
    body: 'Dear client, we received your payment.',
    encoding: 'GSM-7',
    segments: 1,
    createdAt: at,
    updatedAt: at,
  });
  await messages.transition(e.tenantId, messageId, ['pending'], { status: 'sending', updatedAt: at });
  await messages.transition(e.tenantId, messageId, ['sending'], {
    status: 'sent',
    sid: `SM${e.eventId}`,
    updatedAt: at,
  });
  await events.update(e.tenantId, e.eventId, { status: 'sent', updatedAt: at });
}

function summary(target: Target) {
  const counts = [...writes[target].entries()];
  const total = counts.reduce((n, [, c]) => n + c, 0);
  const [hotKey, hot] = counts.reduce((a, b) => (b[1] > a[1] ? b : a), ['', 0] as [string, number]);
  const share = total === 0 ? 0 : hot / total;
  // Writes per event landing on the hottest key; each write of these small items is 1 WCU.
  const perEventOnHotKey = hot / EVENTS;
  const ceiling = perEventOnHotKey === 0 ? Number.POSITIVE_INFINITY : WCU_PER_PARTITION / perEventOnHotKey;
  return {
    target,
    writes: total,
    keys: counts.length,
    hotKey,
    hotShare: share,
    ceilingEventsPerSecond: Math.floor(ceiling),
  };
}

async function main(): Promise<void> {
  const db = await startEmbeddedDynamoDb();
  await createTables(db.client, TABLES);
  const doc = createLocalDocumentClient(db.endpoint);
  recording(doc);
  const events = new DynamoDbEventStore(doc, TABLES.eventsTable);
  const messages = new DynamoDbMessageStore(doc, TABLES.eventsTable);
  const batch = 50;
  for (let i = 0; i < EVENTS; i += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, EVENTS - i) }, (_, j) => lifecycle(event(i + j), events, messages)),
    );
  }
  const rows = (['table', BY_TENANT_TIME.indexName, BY_DUE.indexName] as Target[]).map(summary);
  const ceiling = Math.min(...rows.map((r) => r.ceilingEventsPerSecond));
  for (const r of rows) {
    console.log(
      `${r.target.padEnd(13)} ${String(r.writes).padStart(7)} writes over ${String(r.keys).padStart(3)} keys; ` +
        `hottest ${r.hotKey} takes ${(r.hotShare * 100).toFixed(1)} % → ${r.ceilingEventsPerSecond} events/s`,
    );
  }
  console.log(`sustained ceiling (one tenant, ${WCU_PER_PARTITION} WCU/s per partition): ${ceiling} events/s`);
  const file = path.join(__dirname, 'results.json');
  const results = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  results.partitions = { events: EVENTS, wcuPerPartition: WCU_PER_PARTITION, rows, ceilingEventsPerSecond: ceiling };
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  doc.destroy();
  await db.close();
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
