/**
 * The web console's session through the admin Lambda handler with API Gateway v2 events: the link exchange answers
 * its cookie in `cookies`, the next calls carry it in `event.cookies`, and the DynamoDB store hands a link out once.
 */
import { DynamoDbConsoleSessionStore } from '../../lambdas/adapters/dynamodb-console-session-store';
import { createConsoleLink } from '../../lambdas/core/console-session';
import { apiEvent } from '../helpers/apigw-events';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamo';
import { type Harness, startHarness } from './harness';

const HOST = 'hooks.example.org';
const CONSOLE_HEADERS = {
  host: HOST,
  origin: `https://${HOST}`,
  'content-type': 'application/json',
  'x-fhr-console': '1',
};

let dynamo: TestDynamo;
let h: Harness;
let sessions: DynamoDbConsoleSessionStore;

beforeAll(async () => {
  dynamo = await startTestDynamo();
  h = await startHarness(dynamo, { label: 'console' });
  sessions = new DynamoDbConsoleSessionStore(dynamo.doc, h.stores.tables.tenantsTable);
  await h.registerTenant('default');
});

afterAll(async () => {
  await h.close();
  await dynamo.close();
});

async function link(role: 'viewer' | 'editor'): Promise<string> {
  return (await createConsoleLink({ sessions, clock: h.clock }, { tenantId: 'default', role, ttlMs: 60_000 })).token;
}

const exchange = (token: string) =>
  h.admin(apiEvent('POST', '/console/session', CONSOLE_HEADERS, JSON.stringify({ token })));

describe('console session through the admin handler', () => {
  it('answers the cookie in `cookies`, takes it back from `event.cookies`, and refuses the link a second time', async () => {
    // Prepare
    const token = await link('editor');

    // Act
    const first = await exchange(token);
    const second = await exchange(token);
    const cookie = first.cookies![0]!.split(';')[0]!;
    const whoAmI = await h.admin({ ...apiEvent('GET', '/console/session', { host: HOST }), cookies: [cookie] });
    const preview = await h.admin({
      ...apiEvent(
        'POST',
        '/tenants/default/templates/LOAN.REPAYMENT/preview',
        CONSOLE_HEADERS,
        JSON.stringify({ template: 'Habari {{clientName}}, tumepokea malipo.' }),
      ),
      cookies: [cookie],
    });
    const noCookie = await h.admin(apiEvent('GET', '/tenants/default/targets', { host: HOST }));

    // Assess
    expect(first.statusCode).toBe(200);
    expect(first.cookies).toHaveLength(1);
    expect(first.headers['set-cookie']).toBeUndefined();
    expect(second.statusCode).toBe(401);
    expect(whoAmI.json).toMatchObject({ tenantId: 'default', role: 'editor' });
    expect(preview.json).toMatchObject({
      valid: true,
      data: 'sample',
      text: 'Habari Jane Doe, tumepokea malipo.',
      encoding: 'GSM-7',
      segments: 1,
    });
    expect(noCookie.statusCode).toBe(401);
  });

  it('lets a viewer list but not change; signing out clears the cookie and ends the session', async () => {
    // Prepare
    const viewer = (await exchange(await link('viewer'))).cookies![0]!.split(';')[0]!;

    // Act
    const list = await h.admin({ ...apiEvent('GET', '/tenants/default/templates', { host: HOST }), cookies: [viewer] });
    const save = await h.admin({
      ...apiEvent('POST', '/tenants/default/templates/LOAN.REPAYMENT', CONSOLE_HEADERS, '{"template":"x"}'),
      cookies: [viewer],
    });
    const out = await h.admin({ ...apiEvent('DELETE', '/console/session', CONSOLE_HEADERS, '{}'), cookies: [viewer] });
    const after = await h.admin({ ...apiEvent('GET', '/console/session', { host: HOST }), cookies: [viewer] });

    // Assess
    expect(list.statusCode).toBe(200);
    expect((list.json as { templates: { key: string }[] }).templates.map((t) => t.key)).toContain('LOAN.REPAYMENT');
    expect(save.statusCode).toBe(403);
    expect(out.statusCode).toBe(204);
    expect(out.cookies![0]).toMatch(/^__Host-fhr_console=; Path=\/; Max-Age=0;/);
    expect(after.statusCode).toBe(401);
  });
});
