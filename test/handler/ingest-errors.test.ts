import { DynamoDbEventStore } from '../../lambdas/adapters/dynamodb-event-store';
import type { EventStore } from '../../lambdas/core/ports';
import type { StoredEvent } from '../../lambdas/core/model';
import { apiEvent, toApiGatewayEvent } from '../helpers/apigw-events';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamo';
import { type Delivery, loadDelivery } from '../helpers/fixtures';
import { keyed } from './fixture-kinds';
import { type Harness, MAX_BODY_BYTES, type Result, startHarness } from './harness';

let dynamo: TestDynamo;
let h: Harness;
let tenant: string;
let key: string;
let counter = 0;
const SHARED_TENANT = 'err-shared';
let sharedKey: string;

beforeAll(async () => {
  dynamo = await startTestDynamo();
  h = await startHarness(dynamo, { label: 'ingest-errors' });
  // Error cases store nothing, so they share one tenant; the few tests that store register their own.
  sharedKey = await h.registerTenant(SHARED_TENANT);
});

afterAll(async () => {
  await h.close();
  await dynamo.close();
});

beforeEach(() => {
  tenant = SHARED_TENANT;
  key = sharedKey;
  h.queue.reset();
  h.useEvents(h.stores.events);
});

/** A tenant of its own, for tests that expect something to be stored. */
async function useOwnTenant(): Promise<void> {
  tenant = `err-${++counter}`;
  key = await h.registerTenant(tenant);
}

async function storedEvents(tenantId = tenant): Promise<StoredEvent[]> {
  return (await h.stores.events.listByTenant(tenantId, { limit: 100 })).items;
}

function errorOf(result: Result): { code: string; message: string } {
  const body = result.json as { error?: { code: string; message: string } };
  expect(body?.error).toEqual(expect.objectContaining({ code: expect.any(String), message: expect.any(String) }));
  return body.error!;
}

/** A Fineract SMS Bridge event of this test's tenant, with the issued key. */
function fineractEvent(): Delivery {
  return keyed(loadDelivery('fineract-sms-client-create-envelope'), key, tenant);
}

function without(delivery: Delivery, pattern: RegExp): Delivery {
  return {
    ...delivery,
    headers: Object.fromEntries(Object.entries(delivery.headers).filter(([name]) => !pattern.test(name))),
  };
}

describe.each([
  ['entity', /entity$/i, 'X-Fineract-Entity', 'X-Mifos-Entity'],
  ['action', /action$/i, 'X-Fineract-Action', 'X-Mifos-Action'],
  ['tenant', /tenantid$/i, 'Fineract-Platform-TenantId', 'X-Mifos-Platform-TenantId'],
])('missing %s header', (_what, pattern, fineractName, mifosName) => {
  test.each(['fineract-sms-client-create-envelope', 'mifosx-sms-loan-repayment', 'mifosx-web-json-loan-disburse'])(
    'on %s → 400 naming both accepted header names, nothing stored',
    async (fixture) => {
      // Prepare
      const event = toApiGatewayEvent(without(keyed(loadDelivery(fixture), key, tenant), pattern));

      // Act
      const result = await h.invoke(event);

      // Assess
      expect(result.statusCode).toBe(400);
      const error = errorOf(result);
      expect(error.code).toBe('missing_header');
      expect(error.message).toContain(fineractName);
      expect(error.message).toContain(mifosName);
      expect(await storedEvents()).toHaveLength(0);
      expect(h.queue.messages).toHaveLength(0);
    },
  );
});

test('all three hook headers missing → 400 naming all six header names', async () => {
  // Prepare
  const event = toApiGatewayEvent(without(fineractEvent(), /(entity|action|tenantid)$/i));

  // Act
  const result = await h.invoke(event);

  // Assess
  expect(result.statusCode).toBe(400);
  const { message } = errorOf(result);
  for (const name of [
    'X-Fineract-Entity',
    'X-Mifos-Entity',
    'X-Fineract-Action',
    'X-Mifos-Action',
    'Fineract-Platform-TenantId',
    'X-Mifos-Platform-TenantId',
  ]) {
    expect(message).toContain(name);
  }
});

test.each([
  ['truncated JSON', '{"clientId":42,'],
  ['not JSON at all', 'clientId=42'],
  ['a JSON array', '[{"clientId":42}]'],
  ['a JSON string', '"hello"'],
])('malformed JSON body (%s) → 400 malformed_json, nothing stored', async (_what, body) => {
  // Prepare
  const event = toApiGatewayEvent({ ...fineractEvent(), body });

  // Act
  const result = await h.invoke(event);

  // Assess
  expect(result.statusCode).toBe(400);
  expect(errorOf(result).code).toBe('malformed_json');
  expect(await storedEvents()).toHaveLength(0);
});

