/**
 * Issue 9 through the Lambda handlers on DynamoDB: a stranger's re-registration is refused, a Web hook (ingest)
 * key cannot use the admin API, and refusals are logged with tenant, route and source IP.
 */
import { issueApiKey } from '../../lambdas/core/api-keys';
import { apiEvent, toApiGatewayEvent } from '../helpers/apigw-events';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamo';
import { loadDelivery, withTenant } from '../helpers/fixtures';
import { type Harness, registrationFor, startHarness } from './harness';

let dynamo: TestDynamo;
let h: Harness;
let counter = 0;
const nextTenant = () => `own-${++counter}`;

beforeAll(async () => {
  dynamo = await startTestDynamo();
  h = await startHarness(dynamo, { label: 'ownership' });
});

afterAll(async () => {
  await h.close();
  await dynamo.close();
});

function strangerRegistration(tenantId: string) {
  const delivery = registrationFor(tenantId);
  const body = JSON.parse(delivery.body) as Record<string, unknown>;
  return {
    ...delivery,
    body: JSON.stringify({ ...body, smsProviderAccountId: 'ACffffffffffffffffffffffffffffffff' }),
  };
}

test('a stranger re-registering a tenant with another Account SID gets 409; the owner keeps config and key', async () => {
  // Prepare
  const tenantId = nextTenant();
  const ownerKey = await h.registerTenant(tenantId);
  const before = await h.stores.tenants.getTenant(tenantId);

  // Act
  const refused = await h.invoke(toApiGatewayEvent(strangerRegistration(tenantId)));
  const ownerStillAdmin = await h.invoke(
    apiEvent('GET', `/modules/sms/configuration/${tenantId}`, { 'X-Mifos-API-Key': ownerKey }),
  );

  // Assess
  expect(refused.statusCode).toBe(409);
  expect(refused.text).toContain(`tenants enroll ${tenantId} --replace`);
  expect(await h.stores.tenants.getTenant(tenantId)).toEqual(before);
  expect(ownerStillAdmin.statusCode).toBe(200);
  const line = h.logger.entries.find((e) => e.message === 'registration refused' && e.extra?.tenantId === tenantId);
  expect(line?.extra).toMatchObject({ sourceIp: '203.0.113.10', outcome: 'tenant_owned_by_another' });
});

test('an operator --replace lets one stranger in and cuts every key of the old owner at once', async () => {
  // Prepare
  const tenantId = nextTenant();
  const ownerKey = await h.registerTenant(tenantId);
  const until = new Date(h.clock.now().getTime() + 3600_000).toISOString();
  await h.stores.tenants.putEnrollment({ tenantId, enrolledAt: h.clock.now().toISOString(), replaceUntil: until });

  // Act
  const replaced = await h.invoke(toApiGatewayEvent(strangerRegistration(tenantId)));
  const oldKey = await h.invoke(apiEvent('GET', `/modules/sms/events/${tenantId}`, { 'X-Mifos-API-Key': ownerKey }));

  // Assess
  expect(replaced.statusCode).toBe(201);
  expect(oldKey.statusCode).toBe(401);
});

test.each([
  ['GET', '/modules/sms/configuration/{t}'],
  ['DELETE', '/modules/sms/configuration/{t}'],
  ['GET', '/modules/sms/events/{t}'],
  ['POST', '/modules/sms/events/{t}/_resend'],
])('a Web hook (ingest) key gets 403 on %s %s but may post events', async (method, pattern) => {
  // Prepare
  const tenantId = nextTenant();
  await h.registerTenant(tenantId);
  const ingest = await issueApiKey(h.stores.tenants, h.clock, tenantId, { label: 'cli', scope: 'ingest' });
  const webHook = withTenant(loadDelivery('mifosx-web-json-loan-disburse'), tenantId);

  // Act
  const admin = await h.invoke(
    apiEvent(method, pattern.replace('{t}', tenantId), { 'X-Fineract-API-Key': ingest.key }),
  );
  const posted = await h.invoke(toApiGatewayEvent({ ...webHook, path: `/hooks/${ingest.key}/` }));

  // Assess
  expect(admin.statusCode).toBe(403);
  expect((admin.json as { error: { code: string } }).error.code).toBe('key_scope_insufficient');
  expect(posted.statusCode).toBe(200);
  expect(await h.stores.tenants.getTenant(tenantId)).toBeDefined();
  const line = h.logger.entries.find((e) => e.message === 'request refused' && e.extra?.tenantId === tenantId);
  expect(line?.extra).toMatchObject({ statusCode: 403, sourceIp: '203.0.113.10' });
  expect(h.logger.text()).not.toContain(ingest.key);
});
