/**
 * Issue 9: what each key scope may do, the endpoint prefix as a URL, and the audit line of every refusal.
 */
import {
  type AdminDeps,
  handleDeleteConfig,
  handleGetConfig,
  handleListEvents,
  handleResend,
} from '../../lambdas/core/admin';
import { Authenticator, fingerprintOf, hashApiKey, issueApiKey } from '../../lambdas/core/api-keys';
import { dispatchHttp } from '../../lambdas/core/dispatch';
import type { HttpResponse } from '../../lambdas/core/http';
import { endpointUnderPrefix } from '../../lambdas/core/url-policy';
import { httpRequest, memoryWorld } from '../helpers/memory-ports';

function adminSetup() {
  const world = memoryWorld();
  const auth = new Authenticator(world.tenants, world.clock, 0);
  const deps: AdminDeps = {
    auth,
    tenants: world.tenants,
    secrets: world.secrets,
    events: world.events,
    messages: world.messages,
    queue: world.queue,
    clock: world.clock,
    logger: world.logger,
    metrics: world.metrics,
    settings: { sweepGraceSeconds: 300 },
  };
  const call = (method: string, path: string, key: string, sourceIp = '203.0.113.9'): Promise<HttpResponse> =>
    dispatchHttp(
      httpRequest({ method, path, headers: { 'X-Mifos-API-Key': key }, sourceIp }),
      {
        getConfig: (r) => handleGetConfig(r, deps),
        deleteConfig: (r) => handleDeleteConfig(r, deps),
        listEvents: (r) => handleListEvents(r, deps),
        resendEvents: (r) => handleResend(r, deps),
      },
      world.logger,
      world.metrics,
    );
  return { world, auth, call };
}

const ADMIN_ROUTES: [string, string][] = [
  ['GET', '/modules/sms/configuration/default'],
  ['DELETE', '/modules/sms/configuration/default'],
  ['GET', '/modules/sms/events/default'],
  ['POST', '/modules/sms/events/default/_resend'],
];

describe('key scopes', () => {
  it.each(ADMIN_ROUTES)('an ingest key gets 403 on %s %s, and the tenant is left alone', async (method, path) => {
    // Prepare
    const { world, call } = adminSetup();
    const ingest = await issueApiKey(world.tenants, world.clock, 'default', { label: 'cli', scope: 'ingest' });

    // Act
    const response = await call(method, path, ingest.key);

    // Assess
    expect(response.statusCode).toBe(403);
    expect(JSON.parse(response.body)).toMatchObject({
      error: { code: 'key_scope_insufficient', message: expect.stringContaining('admin key') },
    });
    expect(await world.tenants.listApiKeys('default')).toHaveLength(1);
  });

  it('an admin key, and a key stored before scopes existed, may use the admin API', async () => {
    // Prepare
    const { world, call } = adminSetup();
    const admin = await issueApiKey(world.tenants, world.clock, 'default', { label: 'cli', scope: 'admin' });
    const legacyKey = 'fhk_legacy-key-without-a-scope-attribute';
    const legacyHash = hashApiKey(legacyKey);
    await world.tenants.putApiKey({
      tenantId: 'default',
      keyHash: legacyHash,
      fingerprint: fingerprintOf(legacyHash),
      createdAt: world.clock.now().toISOString(),
    });

    // Act
    const byAdmin = await call('GET', '/modules/sms/events/default', admin.key);
    const byLegacy = await call('GET', '/modules/sms/events/default', legacyKey);

    // Assess
    expect([byAdmin.statusCode, byLegacy.statusCode]).toEqual([200, 200]);
  });

  it('an ingest key may ingest; authenticate defaults to the ingest scope', async () => {
    // Prepare
    const { world, auth } = adminSetup();
    const ingest = await issueApiKey(world.tenants, world.clock, 'default', { label: 'cli', scope: 'ingest' });

    // Act
    const record = await auth.authenticate('default', ingest.key);

    // Assess
    expect(record.scope).toBe('ingest');
    await expect(auth.authenticate('default', ingest.key, 'admin')).rejects.toMatchObject({ statusCode: 403 });
  });

  it('a second key issued alongside (no grace given) leaves the first one unexpired', async () => {
    // Prepare
    const { world } = adminSetup();
    const admin = await issueApiKey(world.tenants, world.clock, 'default', {
      label: 'cli',
      scope: 'admin',
      graceSeconds: 60,
    });

    // Act
    await issueApiKey(world.tenants, world.clock, 'default', { label: 'cli', scope: 'ingest' });

    // Assess
    expect((await world.tenants.getApiKey('default', hashApiKey(admin.key)))?.expiresAt).toBeUndefined();
  });
});

