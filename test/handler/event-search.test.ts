/**
 * The admin function's event search and trace (GET /tenants/{t}/events, …/{eventId}/trace) through the wrapped
 * Lambda handler, on the embedded engine: a stored loan repayment found by its client and loan ids.
 */
import { apiEvent } from '../helpers/apigw-events';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamo';
import { loadDelivery, withKey, withTenant } from '../helpers/fixtures';
import { type Harness, startHarness } from './harness';

let dynamo: TestDynamo;
let h: Harness;

beforeAll(async () => {
  dynamo = await startTestDynamo();
  h = await startHarness(dynamo, { label: 'event-search' });
});

afterAll(async () => {
  await h.close();
  await dynamo.close();
});

test('finds a stored event by client and loan id and traces it; a bad window is a 400', async () => {
  // Prepare
  h.clock.set(new Date());
  const key = await h.registerTenant('search-1');
  const delivery = withTenant(withKey(loadDelivery('mifosx-sms-loan-repayment'), key), 'search-1');
  const stored = await h.ingest(apiEvent(delivery.method, delivery.path, delivery.headers, delivery.body));
  const eventId = (stored.json as { eventId: string }).eventId;
  const get = (path: string) => h.admin(apiEvent('GET', path, { 'X-Mifos-API-Key': key }));

  // Act
  const byClient = await get('/tenants/search-1/events?clientId=42');
  const byBoth = await get('/tenants/search-1/events?clientId=42&loanId=7&entity=LOAN');
  const none = await get('/tenants/search-1/events?loanId=8');
  const trace = await get(`/tenants/search-1/events/${eventId}/trace`);
  const bad = await get('/tenants/search-1/events?clientId=42&since=soon');

  // Assess
  expect(stored.statusCode).toBe(200);
  expect(byClient.statusCode).toBe(200);
  expect(byClient.json).toMatchObject({
    tenantId: 'search-1',
    events: [{ eventId, ids: { clientId: '42', loanId: '7' } }],
  });
  expect((byBoth.json as { events: unknown[] }).events).toHaveLength(1);
  expect(none.json).toMatchObject({ events: [], nextCursor: null });
  expect(trace.json).toMatchObject({
    eventId,
    event: 'LOAN.REPAYMENT',
    received: { source: 'mifosx', hook: 'SMS Bridge' },
  });
  expect(bad.statusCode).toBe(400);
});
