/**
 * Issue 9: a stranger cannot take a tenant over by registering it again; the owner's own flows (saving the hook
 * again, rotating the Twilio token) and an operator's one-time `--replace` keep working.
 */
import { Authenticator, issueApiKey, MAX_LIVE_KEYS } from '../../lambdas/core/api-keys';
import { dispatchHttp } from '../../lambdas/core/dispatch';
import { DownstreamError } from '../../lambdas/core/errors';
import type { HttpResponse } from '../../lambdas/core/http';
import { handleRegistration, type RegisterDeps } from '../../lambdas/core/registration';
import { type RegistrationBody, registrationBody } from '../helpers/fixtures';
import { httpRequest, memoryWorld, tick } from '../helpers/memory-ports';

const GRACE_SECONDS = 86_400;
const OWNER: RegistrationBody = { ...registrationBody(), smsProviderToken: '0wn3r70k3n0wn3r70k3n0wn3r70k3naa' };
const STRANGER_SID = 'ACffffffffffffffffffffffffffffffff';
const STRANGER_TOKEN = '57r4n63r57r4n63r57r4n63r57r4n6aa';
const STRANGER_IP = '203.0.113.66';

type Mode = 'open' | 'closed';

function setup(mode: Mode) {
  const world = memoryWorld();
  const auth = new Authenticator(world.tenants, world.clock, 0);
  const deps: RegisterDeps = {
    tenants: world.tenants,
    secrets: world.secrets,
    sms: world.sms,
    urlPolicy: world.urlPolicy,
    clock: world.clock,
    logger: world.logger,
    metrics: world.metrics,
    auth,
    settings: { openEnrollment: mode === 'open', keyGraceSeconds: GRACE_SECONDS },
    sleep: () => tick(),
  };
  const register = (body: Partial<RegistrationBody>, sourceIp = '198.51.100.7'): Promise<HttpResponse> =>
    dispatchHttp(
      httpRequest({
        path: '/configuration',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
        sourceIp,
      }),
      { register: (r) => handleRegistration(r, deps) },
      world.logger,
      world.metrics,
    );
  const enroll = (extra: Record<string, string> = {}) =>
    world.tenants.putEnrollment({ tenantId: 'default', enrolledAt: world.clock.now().toISOString(), ...extra });
  /** The owner's first registration (enrolled first when enrollment is closed); its key. */
  const registerOwner = async (): Promise<string> => {
    if (mode === 'closed') await enroll();
    const response = await register(OWNER);
    expect(response.statusCode).toBe(201);
    return JSON.parse(response.body) as string;
  };
  const works = async (key: string) =>
    auth.authenticate('default', key, 'admin').then(
      () => true,
      () => false,
    );
  return { world, auth, register, enroll, registerOwner, works };
}

function errorOf(response: HttpResponse): { code: string; message: string } {
  return (JSON.parse(response.body) as { error: { code: string; message: string } }).error;
}

const TAKEOVERS: [string, number, Partial<RegistrationBody>][] = [
  ['a different Account SID', 409, { smsProviderAccountId: STRANGER_SID, smsProviderToken: STRANGER_TOKEN }],
  ['a different endpoint', 409, { endpoint: 'https://attacker.example/fineract-provider/api/' }],
  ['a different endpoint path on the same host', 409, { endpoint: 'https://mifos.example.org:8443/other/api/v1/' }],
];

