import type { StoredEvent } from '../../lambdas/core/model';
import { apiEvent, toApiGatewayEvent } from '../helpers/apigw-events';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamo';
import { allDeliveries, loadDelivery } from '../helpers/fixtures';
import { fixturesByKind, isWebHook, keyed } from './fixture-kinds';
import { type Harness, startHarness } from './harness';

/** What each event fixture must be stored as (docs/protocol.md §2–§3). */
const EXPECTED: Record<string, Partial<StoredEvent>> = {
  'fineract-sms-client-create-envelope': {
    entity: 'CLIENT',
    action: 'CREATE',
    source: 'fineract',
    template: 'sms-bridge',
    shape: 'envelope',
    encoding: 'json',
    failed: false,
    ids: { clientId: 42, officeId: 1, resourceId: 42 },
  },
  'fineract-web-json-loan-repayment-envelope': {
    entity: 'LOAN',
    action: 'REPAYMENT',
    source: 'fineract',
    template: 'web',
    shape: 'envelope',
    encoding: 'json',
    failed: false,
    ids: { clientId: 42, officeId: 1, loanId: 7, resourceId: 118 },
    senderEndpoint: 'https://fineract.example.org/fineract-provider/api/',
  },
  'fineract-web-json-loan-repayment-failed': {
    entity: 'LOAN',
    action: 'REPAYMENT',
    source: 'fineract',
    template: 'web',
    shape: 'failed-envelope',
    failed: true,
  },
  'mifosx-sms-client-create': {
    entity: 'CLIENT',
    action: 'CREATE',
    source: 'mifosx',
    template: 'sms-bridge',
    shape: 'flat',
    failed: false,
    ids: { clientId: 42, officeId: 1, resourceId: 42 },
  },
  'mifosx-sms-loan-repayment': {
    entity: 'LOAN',
    action: 'REPAYMENT',
    source: 'mifosx',
    template: 'sms-bridge',
    shape: 'flat',
    ids: { clientId: 42, officeId: 1, loanId: 7, resourceId: 118 },
  },
  'mifosx-sms-send-ugd': {
    entity: 'SMS',
    action: 'SEND',
    entityRaw: 'sms',
    actionRaw: 'send',
    source: 'mifosx',
    template: 'sms-bridge',
    shape: 'sms-send',
  },
  'mifosx-web-form-loan-repayment': {
    entity: 'LOAN',
    action: 'REPAYMENT',
    source: 'mifosx',
    template: 'web',
    shape: 'flat',
    encoding: 'form',
    ids: { clientId: 42, officeId: 1, loanId: 7, resourceId: 118 },
    senderEndpoint: 'https://mifos.example.org:8443/mifosng-provider/api/v1/',
  },
  'mifosx-web-json-loan-disburse': {
    entity: 'LOAN',
    action: 'DISBURSE',
    source: 'mifosx',
    template: 'web',
    shape: 'flat',
    encoding: 'json',
    ids: { clientId: 42, officeId: 1, loanId: 7, resourceId: 7 },
  },
};

const { registrations, pings, events, other } = fixturesByKind();
const eventNames = events.map((d) => d.name);

let dynamo: TestDynamo;
let h: Harness;
let key: string;

let tenant: string;
let counter = 0;

beforeAll(async () => {
  dynamo = await startTestDynamo();
  h = await startHarness(dynamo, { label: 'ingest' });
});

afterAll(async () => {
  await h.close();
  await dynamo.close();
});

// One set of tables per file; every test gets a tenant and key of its own, so nothing leaks between tests.
// (The registration handshake that normally issues the key is covered in register.test.ts.)
beforeEach(async () => {
  tenant = `ingest-${++counter}`;
  key = await h.issueKey(tenant);
  h.queue.reset();
});

async function storedEvents(): Promise<StoredEvent[]> {
  return (await h.stores.events.listByTenant(tenant, { limit: 100 })).items;
}

test('every fixture file is a registration, a ping or an event, and every event fixture has expectations here', () => {
  // Prepare
  const total = allDeliveries().length;

  // Act
  const sorted = registrations.length + pings.length + events.length;

  // Assess
  expect(other).toEqual([]);
  expect(sorted).toBe(total);
  expect(registrations.length).toBeGreaterThan(0);
  expect(pings.length).toBeGreaterThan(0);
  expect(eventNames.sort()).toEqual(Object.keys(EXPECTED).sort());
});