test.each([
  'text/xml',
  'application/xml; charset=UTF-8',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
])('unsupported Content-Type %s → 415 naming the supported types, nothing stored', async (contentType) => {
  // Prepare
  const delivery = fineractEvent();
  const event = toApiGatewayEvent({ ...delivery, headers: { ...delivery.headers, 'Content-Type': contentType } });

  // Act
  const result = await h.invoke(event);

  // Assess
  expect(result.statusCode).toBe(415);
  const error = errorOf(result);
  expect(error.code).toBe('unsupported_media_type');
  expect(error.message).toContain('application/json');
  expect(error.message).toContain('application/x-www-form-urlencoded');
  expect(await storedEvents()).toHaveLength(0);
});

test.each([false, true])('body one byte over 1 MB (base64: %s) → 413, nothing stored', async (base64) => {
  // Prepare
  const padding = 'x'.repeat(MAX_BODY_BYTES + 1 - '{"clientId":42,"pad":""}'.length);
  const body = `{"clientId":42,"pad":"${padding}"}`;
  const event = toApiGatewayEvent({ ...fineractEvent(), body }, { base64 });

  // Act
  const result = await h.invoke(event);

  // Assess
  expect(Buffer.byteLength(body)).toBe(MAX_BODY_BYTES + 1);
  expect(result.statusCode).toBe(413);
  expect(errorOf(result).code).toBe('payload_too_large');
  expect(await storedEvents()).toHaveLength(0);
});

test('a body of exactly 1 MB is accepted and round-trips through the store (gzip path)', async () => {
  // Prepare
  await useOwnTenant();
  const padding = 'x'.repeat(MAX_BODY_BYTES - '{"clientId":42,"pad":""}'.length);
  const body = `{"clientId":42,"pad":"${padding}"}`;
  const event = toApiGatewayEvent({ ...fineractEvent(), body });

  // Act
  const result = await h.invoke(event);

  // Assess
  expect(Buffer.byteLength(body)).toBe(MAX_BODY_BYTES);
  expect(result.statusCode).toBe(200);
  const stored = await h.stores.events.get(tenant, (result.json as { eventId: string }).eventId);
  expect(stored?.rawBody).toBe(body);
});

test.each([
  ['POST', '/modules/sms/unknown'],
  ['POST', '/webhook'],
  ['GET', '/modules/sms/events'],
  ['GET', '/hooks/a/b'],
])('%s %s (unknown path) → 404 pointing at the right paths', async (method, path) => {
  // Prepare
  const event = apiEvent(method, path, { 'content-type': 'application/json' }, method === 'POST' ? '{}' : '');

  // Act
  const result = await h.invoke(event);

  // Assess
  expect(event.routeKey).toBe('$default');
  expect(result.statusCode).toBe(404);
  const error = errorOf(result);
  expect(error.code).toBe('not_found');
  expect(error.message).toContain('/modules/sms/');
});

test.each([
  ['PUT', '/modules/sms/', 'GET, POST'],
  ['DELETE', '/hooks/abc/', 'GET, POST'],
  ['GET', '/configuration', 'POST'],
  ['PATCH', '/modules/sms/configuration', 'POST'],
  ['POST', '/modules/sms/events/default', 'GET'],
  ['PUT', '/modules/sms/configuration/default', 'GET, DELETE'],
])('%s %s (wrong method) → 405 with Allow: %s', async (method, path, allow) => {
  // Prepare
  const event = apiEvent(method, path, { 'content-type': 'application/json' }, '{}');

  // Act
  const result = await h.invoke(event);

  // Assess
  expect(result.statusCode).toBe(405);
  expect(result.headers.allow).toBe(allow);
  expect(errorOf(result).code).toBe('method_not_allowed');
});

test.each([
  ['an unknown key in the header', (d: Delivery) => keyed(d, 'fhk_not-a-key-we-issued', tenant)],
  ['no key header at all', (d: Delivery) => without(keyed(d, key, tenant), /api-key$/i)],
  ['an empty key header', (d: Delivery) => keyed(d, '', tenant)],
])('%s → 401, nothing stored', async (_what, mutate) => {
  // Prepare
  const event = toApiGatewayEvent(mutate(loadDelivery('mifosx-sms-loan-repayment')));

  // Act
  const result = await h.invoke(event);

  // Assess
  expect(result.statusCode).toBe(401);
  expect(errorOf(result).code).toBe('unauthorized');
  expect(await storedEvents()).toHaveLength(0);
});

test('a Web hook posted to /hooks/{unknown key}/ → 401, nothing stored', async () => {
  // Prepare
  const event = toApiGatewayEvent(keyed(loadDelivery('mifosx-web-json-loan-disburse'), 'fhk_unknown', tenant));

  // Act
  const result = await h.invoke(event);

  // Assess
  expect(event.rawPath).toBe('/hooks/fhk_unknown/');
  expect(result.statusCode).toBe(401);
  expect(await storedEvents()).toHaveLength(0);
});

