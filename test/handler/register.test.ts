import { TwilioSmsSender } from '../../lambdas/adapters/twilio-sms-sender';
import { hashApiKey } from '../../lambdas/core/api-keys';
import { apiEvent, toApiGatewayEvent } from '../helpers/apigw-events';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamo';
import { FakeTwilio } from '../helpers/fake-twilio';
import { type Delivery, loadDelivery } from '../helpers/fixtures';
import { fixturesByKind, keyed } from './fixture-kinds';
import { type Harness, registrationFor, startHarness } from './harness';

const { registrations } = fixturesByKind();

let dynamo: TestDynamo;
let h: Harness;
let counter = 0;

beforeAll(async () => {
  dynamo = await startTestDynamo();
  h = await startHarness(dynamo, { label: 'register' });
});

afterAll(async () => {
  await h.close();
  await dynamo.close();
});

function nextTenant(): string {
  return `reg-${++counter}`;
}

function bodyOf(delivery: Delivery): Record<string, string> {
  return JSON.parse(delivery.body) as Record<string, string>;
}

/** An event of `tenantId` with `key`, through the ingest function. */
async function postEvent(tenantId: string, key: string, resourceId = 1) {
  const delivery = keyed(loadDelivery('mifosx-sms-loan-repayment'), key, tenantId);
  return h.invoke(
    toApiGatewayEvent({ ...delivery, body: JSON.stringify({ ...JSON.parse(delivery.body), resourceId }) }),
  );
}

describe.each(registrations.map((d) => d.name))('registration fixture %s', (name) => {
  test('→ 201 with the new key as a JSON string literal, and that key authenticates the tenant events', async () => {
    // Prepare
    const tenantId = nextTenant();
    const delivery = registrationFor(tenantId, name);
    const event = toApiGatewayEvent(delivery);

    // Act
    const result = await h.invoke(event);

    // Assess
    expect(result.statusCode).toBe(201);
    expect(result.headers['content-type']).toMatch(/^application\/json/);
    expect(result.text.startsWith('"') && result.text.endsWith('"')).toBe(true);
    const key = JSON.parse(result.text) as string;
    expect(key).toMatch(/^fhk_[A-Za-z0-9_-]{43}$/);
    expect(key.length).toBeLessThanOrEqual(100);
    expect((await postEvent(tenantId, key)).statusCode).toBe(200);
  });

  test('stores the config without secrets in DynamoDB, the token and mifosToken in the secret store, the key as a hash', async () => {
    // Prepare
    const tenantId = nextTenant();
    const fixture = registrationFor(tenantId, name);
    // A token that is not a substring of the fixture's account SID, so a leak cannot hide behind it.
    const input: Record<string, string> = { ...bodyOf(fixture), smsProviderToken: 'f00dfeedcafe4242f00dfeedcafe4242' };
    const delivery = { ...fixture, body: JSON.stringify(input) };

    // Act
    const result = await h.invoke(toApiGatewayEvent(delivery));

    // Assess
    const key = result.json as string;
    const config = await h.stores.tenants.getTenant(tenantId);
    expect(config).toMatchObject({
      tenantId,
      smsProvider: 'twilio',
      phoneNo: input.phoneNo,
      accountSid: input.smsProviderAccountId,
      endpoint: input.endpoint,
      apiBase: expect.stringMatching(/\/api\/v1\/$/),
    });
    expect(await h.secrets.getTenantSecret(tenantId)).toEqual({
      smsProviderToken: input.smsProviderToken,
      mifosToken: input.mifosToken,
      registrationId: config!.registrationId,
    });
    const keys = await h.stores.tenants.listApiKeys(tenantId);
    expect(keys.map((k) => k.keyHash)).toEqual([hashApiKey(key)]);
    const everything = JSON.stringify([
      ...(await h.stores.scan(h.stores.tables.tenantsTable)),
      ...(await h.stores.scan(h.stores.tables.eventsTable)),
    ]);
    expect(everything).toContain(tenantId);
    expect(everything).not.toContain(input.smsProviderToken);
    expect(everything).not.toContain(input.mifosToken);
    expect(everything).not.toContain(key);
    expect(h.logger.text()).not.toContain(input.smsProviderToken);
    expect(h.logger.text()).not.toContain(input.mifosToken);
  });
});

