import { CachedTenantStore } from '../../lambdas/adapters/cached-tenant-store';
import { Authenticator, issueApiKey } from '../../lambdas/core/api-keys';
import { handleHookEvent, type IngestDeps } from '../../lambdas/core/ingest';
import type { TenantConfig, TenantSecret, WorkMessage } from '../../lambdas/core/model';
import type { SecretStore } from '../../lambdas/core/ports';
import { processWorkMessage } from '../../lambdas/core/worker';
import { loadDelivery, withKey } from '../helpers/fixtures';
import { httpRequest, type MemoryWorld, memoryWorld, twilioErrors, workerDepsOf } from '../helpers/memory-ports';

const ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';
const API_BASE = 'https://mifos.example.org:8443/mifosng-provider/api/v1/';

function config(registrationId: string, overrides: Partial<TenantConfig> = {}): TenantConfig {
  return {
    tenantId: 'default',
    smsProvider: 'twilio',
    phoneNo: '+15005550006',
    accountSid: ACCOUNT_SID,
    endpoint: API_BASE,
    apiBase: API_BASE,
    registeredAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    registrationId,
    ...overrides,
  };
}

const secret = (registrationId: string, token: string): TenantSecret => ({
  smsProviderToken: token,
  mifosToken: 'bWlmb3M6cGFzc3dvcmQ=',
  registrationId,
});

/**
 * The secret as the worker sees it in AWS: SecretsManagerSecretStore keeps a read for its TTL and reads afresh when
 * asked to. Writes (another container's registration) reach the store behind it, not this cache.
 */
class CachingSecrets implements SecretStore {
  private cached?: { value: TenantSecret; until: number };
  constructor(
    private readonly store: SecretStore,
    private readonly now: () => number,
  ) {}
  async getTenantSecret(tenantId: string, options?: { fresh?: boolean }): Promise<TenantSecret | undefined> {
    if (!options?.fresh && this.cached && this.cached.until > this.now()) return { ...this.cached.value };
    const value = await this.store.getTenantSecret(tenantId);
    this.cached = value && { value, until: this.now() + 60_000 };
    return value;
  }
  putTenantSecret(tenantId: string, value: TenantSecret): Promise<void> {
    return this.store.putTenantSecret(tenantId, value);
  }
  deleteTenantSecret(tenantId: string): Promise<void> {
    return this.store.deleteTenantSecret(tenantId);
  }
}

/** Counts the reads that reach the table behind the cache. */
function countReads(world: MemoryWorld) {
  const reads = { getTenant: 0, getTemplates: 0 };
  const getTenant = world.tenants.getTenant.bind(world.tenants);
  const getTemplates = world.tenants.getTemplates.bind(world.tenants);
  world.tenants.getTenant = async (tenantId) => {
    reads.getTenant++;
    return getTenant(tenantId);
  };
  world.tenants.getTemplates = async (tenantId) => {
    reads.getTemplates++;
    return getTemplates(tenantId);
  };
  return reads;
}