test('the key of tenant A with the tenant header of tenant B → 401 with the same message as an unknown key', async () => {
  // Prepare
  const tenantB = `${tenant}-b`;
  const keyB = await h.registerTenant(tenantB);
  const crossed = toApiGatewayEvent(keyed(loadDelivery('mifosx-sms-loan-repayment'), key, tenantB));
  const unknown = toApiGatewayEvent(keyed(loadDelivery('mifosx-sms-loan-repayment'), 'fhk_unknown', tenantB));

  // Act
  const crossedResult = await h.invoke(crossed);
  const unknownResult = await h.invoke(unknown);

  // Assess
  expect(keyB).not.toBe(key);
  expect(crossedResult.statusCode).toBe(401);
  expect(crossedResult.text).toBe(unknownResult.text);
  expect(await storedEvents(tenantB)).toHaveLength(0);
  expect(await storedEvents(tenant)).toHaveLength(0);
});

test('the key of tenant A on a Web hook path with the tenant header of tenant B → 401', async () => {
  // Prepare
  const tenantB = `${tenant}-b`;
  await h.registerTenant(tenantB);
  const event = toApiGatewayEvent(keyed(loadDelivery('fineract-web-json-loan-repayment-envelope'), key, tenantB));

  // Act
  const result = await h.invoke(event);

  // Assess
  expect(result.statusCode).toBe(401);
  expect(await storedEvents(tenantB)).toHaveLength(0);
});

/** The only answer a sender may see for an internal fault. */
const GENERIC_500 = {
  error: { code: 'internal_error', message: 'The receiver could not take this event now; nothing was stored.' },
};

test('the events store and the queue both throwing → 500 whose body has no internals, nothing stored or enqueued', async () => {
  // Prepare
  h.queue.failAlways(new Error('queue unavailable'));
  const table = h.stores.tables.eventsTable;
  const failing: EventStore = Object.assign(Object.create(h.stores.events) as EventStore, {
    putIfAbsent: async () => {
      const error = new Error(
        `ProvisionedThroughputExceededException on table ${table} (arn:aws:dynamodb:eu-west-1:123456789012:table/${table})`,
      );
      error.name = 'ProvisionedThroughputExceededException';
      throw error;
    },
  });
  h.useEvents(failing);
  const event = toApiGatewayEvent(fineractEvent());

  // Act
  const result = await h.invoke(event);

  // Assess
  expect(result.statusCode).toBe(500);
  expect(result.json).toEqual(GENERIC_500);
  expect(result.text).not.toContain(table);
  expect(result.text).not.toMatch(/arn:aws|Exception|\bat \w|stack|\.ts:/);
  expect(await storedEvents()).toHaveLength(0);
  expect(h.queue.messages).toHaveLength(0);
  expect(h.logger.text()).toContain('ProvisionedThroughputExceededException');
});

test('a real SDK fault (events table missing) and the queue down → the same generic 500, no table name', async () => {
  // Prepare
  h.queue.failAlways(new Error('queue unavailable'));
  const missingTable = `${h.stores.tables.eventsTable}-missing`;
  h.useEvents(new DynamoDbEventStore(dynamo.doc, missingTable));
  const event = toApiGatewayEvent(fineractEvent());

  // Act
  const result = await h.invoke(event);

  // Assess
  expect(result.statusCode).toBe(500);
  expect(result.json).toEqual(GENERIC_500);
  expect(result.text).not.toContain(missingTable);
  expect(result.text).not.toContain('ResourceNotFound');
  expect(h.queue.messages).toHaveLength(0);
  expect(await storedEvents()).toHaveLength(0);
});

test('after an internal fault the same delivery is stored normally once the store is back (nothing half-stored)', async () => {
  // Prepare
  await useOwnTenant();
  h.useEvents(new DynamoDbEventStore(dynamo.doc, `${h.stores.tables.eventsTable}-missing`));
  h.queue.failAlways(new Error('queue unavailable'));
  const event = toApiGatewayEvent(fineractEvent());
  const failed = await h.invoke(event);
  h.useEvents(h.stores.events);
  h.queue.failAlways(undefined);

  // Act
  const retried = await h.invoke(event);

  // Assess
  expect(failed.statusCode).toBe(500);
  expect(retried.statusCode).toBe(200);
  expect(retried.json).toMatchObject({ status: 'accepted' });
  expect(await storedEvents()).toHaveLength(1);
});

test('the events store throwing → 200 after the whole event went to the queue, nothing stored yet', async () => {
  // Prepare
  await useOwnTenant();
  const throttled: EventStore = Object.assign(Object.create(h.stores.events) as EventStore, {
    putIfAbsent: async () => {
      const error = new Error('Rate of requests exceeds the allowed throughput.');
      error.name = 'ProvisionedThroughputExceededException';
      throw error;
    },
  });
  h.useEvents(throttled);
  const delivery = fineractEvent();

  // Act
  const result = await h.invoke(toApiGatewayEvent(delivery));

  // Assess
  expect(result.statusCode).toBe(200);
  const { eventId } = result.json as { eventId: string };
  expect(result.json).toEqual({ status: 'accepted', eventId });
  expect(await storedEvents()).toHaveLength(0);
  expect(h.queue.messages).toEqual([
    { tenantId: tenant, eventId, unstored: expect.objectContaining({ eventId, rawBody: delivery.body }) },
  ]);
});
