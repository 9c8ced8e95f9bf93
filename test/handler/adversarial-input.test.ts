/**
 * Inputs from the attacker probe (issue 9) through the real handlers and the embedded DynamoDB: each gets a 4xx,
 * or is stored as it should be, and none reaches DynamoDB in a shape it refuses (a 500).
 */
import { apiEvent, toApiGatewayEvent } from '../helpers/apigw-events';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamo';
import { type Delivery, loadDelivery } from '../helpers/fixtures';
import { keyed } from './fixture-kinds';
import { type Harness, type Result, startHarness } from './harness';

const THREE_KB = 'T'.repeat(3 * 1024);

let dynamo: TestDynamo;
let h: Harness;
let tenant: string;
let key: string;
let counter = 0;

beforeAll(async () => {
  dynamo = await startTestDynamo();
  h = await startHarness(dynamo, { label: 'adversarial' });
});

afterAll(async () => {
  await h.close();
  await dynamo.close();
});

beforeEach(async () => {
  tenant = `adv-${++counter}`;
  key = await h.registerTenant(tenant);
});

function errorOf(result: Result): { code: string; message: string } {
  return (result.json as { error: { code: string; message: string } }).error;
}

async function storedCount(): Promise<number> {
  return (await h.stores.events.listByTenant(tenant, { limit: 100 })).items.length;
}

/** A Fineract SMS Bridge event of this test's tenant with one header replaced. */
function fineractEventWith(headerName: string, value: string): Delivery {
  const delivery = keyed(loadDelivery('fineract-sms-client-create-envelope'), key, tenant);
  return { ...delivery, headers: { ...delivery.headers, [headerName]: value } };
}

/** A Web hook event (form, MifosX headers) for this test's tenant, sent to /hooks/{key}/. */
async function webFormEvent(body: string): Promise<Delivery> {
  const webKey = await h.issueKey(tenant);
  const delivery = keyed(loadDelivery('mifosx-web-form-loan-repayment'), webKey, tenant);
  return { ...delivery, body };
}

describe('hook headers', () => {
  it.each<[string, string, string]>([
    ['a 3 KB tenant id', 'Fineract-Platform-TenantId', THREE_KB],
    ['a tenant id with Unicode', 'Fineract-Platform-TenantId', 'défault'],
    ['a tenant id with a control character', 'Fineract-Platform-TenantId', 'adv\u0007'],
    ['an entity with Unicode', 'X-Fineract-Entity', 'CLIENTÉ'],
    ['an entity with a control character', 'X-Fineract-Entity', 'CLI\u0000ENT'],
    ['an action of 3 KB', 'X-Fineract-Action', THREE_KB],
  ])('%s → 400 naming the header, nothing stored', async (_label, headerName, value) => {
    // Prepare
    const event = toApiGatewayEvent(fineractEventWith(headerName, value));

    // Act
    const result = await h.invoke(event);

    // Assess
    expect(result.statusCode).toBe(400);
    expect(errorOf(result)).toMatchObject({ code: 'bad_header', message: expect.stringContaining(headerName) });
    expect(result.text).not.toContain(THREE_KB);
    expect(await storedCount()).toBe(0);
  });
});

describe('tenant id in admin paths', () => {
  it.each<[string, string, string]>([
    ['GET configuration', 'GET', `/modules/sms/configuration/${THREE_KB}`],
    ['DELETE configuration', 'DELETE', `/modules/sms/configuration/${THREE_KB}`],
    ['GET events', 'GET', `/modules/sms/events/${THREE_KB}`],
    ['POST events/_resend', 'POST', `/modules/sms/events/${THREE_KB}/_resend`],
    [
      'GET events (Unicode and a control character)',
      'GET',
      `/modules/sms/events/${encodeURIComponent('dé\u0001fault')}`,
    ],
  ])('%s with a 3 KB or malformed tenant id → 400 before any lookup', async (_label, method, path) => {
    // Prepare
    const event = apiEvent(method, path, { 'X-Fineract-API-Key': key });

    // Act
    const result = await h.invoke(event);

    // Assess
    expect(result.statusCode).toBe(400);
    expect(errorOf(result)).toMatchObject({
      code: 'bad_tenant_id',
      message: 'The tenant id in the path must be 1-64 letters, digits, "_" or "-".',
    });
    expect(result.text).not.toContain(THREE_KB);
  });

  it('still serves a valid tenant id of 64 characters', async () => {
    // Prepare
    tenant = `a${'-'.repeat(62)}z`;
    key = await h.registerTenant(tenant);

    // Act
    const result = await h.invoke(
      apiEvent('GET', `/modules/sms/configuration/${tenant}`, { 'X-Fineract-API-Key': key }),
    );

    // Assess
    expect(result.statusCode).toBe(200);
  });
});

describe('bodies', () => {
  it('JSON nested 10 000 deep → 400 body_too_deep, nothing stored', async () => {
    // Prepare
    const body = `{"entityName":"CLIENT","actionName":"CREATE","request":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)},"response":{}}`;
    const delivery = keyed(loadDelivery('fineract-sms-client-create-envelope'), key, tenant);

    // Act
    const result = await h.invoke(toApiGatewayEvent({ ...delivery, body }));

    // Assess
    expect(result.statusCode).toBe(400);
    expect(errorOf(result).code).toBe('body_too_deep');
    expect(await storedCount()).toBe(0);
  });

  it('a ~1 MB form whose changes are a Java map nested 8 000 deep is accepted and stored', async () => {
    // Prepare
    const deep = `${'{request='.repeat(8_000)}x${'}'.repeat(8_000)}`;
    const bodyWith = (padding: string) =>
      `resourceId=118.0&clientId=42.0&loanId=7.0&changes=${encodeURIComponent(`{note=${padding}, request=${deep}}`)}`;
    const body = bodyWith('n'.repeat(1_000_000 - bodyWith('').length));
    const event = toApiGatewayEvent(await webFormEvent(body));

    // Act
    const result = await h.invoke(event);

    // Assess
    expect(body.length).toBe(1_000_000);
    expect(result.statusCode).toBe(200);
    const stored = await h.stores.events.get(tenant, (result.json as { eventId: string }).eventId);
    expect(stored?.ids).toEqual({ clientId: 42, loanId: 7, resourceId: 118 });
  });

  it('a JSON id of 2^53 + 1 is stored as its exact digits', async () => {
    // Prepare
    const delivery = keyed(loadDelivery('mifosx-sms-loan-repayment'), key, tenant);
    const body = '{"officeId":1,"clientId":9007199254740993,"loanId":9007199254740993,"resourceId":118}';

    // Act
    const result = await h.invoke(toApiGatewayEvent({ ...delivery, body }));

    // Assess
    expect(result.statusCode).toBe(200);
    const stored = await h.stores.events.get(tenant, (result.json as { eventId: string }).eventId);
    expect(stored?.ids).toEqual({
      officeId: 1,
      clientId: '9007199254740993',
      loanId: '9007199254740993',
      resourceId: 118,
    });
    expect(stored?.rawBody).toBe(body);
  });

  it('a form id 1.0E20 is stored as the canonical integer text', async () => {
    // Prepare
    const event = toApiGatewayEvent(await webFormEvent('resourceId=118.0&clientId=1.0E20&loanId=7.0'));

    // Act
    const result = await h.invoke(event);

    // Assess
    expect(result.statusCode).toBe(200);
    const stored = await h.stores.events.get(tenant, (result.json as { eventId: string }).eventId);
    expect(stored?.ids).toEqual({ clientId: '100000000000000000000', loanId: 7, resourceId: 118 });
  });
});
