import { apiEvent, toApiGatewayEvent } from '../helpers/apigw-events';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamo';
import { loadDelivery } from '../helpers/fixtures';
import { fixturesByKind, keyed } from './fixture-kinds';
import { type Harness, registrationFor, startHarness } from './harness';

const { events } = fixturesByKind();

let dynamo: TestDynamo;
let h: Harness;
let tenant: string;
let key: string;
let counter = 0;

beforeAll(async () => {
  dynamo = await startTestDynamo();
  h = await startHarness(dynamo, { label: 'admin' });
});

afterAll(async () => {
  await h.close();
  await dynamo.close();
});

beforeEach(async () => {
  tenant = `adm-${++counter}`;
  key = await h.registerTenant(tenant);
  h.queue.reset();
});

/** The old bridge's admin calls carry the key in the usual API-key header (either family). */
function adminEvent(method: string, path: string, apiKey = key, headerName = 'X-Fineract-API-Key') {
  return apiEvent(method, path, { [headerName]: apiKey });
}

async function postAllEvents(): Promise<string[]> {
  const ids: string[] = [];
  for (const delivery of events) {
    h.clock.advanceSeconds(1);
    const result = await h.invoke(toApiGatewayEvent(keyed(delivery, key, tenant)));
    ids.push((result.json as { eventId: string }).eventId);
  }
  return ids;
}

test('GET /modules/sms/events/{tenant} lists every stored event newest first, in the old bridge field names', async () => {
  // Prepare
  const ids = await postAllEvents();

  // Act
  const result = await h.invoke(adminEvent('GET', `/modules/sms/events/${tenant}`));

  // Assess
  expect(result.statusCode).toBe(200);
  const body = result.json as { tenantId: string; events: Record<string, unknown>[]; nextCursor: string | null };
  expect(body.tenantId).toBe(tenant);
  expect(body.events.map((e) => e.id)).toEqual([...ids].reverse());
  expect(body.events[0]).toEqual(
    expect.objectContaining({ tenantId: tenant, processed: false, errorMessage: null, payload: expect.any(String) }),
  );
  expect(body.nextCursor).toBeNull();
});

test('listing pages with limit and cursor and visits every event once', async () => {
  // Prepare
  const ids = await postAllEvents();
  const seen: string[] = [];
  let cursor: string | null = null;

  // Act
  do {
    const query: string = cursor ? `?limit=3&cursor=${encodeURIComponent(cursor)}` : '?limit=3';
    const result = await h.invoke(adminEvent('GET', `/modules/sms/events/${tenant}${query}`));
    expect(result.statusCode).toBe(200);
    const page = result.json as { events: { id: string }[]; nextCursor: string | null };
    expect(page.events.length).toBeLessThanOrEqual(3);
    seen.push(...page.events.map((e) => e.id));
    cursor = page.nextCursor;
  } while (cursor);

  // Assess
  expect(seen).toEqual([...ids].reverse());
});

test.each(['0', '101', 'ten'])('limit=%s → 400', async (limit) => {
  // Prepare
  const event = adminEvent('GET', `/modules/sms/events/${tenant}?limit=${limit}`);

  // Act
  const result = await h.invoke(event);

  // Assess
  expect(result.statusCode).toBe(400);
  expect(result.json).toMatchObject({ error: { code: 'bad_request' } });
});

const cursorOf = (key: unknown) => Buffer.from(JSON.stringify(key)).toString('base64url');

test.each([
  ['not base64 JSON', () => 'not-a-cursor'],
  ['JSON but not a key', () => cursorOf({ a: 1 })],
  ['null', () => cursorOf(null)],
  [
    'a key of another tenant',
    () => cursorOf({ pk: 'T#x', sk: 'E#y', gsi1pk: 'T#x', gsi1sk: '2024-10-24T09:12:34.000Z#y' }),
  ],
])('a cursor that is not one of ours (%s) → 400, not 500', async (_what, cursor) => {
  // Prepare
  await postAllEvents();
  const event = adminEvent('GET', `/modules/sms/events/${tenant}?cursor=${cursor()}`);

  // Act
  const result = await h.invoke(event);

  // Assess
  expect(result.statusCode).toBe(400);
  expect(result.json).toMatchObject({ error: { code: 'bad_request', message: 'cursor is not valid.' } });
});