describe.each(eventNames)('event fixture %s', (name) => {
  test('is answered 200 accepted only after it is stored, exactly as received, and is enqueued once', async () => {
    // Prepare
    const delivery = loadDelivery(name);
    const event = toApiGatewayEvent(keyed(delivery, key, tenant));

    // Act
    const result = await h.invoke(event);

    // Assess
    expect(result.statusCode).toBe(200);
    expect(result.headers['content-type']).toMatch(/^application\/json/);
    expect(result.json).toEqual({ status: 'accepted', eventId: expect.any(String) });
    const { eventId } = result.json as { eventId: string };
    const stored = await h.stores.events.get(tenant, eventId);
    expect(stored).toMatchObject({
      tenantId: tenant,
      eventId,
      status: 'received',
      attempts: 0,
      rawBody: delivery.body,
      receivedAt: '2024-10-24T09:12:34.000Z',
      dueAt: '2024-10-24T09:17:34.000Z',
      ...EXPECTED[name],
    });
    expect(stored?.contentType).toBe(delivery.headers['Content-Type']);
    expect(stored?.template).toBe(isWebHook(delivery) ? 'web' : 'sms-bridge');
    expect(h.queue.messages).toEqual([{ tenantId: tenant, eventId }]);
  });

  test('sent twice is answered 200 duplicate the second time and nothing new is stored or enqueued', async () => {
    // Prepare
    const event = toApiGatewayEvent(keyed(loadDelivery(name), key, tenant));
    const first = await h.invoke(event);

    // Act
    const second = await h.invoke(event);

    // Assess
    expect(first.json).toMatchObject({ status: 'accepted' });
    expect(second.statusCode).toBe(200);
    expect(second.json).toEqual({ status: 'duplicate', eventId: (first.json as { eventId: string }).eventId });
    expect(await storedEvents()).toHaveLength(1);
    expect(h.queue.messages).toHaveLength(1);
  });

  test('arriving base64-encoded (isBase64Encoded) is stored with the same decoded body', async () => {
    // Prepare
    const delivery = keyed(loadDelivery(name), key, tenant);
    const event = toApiGatewayEvent(delivery, { base64: true });

    // Act
    const result = await h.invoke(event);

    // Assess
    expect(event.isBase64Encoded).toBe(true);
    expect(event.body).not.toBe(delivery.body);
    expect(result.statusCode).toBe(200);
    const stored = await h.stores.events.get(tenant, (result.json as { eventId: string }).eventId);
    expect(stored?.rawBody).toBe(delivery.body);
  });

  test('with header names in the sender own mixed case (not lower-cased by a gateway) is accepted', async () => {
    // Prepare
    const event = toApiGatewayEvent(keyed(loadDelivery(name), key, tenant), { keepHeaderCase: true });

    // Act
    const result = await h.invoke(event);

    // Assess
    expect(Object.keys(event.headers).some((name) => name !== name.toLowerCase())).toBe(true);
    expect(result.statusCode).toBe(200);
    expect(result.json).toMatchObject({ status: 'accepted' });
    expect(await storedEvents()).toHaveLength(1);
  });
});

test('a body received as text and the same body received base64-encoded are one event (duplicate)', async () => {
  // Prepare
  const delivery = keyed(loadDelivery('mifosx-sms-loan-repayment'), key, tenant);
  const first = await h.invoke(toApiGatewayEvent(delivery, { base64: false }));

  // Act
  const second = await h.invoke(toApiGatewayEvent(delivery, { base64: true }));

  // Assess
  expect(first.json).toMatchObject({ status: 'accepted' });
  expect(second.json).toMatchObject({ status: 'duplicate' });
  expect(await storedEvents()).toHaveLength(1);
});

