import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  InvalidRequestException,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  RestoreSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { SecretsManagerSecretStore } from '../../lambdas/adapters/secrets-manager-secret-store';
import type { TenantSecret } from '../../lambdas/core/model';

const sm = mockClient(SecretsManagerClient);
const NAME = 'fineract-hooks/tenants/default';
const SECRET: TenantSecret = { smsProviderToken: 'tw-token', mifosToken: 'bWlmb3M6cGFzc3dvcmQ=', registrationId: 'r1' };
const notFound = () =>
  new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} });
const markedForDeletion = () =>
  new InvalidRequestException({
    message: "You can't perform this operation on the secret because it was marked for deletion.",
    $metadata: {},
  });

function store() {
  return new SecretsManagerSecretStore({ prefix: 'fineract-hooks/tenants/', client: new SecretsManagerClient({}) });
}

beforeEach(() => sm.reset());

describe('SecretsManagerSecretStore (mocked SDK)', () => {
  it('peeks at what it holds only: nothing before a read, the value after it, nothing once it expired', async () => {
    // Prepare
    let now = 1_000_000;
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(SECRET) });
    const secrets = new SecretsManagerSecretStore({
      prefix: 'fineract-hooks/tenants/',
      client: new SecretsManagerClient({}),
      cacheTtlMs: 60_000,
      now: () => now,
    });

    // Act
    const before = secrets.peekTenantSecret('default');
    await secrets.getTenantSecret('default');
    const held = secrets.peekTenantSecret('default');
    now += 60_001;
    const expired = secrets.peekTenantSecret('default');

    // Assess
    expect([before, held, expired]).toEqual([undefined, SECRET, undefined]);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('puts a new version when the secret exists', async () => {
    // Prepare
    sm.on(PutSecretValueCommand).resolves({ Name: NAME });
    // Act
    await store().putTenantSecret('default', SECRET);
    // Assess
    const input = sm.commandCalls(PutSecretValueCommand)[0]!.args[0].input;
    expect(input.SecretId).toBe(NAME);
    expect(JSON.parse(input.SecretString!)).toEqual(SECRET);
    expect(sm.commandCalls(CreateSecretCommand)).toHaveLength(0);
  });

  it('creates the secret when PutSecretValue says it does not exist', async () => {
    // Prepare
    sm.on(PutSecretValueCommand).rejects(notFound());
    sm.on(CreateSecretCommand).resolves({ Name: NAME });
    // Act
    await store().putTenantSecret('default', SECRET);
    // Assess
    const create = sm.commandCalls(CreateSecretCommand);
    expect(create).toHaveLength(1);
    expect(create[0]!.args[0].input.Name).toBe(NAME);
    expect(JSON.parse(create[0]!.args[0].input.SecretString!)).toEqual(SECRET);
  });

  it('falls back to PutSecretValue when a concurrent registration created it first', async () => {
    // Prepare
    sm.on(PutSecretValueCommand).rejectsOnce(notFound()).resolves({ Name: NAME });
    sm.on(CreateSecretCommand).rejects(
      new ResourceExistsException({
        message: 'The operation failed because the secret already exists.',
        $metadata: {},
      }),
    );
    // Act
    await store().putTenantSecret('default', SECRET);
    // Assess
    expect(sm.commandCalls(CreateSecretCommand)).toHaveLength(1);
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(2);
  });

  it('restores a secret scheduled for deletion, then puts', async () => {
    // Prepare
    sm.on(PutSecretValueCommand).rejectsOnce(markedForDeletion()).resolves({ Name: NAME });
    sm.on(RestoreSecretCommand).resolves({ Name: NAME });
    // Act
    await store().putTenantSecret('default', SECRET);
    // Assess
    expect(sm.commandCalls(RestoreSecretCommand)[0]!.args[0].input).toEqual({ SecretId: NAME });
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(2);
  });

  it('does not swallow other InvalidRequestExceptions', async () => {
    // Prepare
    sm.on(PutSecretValueCommand).rejects(
      new InvalidRequestException({ message: 'You provided a parameter value that is not valid.', $metadata: {} }),
    );
    // Act
    const put = store().putTenantSecret('default', SECRET);
    // Assess
    await expect(put).rejects.toBeInstanceOf(InvalidRequestException);
    expect(sm.commandCalls(RestoreSecretCommand)).toHaveLength(0);
  });

  it('deletes with a 7-day recovery window and treats not-found as done', async () => {
    // Prepare
    sm.on(DeleteSecretCommand).rejects(notFound());
    // Act
    await store().deleteTenantSecret('default');
    // Assess
    expect(sm.commandCalls(DeleteSecretCommand)[0]!.args[0].input).toEqual({ SecretId: NAME, RecoveryWindowInDays: 7 });
  });

  it('reads a secret marked for deletion as absent', async () => {
    // Prepare
    sm.on(GetSecretValueCommand).rejects(markedForDeletion());
    // Act
    const read = await store().getTenantSecret('default');
    // Assess
    expect(read).toBeUndefined();
  });

  it('reports a malformed secret without echoing it', async () => {
    // Prepare
    sm.on(GetSecretValueCommand).resolves({ SecretString: '{"smsProviderToken":"leaky-value"' });
    // Act
    const read = store().getTenantSecret('default');
    // Assess
    await expect(read).rejects.toThrow('The secret of tenant default is not valid JSON.');
    await expect(read).rejects.not.toThrow(/leaky-value/);
  });

  it('does not cache a value read before a concurrent put finished', async () => {
    // Prepare
    let releaseRead: (value: { SecretString: string }) => void = () => undefined;
    sm.on(GetSecretValueCommand)
      .callsFakeOnce(() => new Promise((resolve) => (releaseRead = resolve)))
      .resolves({ SecretString: JSON.stringify({ ...SECRET, registrationId: 'r2' }) });
    sm.on(PutSecretValueCommand).resolves({ Name: NAME });
    const secrets = store();
    // Act
    const staleRead = secrets.getTenantSecret('default');
    await new Promise((resolve) => setImmediate(resolve));
    await secrets.putTenantSecret('default', { ...SECRET, registrationId: 'r2' });
    releaseRead({ SecretString: JSON.stringify(SECRET) });
    const first = await staleRead;
    const next = await secrets.getTenantSecret('default');
    // Assess
    expect(first?.registrationId).toBe('r1');
    expect(next?.registrationId).toBe('r2');
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });
});
