import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsManagerSecretStore } from '../../lambdas/adapters/secrets-manager-secret-store';
import type { Logger } from '../../lambdas/core/ports';
import type { TenantSecret } from '../../lambdas/core/model';
import { CapturingLogger } from '../helpers/capturing-logger';
import { FakeClock } from '../helpers/fake-clock';
import { FakeSecretsManager } from '../helpers/fake-secrets-manager';

const PREFIX = 'fineract-hooks/tenants/';

describe('SecretsManagerSecretStore against a loopback Secrets Manager', () => {
  let fake: FakeSecretsManager;
  let client: SecretsManagerClient;
  let clock: FakeClock;

  beforeAll(async () => {
    fake = await FakeSecretsManager.start();
    client = new SecretsManagerClient({ endpoint: fake.endpoint, region: 'us-east-1', maxAttempts: 2 });
  });

  afterAll(async () => {
    client.destroy();
    await fake.stop();
  });

  beforeEach(() => {
    fake.reset();
    clock = new FakeClock();
  });

  function store(options: { cacheTtlMs?: number; logger?: Logger } = {}) {
    return new SecretsManagerSecretStore({ prefix: PREFIX, client, now: clock.nowMs, ...options });
  }

  const secret = (registrationId: string, mifosToken = 'bWlmb3M6cGFzc3dvcmQ='): TenantSecret => ({
    smsProviderToken: `twilio-token-${registrationId}`,
    mifosToken,
    registrationId,
  });

  it('creates the secret on first put, then reads it back', async () => {
    // Prepare
    const secrets = store();
    // Act
    await secrets.putTenantSecret('default', secret('r1'));
    const read = await secrets.getTenantSecret('default');
    // Assess
    expect(read).toEqual(secret('r1'));
    expect(fake.calls).toEqual(['PutSecretValue', 'CreateSecret', 'GetSecretValue']);
    expect(JSON.parse(fake.currentValue(`${PREFIX}default`)!)).toEqual(secret('r1'));
  });

  it('returns undefined for a tenant without a secret', async () => {
    // Prepare
    const secrets = store();
    // Act
    const read = await secrets.getTenantSecret('nobody');
    // Assess
    expect(read).toBeUndefined();
  });

  it('updates with a new version and drops its cached value on put', async () => {
    // Prepare
    const secrets = store();
    await secrets.putTenantSecret('default', secret('r1'));
    await secrets.getTenantSecret('default'); // cached now
    // Act
    await secrets.putTenantSecret('default', secret('r2'));
    const read = await secrets.getTenantSecret('default');
    // Assess
    expect(read?.registrationId).toBe('r2');
    expect(fake.calls.filter((op) => op === 'CreateSecret')).toHaveLength(1);
    expect(fake.secrets.get(`${PREFIX}default`)!.versions.size).toBe(2); // AWSCURRENT + AWSPREVIOUS
  });

  it('serves reads from the cache within the TTL and reads again after it', async () => {
    // Prepare
    const secrets = store({ cacheTtlMs: 60_000 });
    await store().putTenantSecret('default', secret('r1'));
    await secrets.getTenantSecret('default');
    await store().putTenantSecret('default', secret('r2')); // another container re-registered
    // Act
    const withinTtl = await secrets.getTenantSecret('default');
    clock.advanceMs(60_001);
    const afterTtl = await secrets.getTenantSecret('default');
    // Assess
    expect(withinTtl?.registrationId).toBe('r1');
    expect(afterTtl?.registrationId).toBe('r2');
    expect(fake.calls.filter((op) => op === 'GetSecretValue')).toHaveLength(2);
  });

  it('reads through the cache when asked for a fresh value', async () => {
    // Prepare
    const secrets = store();
    await store().putTenantSecret('default', secret('r1'));
    await secrets.getTenantSecret('default');
    await store().putTenantSecret('default', secret('r2'));
    // Act
    const cached = await secrets.getTenantSecret('default');
    const fresh = await secrets.getTenantSecret('default', { fresh: true });
    const afterwards = await secrets.getTenantSecret('default');
    // Assess
    expect([cached?.registrationId, fresh?.registrationId, afterwards?.registrationId]).toEqual(['r1', 'r2', 'r2']);
  });

  it('shares one request between concurrent reads', async () => {
    // Prepare
    const secrets = store();
    await secrets.putTenantSecret('default', secret('r1'));
    fake.calls.length = 0;
    // Act
    const reads = await Promise.all([1, 2, 3].map(() => secrets.getTenantSecret('default')));
    // Assess
    expect(reads.map((r) => r?.registrationId)).toEqual(['r1', 'r1', 'r1']);
    expect(fake.calls).toEqual(['GetSecretValue']);
  });

  it('deletes with a recovery window; reads then see nothing and a second delete is fine', async () => {
    // Prepare
    const secrets = store();
    await secrets.putTenantSecret('default', secret('r1'));
    await secrets.getTenantSecret('default');
    // Act
    await secrets.deleteTenantSecret('default');
    const read = await secrets.getTenantSecret('default');
    await secrets.deleteTenantSecret('default');
    await secrets.deleteTenantSecret('never-existed');
    // Assess
    expect(read).toBeUndefined();
    expect(fake.secrets.get(`${PREFIX}default`)?.deletedDate).toBeDefined(); // scheduled, not force-deleted
  });

  it('re-registers after a delete by restoring the scheduled secret', async () => {
    // Prepare
    const secrets = store();
    await secrets.putTenantSecret('default', secret('r1'));
    await secrets.deleteTenantSecret('default');
    fake.calls.length = 0;
    // Act
    await secrets.putTenantSecret('default', secret('r2'));
    const read = await secrets.getTenantSecret('default');
    // Assess
    expect(read?.registrationId).toBe('r2');
    expect(fake.calls).toEqual(['PutSecretValue', 'RestoreSecret', 'PutSecretValue', 'GetSecretValue']);
    expect(fake.secrets.get(`${PREFIX}default`)?.deletedDate).toBeUndefined();
  });

  it('recreates a secret whose recovery window has passed', async () => {
    // Prepare
    const secrets = store();
    await secrets.putTenantSecret('default', secret('r1'));
    await secrets.deleteTenantSecret('default');
    fake.purge(`${PREFIX}default`);
    // Act
    await secrets.putTenantSecret('default', secret('r3'));
    const read = await secrets.getTenantSecret('default');
    // Assess
    expect(read?.registrationId).toBe('r3');
  });

  it('surfaces Secrets Manager failures without leaking the value', async () => {
    // Prepare
    const secrets = store();
    const logger = new CapturingLogger();
    const logged = store({ logger });
    await logged.putTenantSecret('default', secret('r1', 'c2VjcmV0LXVzZXI6aHVudGVyMg=='));
    fake.failNext('GetSecretValue', 'AccessDeniedException', 400);
    // Act
    const failure = secrets.getTenantSecret('default');
    // Assess
    await expect(failure).rejects.toMatchObject({ name: 'AccessDeniedException' });
    const everythingLogged = logger.text();
    expect(everythingLogged).not.toContain('c2VjcmV0LXVzZXI6aHVudGVyMg==');
    expect(everythingLogged).not.toContain('twilio-token');
  });

  it('finds the endpoint in AWS_ENDPOINT_URL_SECRETS_MANAGER when no client is given', async () => {
    // Prepare
    const previous = process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = fake.endpoint;
    const secrets = new SecretsManagerSecretStore({ prefix: PREFIX });
    // Act
    try {
      await secrets.putTenantSecret('from-env', secret('r1'));
    } finally {
      if (previous === undefined) delete process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
      else process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = previous;
    }
    // Assess
    expect(fake.currentValue(`${PREFIX}from-env`)).toBeDefined();
  });

  it('refuses tenant ids that would escape the prefix', async () => {
    // Prepare
    const secrets = store();
    // Act
    const read = secrets.getTenantSecret('../other');
    // Assess
    await expect(read).rejects.toMatchObject({ statusCode: 400, code: 'invalid_tenant' });
    expect(fake.calls).toEqual([]);
  });
});
