/**
 * `npm run bench:partitions`: how far one deployment's DynamoDB traffic scales before a single partition key caps
 * it. 10 000 SMS Bridge `sms/send` hooks of ONE tenant (a single MFI is the worst case) go through the real code
 * against the embedded engine: ingest (`handleHookEvent`), the worker (`processWorkMessage`, with a fake SMS
 * provider) and two Twilio delivery reports each (`handleTwilioStatus`). Every request the stores send is recorded
 * with the partition key it lands on, in the tables and in each index of the events table.
 *
 * Index writes are modelled as DynamoDB bills them: the item is read before and after each write, and an index is
 * written only when one of its key or projected attributes (table-schema.ts, `indexAttributes`) changed: one write
 * to put or delete an entry, two when its key moves. A read costs 1 RCU when strongly consistent, 0.5 otherwise
 * (items under 4 KB; a Query's items together under 4 KB). The worker's targets are cached as in AWS
 * (lambdas/wiring/aws/worker.ts). With 1 000 WCU/s and 3 000 RCU/s per partition, the hottest key of each row gives
 * its sustained ceiling in events per second; the deployment's is the lowest. Writes the figures to
 * bench/results.json under `partitions`. Not a test.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { EVENTS_TABLE, indexAttributes, PK, SK, TENANTS_TABLE } from '../lambdas/adapters/table-schema';
import type { HttpRequest } from '../lambdas/core/http';
import { startPipeline } from './pipeline';

const EVENTS = Number(process.env.BENCH_PARTITION_EVENTS ?? 10_000);
const WCU_PER_PARTITION = 1000;
const RCU_PER_PARTITION = 3000;
const TENANT = 'default';
const API_KEY = 'bench-partitions-key-0123456789abcdef';
const TABLES = { tenantsTable: 'bench-tenants', eventsTable: 'bench-events' };

type Item = Record<string, unknown>;
type Row = { kind: 'writes' | 'reads'; target: string; counts: Map<string, number> };

const rows = new Map<string, Row>();

function count(kind: Row['kind'], target: string, key: unknown, n = 1): void {
  if (typeof key !== 'string' || n === 0) return;
  const id = `${kind} ${target}`;
  const row = rows.get(id) ?? { kind, target, counts: new Map() };
  row.counts.set(key, (row.counts.get(key) ?? 0) + n);
  rows.set(id, row);
}

/** An index entry as DynamoDB would hold it: its attributes only (the whole item for ALL), or none without keys. */
function indexView(item: Item | undefined, index: (typeof EVENTS_TABLE.indexes)[number]): Item | undefined {
  if (!item || item[index.partitionKey.name] === undefined || item[index.sortKey.name] === undefined) return undefined;
  const names = indexAttributes(EVENTS_TABLE, index) ?? Object.keys(item);
  return Object.fromEntries(names.filter((n) => item[n] !== undefined).map((n) => [n, item[n]]));
}

const same = (a: Item, b: Item): boolean =>
  JSON.stringify(Object.entries(a).sort(([x], [y]) => x.localeCompare(y))) ===
  JSON.stringify(Object.entries(b).sort(([x], [y]) => x.localeCompare(y)));

/** The index writes one item change costs, per index partition. */
function countIndexWrites(before: Item | undefined, after: Item | undefined): void {
  for (const index of EVENTS_TABLE.indexes) {
    const was = indexView(before, index);
    const is = indexView(after, index);
    const keyOf = (view: Item) => `${String(view[index.partitionKey.name])}\u0000${String(view[index.sortKey.name])}`;
    if (was && is && keyOf(was) === keyOf(is)) {
      if (!same(was, is)) count('writes', index.indexName, is[index.partitionKey.name]);
      continue;
    }
    if (was) count('writes', index.indexName, was[index.partitionKey.name]);
    if (is) count('writes', index.indexName, is[index.partitionKey.name]);
  }
}