describe.each<Mode>(['open', 'closed'])('a stranger re-registering a tenant (%s enrollment)', (mode) => {
  it.each(TAKEOVERS)('with %s gets %i and changes nothing', async (_label, status, change) => {
    // Prepare
    const { world, register, registerOwner, works } = setup(mode);
    const ownerKey = await registerOwner();
    const configBefore = await world.tenants.getTenant('default');
    const secretBefore = await world.secrets.getTenantSecret('default');
    const keysBefore = world.tenants.keys.size;

    // Act
    const response = await register({ ...OWNER, ...change }, STRANGER_IP);

    // Assess
    expect(response.statusCode).toBe(status);
    expect(errorOf(response)).toMatchObject({
      code: 'tenant_owned_by_another',
      message: expect.stringContaining('npm run cli -- tenants enroll default --replace'),
    });
    expect(await world.tenants.getTenant('default')).toEqual(configBefore);
    expect(await world.secrets.getTenantSecret('default')).toEqual(secretBefore);
    expect(world.tenants.keys.size).toBe(keysBefore);
    expect(await works(ownerKey)).toBe(true);
    expect(world.metrics.get('RegistrationRefused')).toBe(1);
    const refusal = world.logger.entries.find((e) => e.message === 'registration refused');
    expect(refusal?.extra).toMatchObject({
      tenantId: 'default',
      sourceIp: STRANGER_IP,
      outcome: 'tenant_owned_by_another',
    });
    expect(world.logger.text()).not.toContain(STRANGER_TOKEN);
  });

  it('with the owner’s Account SID and a token Twilio rejects gets 422 and changes nothing', async () => {
    // Prepare
    const { world, register, registerOwner, works } = setup(mode);
    const ownerKey = await registerOwner();
    const secretBefore = await world.secrets.getTenantSecret('default');
    world.sms.verifyError = new DownstreamError('twilio', 'HTTP 401, code 20003', {
      retryable: false,
      status: 401,
      code: 20003,
      credentialsInvalid: true,
    });

    // Act
    const response = await register({ ...OWNER, smsProviderToken: STRANGER_TOKEN }, STRANGER_IP);

    // Assess
    expect(response.statusCode).toBe(422);
    expect(errorOf(response).code).toBe('twilio_credentials_rejected');
    expect(await world.secrets.getTenantSecret('default')).toEqual(secretBefore);
    expect(await works(ownerKey)).toBe(true);
    expect(world.metrics.get('RegistrationRefused')).toBe(1);
    expect(world.logger.text()).not.toContain(STRANGER_TOKEN);
  });
});

describe.each<Mode>(['open', 'closed'])('the owner’s own flows (%s enrollment)', (mode) => {
  it('saving the hook again (same SID, token and endpoint) gives 201 and a new key; the old one has the grace period', async () => {
    // Prepare
    const { world, register, registerOwner, works } = setup(mode);
    const oldKey = await registerOwner();
    world.clock.advanceSeconds(60);

    // Act
    const response = await register(OWNER);
    const newKey = JSON.parse(response.body) as string;
    const oldDuringGrace = await works(oldKey);
    world.clock.advanceSeconds(GRACE_SECONDS);
    const oldAfterGrace = await works(oldKey);

    // Assess
    expect(response.statusCode).toBe(201);
    expect(await works(newKey)).toBe(true);
    expect([oldDuringGrace, oldAfterGrace]).toEqual([true, false]);
    expect(world.metrics.get('TenantReregistered')).toBe(1);
  });

  it('a rotated Twilio token (same SID, new valid token) is accepted and stored', async () => {
    // Prepare
    const { world, register, registerOwner } = setup(mode);
    await registerOwner();
    const rotated = 'r07473dr07473dr07473dr07473d00aa';

    // Act
    const response = await register({ ...OWNER, smsProviderToken: rotated });

    // Assess
    expect(response.statusCode).toBe(201);
    expect((await world.secrets.getTenantSecret('default'))?.smsProviderToken).toBe(rotated);
  });

  it('the same endpoint written as …/api/ instead of …/api/v1/, or with another host case, is the same owner', async () => {
    // Prepare
    const { register, registerOwner } = setup(mode);
    await registerOwner();

    // Act
    const short = await register({ ...OWNER, endpoint: 'https://mifos.example.org:8443/mifosng-provider/api/' });
    const upper = await register({ ...OWNER, endpoint: 'https://MIFOS.example.org:8443/mifosng-provider/api/v1' });

    // Assess
    expect([short.statusCode, upper.statusCode]).toEqual([201, 201]);
  });

  it('an operator’s --replace lets exactly one new owner register; every old key stops at once', async () => {
    // Prepare
    const { world, register, enroll, registerOwner, works } = setup(mode);
    const ownerKey = await registerOwner();
    const until = new Date(world.clock.now().getTime() + 24 * 3600_000).toISOString();
    await enroll({ replaceUntil: until });
    const newOwner = { ...OWNER, smsProviderAccountId: STRANGER_SID, smsProviderToken: STRANGER_TOKEN };

    // Act
    const replaced = await register(newOwner, STRANGER_IP);
    const third = await register({ ...OWNER, smsProviderAccountId: 'AC99999999999999999999999999999999' }, '192.0.2.1');
    const backToOld = await register(OWNER);

    // Assess
    expect(replaced.statusCode).toBe(201);
    expect(await works(ownerKey)).toBe(false);
    expect(await works(JSON.parse(replaced.body) as string)).toBe(true);
    expect((await world.tenants.getTenant('default'))?.accountSid).toBe(STRANGER_SID);
    expect([third.statusCode, backToOld.statusCode]).toEqual([409, 409]);
    expect((await world.tenants.getEnrollment('default'))?.replaceUntil).toBeUndefined();
    expect(world.metrics.get('TenantOwnerReplaced')).toBe(1);
  });

  it('a --replace whose window has passed no longer replaces the owner', async () => {
    // Prepare
    const { world, register, enroll, registerOwner } = setup(mode);
    await registerOwner();
    await enroll({ replaceUntil: new Date(world.clock.now().getTime() + 3600_000).toISOString() });
    world.clock.advanceSeconds(2 * 3600);

    // Act
    const response = await register({ ...OWNER, smsProviderAccountId: STRANGER_SID });

    // Assess
    expect(response.statusCode).toBe(409);
  });

  it('a re-registration revokes at once keys issued to a different provider account', async () => {
    // Prepare
    const { world, register, registerOwner, works } = setup(mode);
    const ownerKey = await registerOwner();
    const foreign = await issueApiKey(world.tenants, world.clock, 'default', {
      label: 'registration',
      accountSid: STRANGER_SID,
    });

    // Act
    const response = await register(OWNER);

    // Assess
    expect(response.statusCode).toBe(201);
    expect(await works(foreign.key)).toBe(false);
    expect(await works(ownerKey)).toBe(true);
  });
});