describe('CachedTenantStore', () => {
  function setup(ttlMs = 60_000) {
    const world = memoryWorld();
    const reads = countReads(world);
    const cache = new CachedTenantStore(world.tenants, ttlMs, () => world.clock.now().getTime());
    return { world, reads, cache };
  }

  it('reuses a config and the templates within the TTL and reads them again after it', async () => {
    // Prepare
    const { world, reads, cache } = setup();
    await world.tenants.putTenant(config('reg-1'));
    await world.tenants.putTemplate('default', 'CLIENT.CREATE', 'Hi {{clientName}}');

    // Act
    await cache.getTenant('default');
    await cache.getTemplates('default');
    world.clock.advanceSeconds(59);
    const warm = { config: await cache.getTenant('default'), templates: await cache.getTemplates('default') };
    const readsWarm = { ...reads };
    world.clock.advanceSeconds(2);
    await cache.getTenant('default');
    await cache.getTemplates('default');

    // Assess
    expect(warm.config?.registrationId).toBe('reg-1');
    expect(warm.templates).toEqual({ 'CLIENT.CREATE': 'Hi {{clientName}}' });
    expect(readsWarm).toEqual({ getTenant: 1, getTemplates: 1 });
    expect(reads).toEqual({ getTenant: 2, getTemplates: 2 });
  });

  it('reads afresh when asked to, and keeps what it read', async () => {
    // Prepare
    const { world, reads, cache } = setup();
    await world.tenants.putTenant(config('reg-1'));
    await cache.getTenant('default');
    await world.tenants.putTenant(config('reg-2'));

    // Act
    const cached = await cache.getTenant('default');
    const fresh = await cache.getTenant('default', { fresh: true });
    const after = await cache.getTenant('default');

    // Assess
    expect(cached?.registrationId).toBe('reg-1');
    expect(fresh?.registrationId).toBe('reg-2');
    expect(after?.registrationId).toBe('reg-2');
    expect(reads.getTenant).toBe(2);
  });

  it('drops a tenant on writes through it and through a watched store, and never caches a missing tenant', async () => {
    // Prepare
    const { world, reads, cache } = setup();
    const watched = cache.watch(world.tenants);
    const missing = await cache.getTenant('default');
    await watched.putTenant(config('reg-1'));
    const first = await cache.getTenant('default');

    // Act
    await watched.putTenant(config('reg-2'));
    const afterWatched = await cache.getTenant('default');
    await cache.putTemplate('default', 'CLIENT.CREATE', 'Hello');
    const templates = await cache.getTemplates('default');
    await cache.markCredentialsInvalid('default', '2026-01-02T00:00:00.000Z', 'reg-2');
    const marked = await cache.getTenant('default');

    // Assess
    expect(missing).toBeUndefined();
    expect(first?.registrationId).toBe('reg-1');
    expect(afterWatched?.registrationId).toBe('reg-2');
    expect(templates).toEqual({ 'CLIENT.CREATE': 'Hello' });
    expect(marked?.credentialsInvalidAt).toBe('2026-01-02T00:00:00.000Z');
    expect(reads.getTenant).toBe(4);
  });

  it('does not keep a read that a write overtook', async () => {
    // Prepare
    const { world, cache } = setup();
    await world.tenants.putTenant(config('reg-1'));
    let release: () => void = () => undefined;
    const getTenant = world.tenants.getTenant;
    world.tenants.getTenant = async (tenantId) => {
      const value = await getTenant(tenantId);
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      return value;
    };
    const slowRead = cache.getTenant('default');
    await new Promise((resolve) => setImmediate(resolve));

    // Act
    await cache.putTenant(config('reg-2'));
    world.tenants.getTenant = getTenant;
    release();
    const overtaken = await slowRead;
    const next = await cache.getTenant('default');

    // Assess
    expect(overtaken?.registrationId).toBe('reg-1');
    expect(next?.registrationId).toBe('reg-2');
  });

  it('hands out copies: a caller cannot change what the next one gets', async () => {
    // Prepare
    const { world, cache } = setup();
    await world.tenants.putTenant(config('reg-1'));
    const first = await cache.getTenant('default');

    // Act
    if (first) first.phoneNo = '+19999999999';
    const second = await cache.getTenant('default');

    // Assess
    expect(second?.phoneNo).toBe('+15005550006');
  });
});

/**
 * The worker over a cached tenant store, and a re-registration made by another container (another register
 * function): its writes reach the table, never this cache.
 */