/** The value a Query's key condition gives the partition key `attribute` (`name = :value`). */
function queriedPartition(input: Item, attribute: string): unknown {
  const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
  const values = (input.ExpressionAttributeValues ?? {}) as Record<string, unknown>;
  for (const [, name = '', value = ''] of String(input.KeyConditionExpression).matchAll(/([#\w]+)\s*=\s*(:\w+)/g)) {
    if ((names[name] ?? name) === attribute) return values[value];
  }
  return undefined;
}

/** Records every request the stores send; writes to the events table are read around to price their index writes. */
function recording(doc: DynamoDBDocumentClient): void {
  const send = doc.send.bind(doc) as (command: unknown) => Promise<Item>;
  const read = async (table: string, key: Item): Promise<Item | undefined> =>
    (await send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item as Item | undefined;
  (doc as unknown as { send: typeof send }).send = async (command) => {
    const name = (command as object).constructor.name;
    const input = (command as { input: Item }).input;
    const table = String(input.TableName);
    const label = table === TABLES.eventsTable ? 'events table' : 'tenants table';
    const units = input.ConsistentRead ? 1 : 0.5;
    if (name === 'GetCommand') count('reads', label, (input.Key as Item)[PK], units);
    if (name === 'QueryCommand') {
      const index = EVENTS_TABLE.indexes.find((i) => i.indexName === input.IndexName);
      count('reads', index?.indexName ?? label, queriedPartition(input, index?.partitionKey.name ?? PK), units);
    }
    if (name === 'BatchGetCommand') {
      const requests = input.RequestItems as Record<string, { Keys: Item[]; ConsistentRead?: boolean }>;
      for (const [t, request] of Object.entries(requests)) {
        const target = t === TABLES.eventsTable ? 'events table' : 'tenants table';
        for (const key of request.Keys) count('reads', target, key[PK], request.ConsistentRead ? 1 : 0.5);
      }
    }
    if (name !== 'PutCommand' && name !== 'UpdateCommand' && name !== 'DeleteCommand') return send(command);
    const key = (input.Key ?? { [PK]: (input.Item as Item)[PK], [SK]: (input.Item as Item)[SK] }) as Item;
    // A write whose condition fails is billed too (and changes no index).
    count('writes', label, key[PK]);
    if (table !== TABLES.eventsTable) return send(command);
    const before = await read(table, key);
    const out = await send(command);
    countIndexWrites(before, await read(table, key));
    return out;
  };
}

/** The hook as MifosX posts it (test/fixtures/mifosx-sms-send-ugd.json), one distinct number per event. */
function hook(i: number): HttpRequest {
  const body = JSON.stringify({
    mobileNo: `2547${String(i).padStart(8, '0')}`,
    message: 'Dear client, we received your payment. Thank you.',
  });
  return {
    method: 'POST',
    path: '/modules/sms/',
    headers: {
      'x-mifos-entity': 'sms',
      'x-mifos-action': 'send',
      'x-mifos-platform-tenantid': TENANT,
      'x-mifos-api-key': API_KEY,
      'content-type': 'application/json; charset=UTF-8',
    },
    query: {},
    params: {},
    body: Buffer.from(body),
  };
}

async function main(): Promise<void> {
  // The clock moves 1 ms per event: one tenant at 1 000 events/s, arrival order as in a burst.
  let tick = Date.UTC(2026, 2, 2, 9);
  const pipeline = await startPipeline({ tables: TABLES, tenantId: TENANT, apiKey: API_KEY, now: () => tick });

  recording(pipeline.doc);
  const outcomes = new Map<string, number>();
  const batch = 50;
  for (let i = 0; i < EVENTS; i += batch) {
    const size = Math.min(batch, EVENTS - i);
    await Promise.all(Array.from({ length: size }, (_, j) => pipeline.ingest(hook(i + j))));
    tick += size;
    for (const outcome of await pipeline.drain()) {
      const key = outcome.action === 'ack' ? `ack ${outcome.status}` : outcome.action;
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    }
    if ((i + size) % 1000 === 0) process.stderr.write(`${i + size} events\n`);
  }
  if (outcomes.get('ack sent') !== EVENTS) {
    throw new Error(`expected ${EVENTS} events sent, got ${JSON.stringify(Object.fromEntries(outcomes))}`);
  }

  const summaries = [...rows.values()].map((row) => {
    const counts = [...row.counts.entries()];
    const total = counts.reduce((n, [, c]) => n + c, 0);
    const [hotKey, hot] = counts.reduce((a, b) => (b[1] > a[1] ? b : a), ['', 0] as [string, number]);
    const perPartition = row.kind === 'writes' ? WCU_PER_PARTITION : RCU_PER_PARTITION;
    // Capacity units per event landing on the hottest key.
    const perEventOnHotKey = hot / EVENTS;
    return {
      kind: row.kind,
      target: row.target,
      units: total,
      perEvent: Number((total / EVENTS).toFixed(2)),
      keys: counts.length,
      hotKey,
      hotShare: Number((total === 0 ? 0 : hot / total).toFixed(4)),
      ceilingEventsPerSecond: perEventOnHotKey === 0 ? null : Math.floor(perPartition / perEventOnHotKey),
    };
  });
  summaries.sort((a, b) => a.kind.localeCompare(b.kind) || a.target.localeCompare(b.target));
  const ceiling = Math.min(...summaries.map((r) => r.ceilingEventsPerSecond ?? Number.POSITIVE_INFINITY));
  for (const r of summaries) {
    console.log(
      `${r.kind.padEnd(6)} ${r.target.padEnd(15)} ${String(r.units).padStart(7)} units (${r.perEvent.toFixed(2)}/event) ` +
        `over ${String(r.keys).padStart(5)} keys; hottest ${r.hotKey} takes ${(r.hotShare * 100).toFixed(2)} % → ` +
        `${r.ceilingEventsPerSecond} events/s`,
    );
  }
  console.log(
    `sustained ceiling (one tenant, ${WCU_PER_PARTITION} WCU/s and ${RCU_PER_PARTITION} RCU/s per partition): ` +
      `${ceiling} events/s`,
  );
  const file = path.join(__dirname, 'results.json');
  const results = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  results.partitions = {
    events: EVENTS,
    tables: { events: EVENTS_TABLE.indexes.map((i) => i.indexName), tenants: TENANTS_TABLE.indexes.length },
    wcuPerPartition: WCU_PER_PARTITION,
    rcuPerPartition: RCU_PER_PARTITION,
    rows: summaries,
    ceilingEventsPerSecond: ceiling,
  };
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  await pipeline.close();
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