test('Fineract ≥ 1.9 endpoints without v1 are normalised for callbacks', async () => {
  // Prepare
  const tenantId = nextTenant();
  const delivery = registrationFor(tenantId, 'fineract-sms-registration-root');

  // Act
  await h.invoke(toApiGatewayEvent(delivery));

  // Assess
  expect(await h.stores.tenants.getTenant(tenantId)).toMatchObject({
    endpoint: 'https://fineract.example.org/fineract-provider/api/',
    apiBase: 'https://fineract.example.org/fineract-provider/api/v1/',
  });
});

test('the owner registering again gets 201, a new key, and the previous key works for the grace period only', async () => {
  // Prepare
  const tenantId = nextTenant();
  const firstKey = await h.registerTenant(tenantId, 'fineract-sms-registration-root');
  const registeredAt = (await h.stores.tenants.getTenant(tenantId))!.registeredAt;
  h.clock.advanceSeconds(60);

  // Act
  const again = await h.invoke(toApiGatewayEvent(registrationFor(tenantId, 'fineract-sms-registration-root')));
  const secondKey = again.json as string;
  const oldKeyDuringGrace = await postEvent(tenantId, firstKey, 1);
  h.clock.advanceSeconds(3600);
  const oldKeyAfterGrace = await postEvent(tenantId, firstKey, 2);
  const newKeyAfterGrace = await postEvent(tenantId, secondKey, 3);

  // Assess
  expect(again.statusCode).toBe(201);
  expect(secondKey).not.toBe(firstKey);
  expect(oldKeyDuringGrace.statusCode).toBe(200);
  expect(oldKeyAfterGrace.statusCode).toBe(401);
  expect(newKeyAfterGrace.statusCode).toBe(200);
  const config = await h.stores.tenants.getTenant(tenantId);
  expect(config?.registeredAt).toBe(registeredAt);
  expect(config?.endpoint).toBe('https://fineract.example.org/fineract-provider/api/');
});

test('two concurrent first events registering the same tenant both get 201 and two working keys', async () => {
  // Prepare
  const tenantId = nextTenant();
  const event = toApiGatewayEvent(registrationFor(tenantId));

  // Act
  const [a, b] = await Promise.all([h.invoke(event), h.invoke(event)]);

  // Assess
  expect([a.statusCode, b.statusCode]).toEqual([201, 201]);
  expect(a.json).not.toBe(b.json);
  expect((await postEvent(tenantId, a.json as string, 1)).statusCode).toBe(200);
  expect((await postEvent(tenantId, b.json as string, 2)).statusCode).toBe(200);
});

test('a form-encoded registration is accepted like the JSON one', async () => {
  // Prepare
  const tenantId = nextTenant();
  const input = bodyOf(registrationFor(tenantId));
  const event = apiEvent(
    'POST',
    '/modules/sms/configuration',
    { 'Content-Type': 'application/x-www-form-urlencoded; charset=UTF-8' },
    new URLSearchParams(input).toString(),
  );

  // Act
  const result = await h.invoke(event);

  // Assess
  expect(event.isBase64Encoded).toBe(true);
  expect(result.statusCode).toBe(201);
  expect(await h.stores.tenants.getTenant(tenantId)).toMatchObject({ phoneNo: input.phoneNo });
});

test('missing fields → 400 naming the hook form fields, nothing stored', async () => {
  // Prepare
  const tenantId = nextTenant();
  const { phoneNo: _p, smsProviderToken: _t, ...rest } = bodyOf(registrationFor(tenantId));
  const event = apiEvent('POST', '/configuration', { 'Content-Type': 'application/json' }, JSON.stringify(rest));

  // Act
  const result = await h.invoke(event);

  // Assess
  expect(result.statusCode).toBe(400);
  const { error } = result.json as { error: { code: string; message: string } };
  expect(error.code).toBe('invalid_registration');
  expect(error.message).toContain('"Phone Number"');
  expect(error.message).toContain('"SMS Provider Token"');
  expect(await h.stores.tenants.getTenant(tenantId)).toBeUndefined();
});

