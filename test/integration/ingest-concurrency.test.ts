import { loadDelivery, withKey, withTenant } from '../helpers/fixtures';
import { send, startTestReceiver, type TestReceiver } from '../helpers/receiver';

let server: TestReceiver;
let keyA: string;
let keyB: string;

/** Registers `tenantId` over HTTP with the MifosX registration fixture; returns the key. */
async function register(tenantId: string): Promise<string> {
  const delivery = loadDelivery('mifosx-sms-registration');
  const body = JSON.stringify({ ...JSON.parse(delivery.body), tenantId });
  const result = await send(server.url, { ...delivery, body });
  if (result.status !== 201 || typeof result.body !== 'string')
    throw new Error(`registration failed: ${result.status} ${result.text}`);
  return result.body;
}

async function listEvents(tenantId: string, key: string): Promise<{ id: string }[]> {
  const result = await send(server.url, {
    method: 'GET',
    path: `/modules/sms/events/${tenantId}?limit=100`,
    headers: { 'X-Fineract-API-Key': key },
    body: '',
  });
  expect(result.status).toBe(200);
  return (result.body as { events: { id: string }[] }).events;
}

beforeAll(async () => {
  server = await startTestReceiver();
  keyA = await register('tenant-a');
  keyB = await register('tenant-b');
});

afterAll(async () => {
  await server.stop();
});

test('20 concurrent identical POSTs → all answered 200, exactly one accepted and 19 duplicates, one stored event', async () => {
  // Prepare
  const delivery = withTenant(withKey(loadDelivery('fineract-sms-client-create-envelope'), keyA), 'tenant-a');

  // Act
  const results = await Promise.all(Array.from({ length: 20 }, () => send(server.url, delivery)));

  // Assess
  expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
  const statuses = results.map((r) => (r.body as { status: string }).status);
  expect(statuses.filter((s) => s === 'accepted')).toHaveLength(1);
  expect(statuses.filter((s) => s === 'duplicate')).toHaveLength(19);
  const eventIds = new Set(results.map((r) => (r.body as { eventId: string }).eventId));
  expect(eventIds.size).toBe(1);
  const stored = await listEvents('tenant-a', keyA);
  expect(stored.map((e) => e.id)).toEqual([...eventIds]);
});

test('20 concurrent distinct POSTs → 20 accepted and 20 stored events', async () => {
  // Prepare
  const base = withTenant(withKey(loadDelivery('mifosx-sms-loan-repayment'), keyB), 'tenant-b');
  const deliveries = Array.from({ length: 20 }, (_, i) => ({
    ...base,
    body: JSON.stringify({ ...JSON.parse(base.body), resourceId: 1000 + i }),
  }));

  // Act
  const results = await Promise.all(deliveries.map((d) => send(server.url, d)));

  // Assess
  expect(results.map((r) => (r.body as { status: string }).status)).toEqual(Array(20).fill('accepted'));
  expect(await listEvents('tenant-b', keyB)).toHaveLength(20);
});

test('the key of tenant A with the tenant header of tenant B → 401 with the same message as an unknown key', async () => {
  // Prepare
  const fixture = loadDelivery('mifosx-sms-client-create');
  const crossed = withTenant(withKey(fixture, keyA), 'tenant-b');
  const unknown = withTenant(withKey(fixture, 'fhk_unknown-key'), 'tenant-b');
  const before = (await listEvents('tenant-b', keyB)).length;

  // Act
  const crossedResult = await send(server.url, crossed);
  const unknownResult = await send(server.url, unknown);

  // Assess
  expect(crossedResult.status).toBe(401);
  expect(unknownResult.status).toBe(401);
  expect(crossedResult.text).toBe(unknownResult.text);
  expect(crossedResult.body).toMatchObject({ error: { code: 'unauthorized' } });
  expect(await listEvents('tenant-b', keyB)).toHaveLength(before);
});

test('the key of tenant A cannot read tenant B events either', async () => {
  // Prepare
  const request = {
    method: 'GET',
    path: '/modules/sms/events/tenant-b',
    headers: { 'X-Mifos-API-Key': keyA },
    body: '',
  };

  // Act
  const result = await send(server.url, request);

  // Assess
  expect(result.status).toBe(401);
});