test('the same command with its JSON keys in another order is a duplicate; a different command is not', async () => {
  // Prepare
  const delivery = keyed(loadDelivery('mifosx-sms-loan-repayment'), key, tenant);
  const body = JSON.parse(delivery.body) as Record<string, unknown>;
  const reordered = Object.fromEntries(Object.entries(body).reverse());
  await h.invoke(toApiGatewayEvent(delivery));

  // Act
  const same = await h.invoke(toApiGatewayEvent({ ...delivery, body: JSON.stringify(reordered) }));
  const other = await h.invoke(toApiGatewayEvent({ ...delivery, body: JSON.stringify({ ...body, resourceId: 119 }) }));

  // Assess
  expect(same.json).toMatchObject({ status: 'duplicate' });
  expect(other.json).toMatchObject({ status: 'accepted' });
  expect(await storedEvents()).toHaveLength(2);
});

test('header names in arbitrary case, as some proxies send them, are matched case-insensitively', async () => {
  // Prepare
  const event = apiEvent(
    'POST',
    '/modules/sms',
    {
      'x-FINERACT-entity': 'loan',
      'X-Fineract-ACTION': 'Repayment',
      'FINERACT-PLATFORM-TENANTID': tenant,
      'x-fineract-api-KEY': key,
      'CONTENT-type': 'Application/JSON; Charset=UTF-8',
    },
    '{"clientId":42,"loanId":7,"resourceId":200}',
    { keepHeaderCase: true },
  );

  // Act
  const result = await h.invoke(event);

  // Assess
  expect(result.statusCode).toBe(200);
  const stored = await h.stores.events.get(tenant, (result.json as { eventId: string }).eventId);
  expect(stored).toMatchObject({ entity: 'LOAN', action: 'REPAYMENT', entityRaw: 'loan', source: 'fineract' });
});

describe.each(pings.map((d) => d.name))('ping fixture %s', (name) => {
  test('is answered 200 with a short JSON status and stores nothing', async () => {
    // Prepare
    const event = toApiGatewayEvent(loadDelivery(name));

    // Act
    const result = await h.invoke(event);

    // Assess
    expect(result.statusCode).toBe(200);
    expect(result.json).toMatchObject({ status: 'ok' });
    expect(await storedEvents()).toHaveLength(0);
    expect(h.queue.messages).toHaveLength(0);
  });
});

test.each(['/', '/modules/sms', '/modules/sms/', '/hooks/anything', '/hooks/anything/', '//modules//sms//'])(
  'GET %s (every ping URL a sender version uses) is answered 200 JSON by the ingest function',
  async (path) => {
    // Prepare
    const event = apiEvent('GET', path);

    // Act
    const result = await h.ingest(event);

    // Assess
    expect(result.statusCode).toBe(200);
    expect(result.json).toMatchObject({ status: 'ok', service: 'fineract-hook-receiver' });
  },
);

test('HEAD on the ingest path is answered 200 with no body', async () => {
  // Prepare
  const event = apiEvent('HEAD', '/modules/sms/');

  // Act
  const result = await h.ingest(event);

  // Assess
  expect(result.statusCode).toBe(200);
  expect(result.text).toBe('');
});

test('events reach the host root "/" (Fineract 1.5-1.6 ignore the Payload URL path) and are stored', async () => {
  // Prepare
  const delivery = { ...keyed(loadDelivery('fineract-sms-client-create-envelope'), key, tenant), path: '/' };

  // Act
  const result = await h.invoke(toApiGatewayEvent(delivery));

  // Assess
  expect(result.statusCode).toBe(200);
  expect(result.json).toMatchObject({ status: 'accepted' });
  expect(await storedEvents()).toHaveLength(1);
});

test('an enqueue failure still answers 200 accepted: the event is stored and due for the sweeper', async () => {
  // Prepare
  h.queue.failAlways(new Error('SQS is down'));
  const event = toApiGatewayEvent(keyed(loadDelivery('mifosx-sms-client-create'), key, tenant));

  // Act
  const result = await h.invoke(event);

  // Assess
  expect(result.statusCode).toBe(200);
  expect(result.json).toMatchObject({ status: 'accepted' });
  const { eventId } = result.json as { eventId: string };
  const due = await h.stores.events.listDue('2024-10-24T09:17:34.000Z', 1000);
  expect(due.filter((e) => e.tenantId === tenant).map((e) => e.eventId)).toEqual([eventId]);
  expect(h.logger.text()).toContain('the sweeper will dispatch this event');
});