test('malformed JSON → 400 malformed_json', async () => {
  // Prepare
  const event = apiEvent('POST', '/configuration', { 'Content-Type': 'application/json' }, '{"phoneNo":');

  // Act
  const result = await h.invoke(event);

  // Assess
  expect(result.statusCode).toBe(400);
  expect(result.json).toMatchObject({ error: { code: 'malformed_json' } });
});

test('an unknown SMS provider → 400 listing the supported ones, nothing stored', async () => {
  // Prepare
  const tenantId = nextTenant();
  const body = { ...bodyOf(registrationFor(tenantId)), smsProvider: 'nexmo' };
  const event = apiEvent('POST', '/configuration', { 'Content-Type': 'application/json' }, JSON.stringify(body));

  // Act
  const result = await h.invoke(event);

  // Assess
  expect(result.statusCode).toBe(400);
  expect(result.json).toMatchObject({ error: { code: 'unsupported_provider' } });
  expect(await h.stores.tenants.getTenant(tenantId)).toBeUndefined();
  expect(await h.secrets.getTenantSecret(tenantId)).toBeUndefined();
});

describe('credentials checked against Twilio (FakeTwilio, real SDK)', () => {
  let twilio: FakeTwilio;
  let ht: Harness;
  const fixture = bodyOf(loadDelivery('mifosx-sms-registration'));

  beforeAll(async () => {
    twilio = new FakeTwilio();
    const { baseUrl } = await twilio.start();
    twilio.addAccount(fixture.smsProviderAccountId!, fixture.smsProviderToken!);
    ht = await startHarness(dynamo, {
      label: 'register-twilio',
      sms: new TwilioSmsSender({ apiBaseUrl: baseUrl, timeoutMs: 3000 }),
    });
  });

  afterAll(async () => {
    await ht.close();
    await twilio.stop();
  });

  beforeEach(() => {
    twilio.reset();
  });

  test('accepted credentials → 201 after one account check with those credentials', async () => {
    // Prepare
    const tenantId = nextTenant();

    // Act
    const result = await ht.register(toApiGatewayEvent(registrationFor(tenantId)));

    // Assess
    expect(result.statusCode).toBe(201);
    expect(twilio.requests.filter((r) => r.route === 'account')).toHaveLength(1);
    expect(twilio.requests[0]).toMatchObject({
      username: fixture.smsProviderAccountId,
      password: fixture.smsProviderToken,
    });
  });

  test('a wrong token → 422 twilio_credentials_rejected and nothing stored (no config, secret or key)', async () => {
    // Prepare
    const tenantId = nextTenant();
    const body = { ...bodyOf(registrationFor(tenantId)), smsProviderToken: 'ffffffffffffffffffffffffffffffff' };
    const event = apiEvent('POST', '/configuration', { 'Content-Type': 'application/json' }, JSON.stringify(body));

    // Act
    const result = await ht.register(event);

    // Assess
    expect(result.statusCode).toBe(422);
    expect(result.json).toMatchObject({ error: { code: 'twilio_credentials_rejected' } });
    expect(result.text).not.toContain('ffffffffffffffffffffffffffffffff');
    expect(await ht.stores.tenants.getTenant(tenantId)).toBeUndefined();
    expect(await ht.stores.tenants.listApiKeys(tenantId)).toEqual([]);
    expect(await ht.secrets.getTenantSecret(tenantId)).toBeUndefined();
  });

  test('Twilio failing (500) → 503 twilio_unreachable and nothing stored', async () => {
    // Prepare
    const tenantId = nextTenant();
    twilio.failNext(1, { status: 500, route: 'account' });

    // Act
    const result = await ht.register(toApiGatewayEvent(registrationFor(tenantId)));

    // Assess
    expect(result.statusCode).toBe(503);
    expect(result.json).toMatchObject({ error: { code: 'twilio_unreachable' } });
    expect(await ht.stores.tenants.getTenant(tenantId)).toBeUndefined();
    expect(await ht.secrets.getTenantSecret(tenantId)).toBeUndefined();
  });
});
