import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FakeFineract } from '../helpers/fake-fineract';
import { allDeliveries, type Delivery, loadDelivery, withKey } from '../helpers/fixtures';
import { send, startTestReceiver, type TestReceiver, waitFor } from '../helpers/receiver';

/** SMS Bridge deliveries carry the key in a header; Web hook deliveries in the Payload URL path. */
function keyed(delivery: Delivery, key: string): Delivery {
  const web = !Object.keys(delivery.headers).some((h) => /api-key$/i.test(h));
  return web ? { ...delivery, path: `/hooks/${key}/` } : withKey(delivery, key);
}

const registration = loadDelivery('mifosx-sms-registration');
const eventFixtures = allDeliveries().filter((d) => d.method === 'POST' && !/\/configuration$/.test(d.path));

let dataDir: string;
let fineract: FakeFineract;
let first: TestReceiver | undefined;
let second: TestReceiver | undefined;

beforeAll(async () => {
  // The tenant's callbacks go to a fake MifosX on loopback, so the worker never leaves the machine.
  fineract = await FakeFineract.start({ basePath: '/mifosng-provider/api/v1/', tenantHeader: 'either' });
  fineract.addClient({ id: 42, displayName: 'Jane Doe', mobileNo: '254712345678' });
  fineract.addLoan({ id: 7, accountNo: '000000007', clientId: 42, clientName: 'Jane Doe' });
});

afterAll(async () => {
  await first?.stop({ keepData: true });
  await second?.stop({ keepData: true });
  await fineract.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function listEvents(url: string, key: string): Promise<{ status: number; ids: string[] }> {
  const result = await send(url, {
    method: 'GET',
    path: '/modules/sms/events/default?limit=100',
    headers: { 'X-Mifos-API-Key': key },
    body: '',
  });
  const events = (result.body as { events?: { id: string }[] }).events ?? [];
  return { status: result.status, ids: events.map((e) => e.id) };
}

test('a tenant and all its events survive a restart of the local server on the same data dir', async () => {
  // Prepare
  dataDir = mkdtempSync(path.join(tmpdir(), 'fhr-e2e-'));
  first = await startTestReceiver({ dataDir });
  const body = { ...JSON.parse(registration.body), endpoint: fineract.apiBase };
  const registered = await send(first.url, { ...registration, body: JSON.stringify(body) });
  const key = registered.body as string;
  const accepted: string[] = [];
  for (const fixture of eventFixtures) {
    const result = await send(first.url, keyed(fixture, key));
    expect({ fixture: fixture.name, status: result.status, body: result.body }).toEqual({
      fixture: fixture.name,
      status: 200,
      body: { status: 'accepted', eventId: expect.any(String) },
    });
    accepted.push((result.body as { eventId: string }).eventId);
  }
  const beforeStop = await listEvents(first.url, key);
  await first.stop({ keepData: true });
  first = undefined;

  // Act
  second = await startTestReceiver({ dataDir });
  const afterRestart = await listEvents(second.url, key);
  const config = await send(second.url, {
    method: 'GET',
    path: '/modules/sms/configuration/default',
    headers: { 'X-Fineract-API-Key': key },
    body: '',
  });
  const resent = await send(second.url, keyed(eventFixtures[0]!, key));
  const wrongKey = await listEvents(second.url, 'fhk_not-the-key');

  // Assess
  expect(registered.status).toBe(201);
  expect(accepted).toHaveLength(eventFixtures.length);
  expect(new Set(accepted).size).toBe(eventFixtures.length);
  expect(beforeStop.ids.sort()).toEqual([...accepted].sort());
  expect(afterRestart.status).toBe(200);
  expect(afterRestart.ids.sort()).toEqual([...accepted].sort());
  expect(config.status).toBe(200);
  expect(config.body).toMatchObject({ tenantId: 'default', endpoint: fineract.apiBase });
  expect(resent.body).toEqual({ status: 'duplicate', eventId: accepted[0] });
  expect(wrongKey.status).toBe(401);
});

test('events the worker finished keep their outcome across a restart, and no SMS is sent again', async () => {
  // Prepare
  const dir = mkdtempSync(path.join(tmpdir(), 'fhr-e2e-'));
  const server = await startTestReceiver({ dataDir: dir });
  const body = { ...JSON.parse(registration.body), endpoint: fineract.apiBase };
  const key = (await send(server.url, { ...registration, body: JSON.stringify(body) })).body as string;
  for (const fixture of eventFixtures) await send(server.url, keyed(fixture, key));
  const settled = await waitFor(
    async () => {
      const events = await statusesOf(server.url, key);
      return events.length === eventFixtures.length && events.every((e) => e.processed) ? events : undefined;
    },
    15_000,
    'every event to reach a final status',
  );
  const outboxBefore = readOutbox(dir);
  await server.stop({ keepData: true });

  // Act
  const restarted = await startTestReceiver({ dataDir: dir });
  try {
    const after = await statusesOf(restarted.url, key);

    // Assess
    expect(after).toEqual(settled);
    expect(outboxBefore.length).toBeGreaterThan(0);
    expect(readOutbox(dir)).toEqual(outboxBefore);
    expect(restarted.logger.text()).not.toContain('resumed in-flight events');
  } finally {
    await restarted.stop();
  }
});

async function statusesOf(url: string, key: string): Promise<{ id: string; status: string; processed: boolean }[]> {
  const result = await send(url, {
    method: 'GET',
    path: '/modules/sms/events/default?limit=100',
    headers: { 'X-Mifos-API-Key': key },
    body: '',
  });
  const events = (result.body as { events: { id: string; status: string; processed: boolean }[] }).events;
  return events
    .map(({ id, status, processed }) => ({ id, status, processed }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

function readOutbox(dir: string): string[] {
  const file = path.join(dir, 'outbox.jsonl');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}