describe('enrollment is used up by the first registration (closed enrollment)', () => {
  it('a deleted tenant cannot register again on the same enrollment; enrolling again allows it', async () => {
    // Prepare
    const { world, register, enroll, registerOwner } = setup('closed');
    await registerOwner();
    await world.tenants.deleteTenant('default');

    // Act
    const used = await register(OWNER);
    await enroll();
    const again = await register(OWNER);

    // Assess
    expect(used.statusCode).toBe(403);
    expect(errorOf(used)).toMatchObject({
      code: 'enrollment_used',
      message: expect.stringContaining('tenants enroll'),
    });
    expect(again.statusCode).toBe(201);
  });

  it('open enrollment lets a new tenant id register freely', async () => {
    // Prepare
    const { register } = setup('open');

    // Act
    const response = await register({ ...OWNER, tenantId: 'branch-7' });

    // Assess
    expect(response.statusCode).toBe(201);
  });
});

describe('keys do not pile up', () => {
  it(`after 40 registrations at most ${MAX_LIVE_KEYS} keys are stored and the newest works`, async () => {
    // Prepare
    const { world, register, registerOwner, works } = setup('open');
    await registerOwner();
    let last = '';

    // Act
    for (let i = 0; i < 40; i++) {
      world.clock.advanceSeconds(1);
      last = JSON.parse((await register(OWNER)).body) as string;
    }

    // Assess
    expect((await world.tenants.listApiKeys('default')).length).toBeLessThanOrEqual(MAX_LIVE_KEYS);
    expect(await works(last)).toBe(true);
  });

  it('expired keys are deleted when the next key is issued', async () => {
    // Prepare
    const { world, register, registerOwner } = setup('open');
    await registerOwner();
    await register(OWNER);
    world.clock.advanceSeconds(GRACE_SECONDS + 1);

    // Act
    await register(OWNER);

    // Assess
    const keys = await world.tenants.listApiKeys('default');
    expect(keys.filter((k) => k.expiresAt && Date.parse(k.expiresAt) <= world.clock.now().getTime())).toHaveLength(0);
    expect(keys).toHaveLength(2);
  });
});