test('listing with the MifosX header name works too; another tenant key or none → 401 with the same message', async () => {
  // Prepare
  const otherKey = await h.registerTenant(`${tenant}-other`);

  // Act
  const mifos = await h.invoke(adminEvent('GET', `/modules/sms/events/${tenant}`, key, 'X-Mifos-API-Key'));
  const crossed = await h.invoke(adminEvent('GET', `/modules/sms/events/${tenant}`, otherKey));
  const none = await h.invoke(apiEvent('GET', `/modules/sms/events/${tenant}`));

  // Assess
  expect(mifos.statusCode).toBe(200);
  expect(crossed.statusCode).toBe(401);
  expect(none.statusCode).toBe(401);
  expect(crossed.text).toBe(none.text);
});

test('GET /modules/sms/configuration/{tenant} shows the config but never a secret', async () => {
  // Prepare
  const registration = JSON.parse(registrationFor(tenant).body) as Record<string, string>;

  // Act
  const result = await h.invoke(adminEvent('GET', `/modules/sms/configuration/${tenant}`));

  // Assess
  expect(result.statusCode).toBe(200);
  expect(result.json).toMatchObject({
    tenantId: tenant,
    smsProvider: 'twilio',
    phoneNo: registration.phoneNo,
    smsProviderAccountId: 'AC01…cdef',
    credentialsValid: true,
    keys: [expect.objectContaining({ fingerprint: expect.any(String), expiresAt: null })],
  });
  expect(result.text).not.toContain(registration.smsProviderToken);
  expect(result.text).not.toContain(registration.mifosToken);
  expect(result.text).not.toContain(registration.smsProviderAccountId);
  expect(result.text).not.toContain(key);
});

test('DELETE /modules/sms/configuration/{tenant} removes config, keys and secret; the key stops working at once', async () => {
  // Prepare
  const event = adminEvent('DELETE', `/modules/sms/configuration/${tenant}`);

  // Act
  const result = await h.invoke(event);
  const after = await h.invoke(toApiGatewayEvent(keyed(loadDelivery('mifosx-sms-client-create'), key, tenant)));

  // Assess
  expect(result.statusCode).toBe(200);
  expect(result.json).toEqual({ status: 'deleted', tenantId: tenant });
  expect(await h.stores.tenants.getTenant(tenant)).toBeUndefined();
  expect(await h.stores.tenants.listApiKeys(tenant)).toEqual([]);
  expect(await h.secrets.getTenantSecret(tenant)).toBeUndefined();
  expect(after.statusCode).toBe(401);
});

test('POST /modules/sms/events/{tenant}/_resend re-drives failed and dead events only', async () => {
  // Prepare
  const [failedId, deadId, sentId] = (await postAllEvents()).slice(0, 3) as [string, string, string];
  await h.stores.events.update(tenant, failedId, { status: 'failed', lastError: 'Twilio said no' });
  await h.stores.events.update(tenant, deadId, { status: 'dead' });
  await h.stores.events.update(tenant, sentId, { status: 'sent' });
  h.queue.reset();

  // Act
  const result = await h.invoke(adminEvent('POST', `/modules/sms/events/${tenant}/_resend`));

  // Assess
  expect(result.statusCode).toBe(200);
  expect(result.json).toMatchObject({ status: 'resent', tenantId: tenant, count: 2 });
  expect((result.json as { eventIds: string[] }).eventIds.sort()).toEqual([failedId, deadId].sort());
  expect(h.queue.messages.map((m) => m.eventId).sort()).toEqual([failedId, deadId].sort());
  expect((await h.stores.events.get(tenant, failedId))?.status).toBe('received');
  expect((await h.stores.events.get(tenant, sentId))?.status).toBe('sent');
});