describe('audit of refusals', () => {
  it('logs a 401 with tenant, route and source IP, never the presented key, and counts it', async () => {
    // Prepare
    const { world, call } = adminSetup();
    const presented = 'fhk_this-key-was-never-issued-to-anyone';

    // Act
    const response = await call('GET', '/modules/sms/events/default', presented, '198.51.100.23');

    // Assess
    expect(response.statusCode).toBe(401);
    const line = world.logger.entries.find((e) => e.message === 'request refused');
    expect(line?.extra).toEqual({
      tenantId: 'default',
      route: 'GET /modules/sms/events/{tenantId}',
      sourceIp: '198.51.100.23',
      statusCode: 401,
      code: 'unauthorized',
    });
    expect(world.logger.text()).not.toContain(presented);
    expect(world.metrics.get('ApiKeyRejected')).toBe(1);
  });

  it('logs a 403 for a key of the wrong scope the same way', async () => {
    // Prepare
    const { world, call } = adminSetup();
    const ingest = await issueApiKey(world.tenants, world.clock, 'default', { label: 'cli', scope: 'ingest' });

    // Act
    await call('POST', '/modules/sms/events/default/_resend', ingest.key);

    // Assess
    const line = world.logger.entries.find((e) => e.message === 'request refused');
    expect(line?.extra).toMatchObject({ tenantId: 'default', statusCode: 403, sourceIp: '203.0.113.9' });
    expect(world.logger.text()).not.toContain(ingest.key);
    expect(world.metrics.get('ApiKeyRejected')).toBe(1);
  });

  it('logs a refused Web hook by its route pattern, not its path (the key is a path segment)', async () => {
    // Prepare
    const world = memoryWorld();
    const auth = new Authenticator(world.tenants, world.clock, 0);
    const presented = 'fhk_a-web-hook-key-that-does-not-exist';

    // Act
    const response = await dispatchHttp(
      httpRequest({
        path: `/hooks/${presented}/`,
        headers: { 'Fineract-Platform-TenantId': 'default', 'content-type': 'application/json' },
        body: '{}',
        sourceIp: '192.0.2.44',
      }),
      {
        ingest: async (r) => {
          await auth.authenticate('default', r.params.apiKey);
          throw new Error('unreachable');
        },
      },
      world.logger,
      world.metrics,
    );

    // Assess
    expect(response.statusCode).toBe(401);
    const line = world.logger.entries.find((e) => e.message === 'request refused');
    expect(line?.extra).toMatchObject({ tenantId: 'default', route: 'POST /hooks/{apiKey}', sourceIp: '192.0.2.44' });
    expect(world.logger.text()).not.toContain(presented);
  });
});

describe('endpointUnderPrefix', () => {
  it.each([
    ['https://mifos.bank.example/fineract-provider/api/', 'https://mifos.bank.example'],
    ['https://mifos.bank.example/fineract-provider/api/', 'https://mifos.bank.example/'],
    ['https://MIFOS.Bank.Example/fineract-provider/api/', 'https://mifos.bank.example/fineract-provider'],
    ['https://mifos.bank.example:443/fineract-provider/api/', 'https://mifos.bank.example/fineract-provider/'],
    ['https://mifos.bank.example:8443/fineract-provider/api/', 'https://mifos.bank.example:8443/'],
  ])('accepts %s under %s', (endpoint, prefix) => {
    expect(endpointUnderPrefix(endpoint, prefix)).toBe(true);
  });

  it.each([
    ['https://mifos.bank.example.attacker.example/', 'https://mifos.bank.example'],
    ['https://mifos.bank.example@attacker.example/', 'https://mifos.bank.example'],
    ['http://mifos.bank.example/fineract-provider/api/', 'https://mifos.bank.example/'],
    ['https://mifos.bank.example:8443/fineract-provider/api/', 'https://mifos.bank.example/'],
    ['https://mifos.bank.example/fineract-providerX/api/', 'https://mifos.bank.example/fineract-provider'],
    ['https://mifos.bank.example/api/', 'https://mifos.bank.example/fineract-provider/'],
    ['not a url', 'https://mifos.bank.example/'],
  ])('refuses %s under %s', (endpoint, prefix) => {
    expect(endpointUnderPrefix(endpoint, prefix)).toBe(false);
  });
});