describe('processWorkMessage with a cached tenant config: re-registration elsewhere', () => {
  async function setup() {
    const world = memoryWorld();
    const cache = new CachedTenantStore(world.tenants, 60_000, () => world.clock.now().getTime());
    const now = () => world.clock.now().getTime();
    const deps = { ...workerDepsOf(world), tenants: cache, secrets: new CachingSecrets(world.secrets, now) };
    const ingestDeps: IngestDeps = {
      auth: new Authenticator(world.tenants, world.clock, 0),
      events: world.events,
      queue: world.queue,
      clock: world.clock,
      logger: world.logger,
      metrics: world.metrics,
      settings: { maxBodyBytes: 1024 * 1024, sweepGraceSeconds: 300 },
    };
    /** As registration.ts does it: the secret, then the config, then a key naming the registration. */
    async function register(registrationId: string, token: string, phoneNo: string): Promise<string> {
      await world.secrets.putTenantSecret('default', secret(registrationId, token));
      await world.tenants.putTenant(config(registrationId, { phoneNo }));
      const issued = await issueApiKey(world.tenants, world.clock, 'default', {
        graceSeconds: 86400,
        label: 'registration',
        accountSid: ACCOUNT_SID,
        registrationId,
      });
      return issued.key;
    }
    let clientId = 100;
    async function ingest(key: string): Promise<WorkMessage> {
      const delivery = withKey(loadDelivery('fineract-sms-client-create-envelope'), key);
      const body = JSON.parse(delivery.body) as Record<string, unknown>;
      body.clientId = ++clientId;
      body.response = { clientId, resourceId: clientId };
      body.timestamp = `2024-10-24T09:12:${String(clientId % 60).padStart(2, '0')}.000Z`;
      const response = await handleHookEvent(
        httpRequest({
          method: delivery.method,
          path: delivery.path,
          headers: delivery.headers,
          body: JSON.stringify(body),
        }),
        ingestDeps,
      );
      world.queue.drain();
      return { tenantId: 'default', eventId: (JSON.parse(response.body) as { eventId: string }).eventId };
    }
    const work = (message: WorkMessage) => processWorkMessage(message, deps);
    return { world, cache, register, ingest, work };
  }

  it('reads no tenant data for an event of the cached registration once the cache is warm', async () => {
    // Prepare
    const { world, register, ingest, work } = await setup();
    const key = await register('reg-1', 'token-1', '+15005550006');
    await work(await ingest(key));
    const reads = countReads(world);

    // Act
    const outcome = await work(await ingest(key));

    // Assess
    expect(outcome).toEqual({ action: 'ack', status: 'sent' });
    expect(reads).toEqual({ getTenant: 0, getTemplates: 0 });
  });

  it('sends the first event of a new registration with its credentials, not the cached ones', async () => {
    // Prepare
    const { world, register, ingest, work } = await setup();
    const oldKey = await register('reg-1', 'token-1', '+15005550006');
    await work(await ingest(oldKey));
    const newKey = await register('reg-2', 'token-2', '+15005550007');

    // Act
    const outcome = await work(await ingest(newKey));

    // Assess
    expect(outcome).toEqual({ action: 'ack', status: 'sent' });
    const last = world.sms.sendCalls.at(-1);
    expect(last?.credentials).toEqual({ accountSid: ACCOUNT_SID, authToken: 'token-2' });
    expect(last?.message.from).toBe('+15005550007');
  });

  it('after a new registration, an event of an older key goes out with the new credentials too', async () => {
    // Prepare
    const { world, register, ingest, work } = await setup();
    const oldKey = await register('reg-1', 'token-1', '+15005550006');
    await work(await ingest(oldKey));
    const newKey = await register('reg-2', 'token-2', '+15005550007');
    await work(await ingest(newKey));

    // Act
    const outcome = await work(await ingest(oldKey));

    // Assess
    expect(outcome).toEqual({ action: 'ack', status: 'sent' });
    const pairs = world.sms.sendCalls.map((c) => [c.credentials.authToken, c.message.from]);
    expect(pairs).toEqual([
      ['token-1', '+15005550006'],
      ['token-2', '+15005550007'],
      ['token-2', '+15005550007'],
    ]);
  });

  it('reads afresh for an event no registration key brought (a Web hook key, a key older than this check)', async () => {
    // Prepare
    const { world, register, ingest, work } = await setup();
    await register('reg-1', 'token-1', '+15005550006');
    const { key: operatorKey } = await issueApiKey(world.tenants, world.clock, 'default', { label: 'operator' });
    await work(await ingest(operatorKey));
    await world.secrets.putTenantSecret('default', secret('reg-2', 'token-2'));
    await world.tenants.putTenant(config('reg-2', { phoneNo: '+15005550007' }));

    // Act
    const outcome = await work(await ingest(operatorKey));

    // Assess
    expect(outcome).toEqual({ action: 'ack', status: 'sent' });
    expect(world.sms.sendCalls.at(-1)?.credentials.authToken).toBe('token-2');
  });

  it('does not give up on credentials marked rejected when a new registration replaced them meanwhile', async () => {
    // Prepare
    const { world, register, ingest, work } = await setup();
    const oldKey = await register('reg-1', 'token-1', '+15005550006');
    world.sms.failNext(1, twilioErrors.authenticate());
    const rejected = await work(await ingest(oldKey));
    // The owner fixes the token in the hook form: another container registers it.
    await register('reg-2', 'token-2', '+15005550006');

    // Act
    const outcome = await work(await ingest(oldKey));

    // Assess
    expect(rejected).toEqual({ action: 'ack', status: 'failed' });
    expect(outcome).toEqual({ action: 'ack', status: 'sent' });
    expect(world.sms.sendCalls.at(-1)?.credentials.authToken).toBe('token-2');
  });

  it('never pairs the cached config with a secret of another registration', async () => {
    // Prepare
    const { world, register, ingest, work } = await setup();
    const key = await register('reg-1', 'token-1', '+15005550006');
    await work(await ingest(key));
    // Halfway through a registration elsewhere: the secret is new, the config not yet; the caches have expired.
    await world.secrets.putTenantSecret('default', secret('reg-2', 'token-2'));
    world.clock.advanceSeconds(61);

    // Act
    const outcome = await work(await ingest(key));

    // Assess
    expect(outcome.action).toBe('retry');
    expect(world.sms.sendCalls).toHaveLength(1);
  });
});
