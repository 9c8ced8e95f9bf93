/**
 * `npx tsx bench/item-sizes.ts`: what one SMS event's items weigh in the events table and what each of its writes
 * costs, for the bench's two bodies (bench/events.ts: a Fineract envelope, a MifosX flat body). Runs the real ingest,
 * worker and two Twilio delivery reports per event on the embedded engine with sealing on, and reads the item
 * before and after every write (bench/item-size.ts: a write costs one WRU per started KB of the larger). Prints one
 * line per write and the totals; not a test.
 */
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { PK, SK } from '../lambdas/adapters/table-schema';
import type { HttpRequest } from '../lambdas/core/http';
import { eventSource, MOBILE_NO, TENANT_ID } from './events';
import { itemSize, writeUnitsOf } from './item-size';
import { startPipeline } from './pipeline';

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

async function main(): Promise<void> {
  const tick = Date.UTC(2026, 2, 2, 9);
  const pipeline = await startPipeline({
    tables: TABLES,
    tenantId: TENANT_ID,
    apiKey: API_KEY,
    now: () => tick,
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
  });
  const source = eventSource({ apiKey: API_KEY, prefix: 'size', idBase: 1000, mix: 'mixed' });
  for (const seq of [0, 1]) {
    const lines: WriteLine[] = [];
    let step = 'ingest';
    recording(pipeline.doc, lines, () => step);
    const hook = source.make(seq);
    await pipeline.ingest(toRequest(hook));
    for (const outcome of await pipeline.drain((next) => {
      step = next;
    })) {
      if (outcome.action !== 'ack') throw new Error(`worker: ${JSON.stringify(outcome)}`);
    }
    (pipeline.doc as unknown as { send: unknown }).send = Object.getPrototypeOf(pipeline.doc).send.bind(pipeline.doc);
    console.log(`${hook.shape} body (${Buffer.byteLength(hook.body)} bytes):`);
    for (const l of lines) {
      console.log(
        `  ${l.step.padEnd(14)} ${l.sk.padEnd(3)} ${String(l.before).padStart(5)} → ${String(l.after).padStart(5)} B  ${l.wru} WRU`,
      );
    }
    const total = lines.reduce((n, l) => n + l.wru, 0);
    console.log(`  ${lines.length} writes, ${total} table WRU`);
  }
  await pipeline.close();
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
