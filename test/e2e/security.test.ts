/**
 * Issue 9 over real HTTP against the local server: a stranger cannot take a tenant over (either enrollment mode),
 * the owner's own flows keep working, a Web hook (ingest) key cannot use the admin API, and refusals are audited
 * with tenant, route and source IP but never the key.
 */
import { randomBytes } from 'node:crypto';
import { issueApiKey } from '../../lambdas/core/api-keys';
import { type SmsBridgeWorld, startSmsBridgeWorld } from '../helpers/sms-bridge-session';

jest.setTimeout(60_000);

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

describe.each(['open', 'closed'])('e2e: a stranger re-registering an existing tenant (%s enrollment)', (mode) => {
  let world: SmsBridgeWorld;
  let counter = 0;
  const stranger = { accountSid: `AC${hex(16)}`, authToken: hex(16) };

  beforeAll(async () => {
    world = await startSmsBridgeWorld({
      fineract: { basePath: '/mifosng-provider/api/v1/', tenantHeader: 'mifosx' },
      env: { OPEN_ENROLLMENT: mode === 'open' ? 'true' : 'false' },
    });
    // The stranger owns a perfectly valid Twilio account of their own.
    world.twilio.addAccount(stranger.accountSid, stranger.authToken, 'Stranger');
  });

  afterAll(async () => {
    await world.stop();
  });

  /** The owner's hook, registered (enrolled first when enrollment is closed). */
  async function ownedTenant() {
    const tenantId = `${mode}-${++counter}`;
    if (mode === 'closed') {
      await world.receiver.receiver.deps.register.tenants.putEnrollment({
        tenantId,
        enrolledAt: new Date().toISOString(),
      });
    }
    const owner = world.session({ flavour: 'mifosx', tenantId });
    const { key } = await owner.register();
    expect(key).toBeDefined();
    return { tenantId, owner, ownerKey: key as string };
  }

  it.each([
    [
      'a different Account SID (valid at Twilio)',
      () => ({ smsProviderAccountId: stranger.accountSid, smsProviderToken: stranger.authToken }),
      409,
    ],
    ['the same Account SID with a wrong token', () => ({ smsProviderToken: hex(16) }), 422],
    ['a different endpoint', () => ({ endpoint: 'http://127.0.0.1:9/mifosng-provider/api/v1/' }), 409],
  ])('with %s is refused and the owner keeps everything', async (_case, change, status) => {
    // Prepare
    const { tenantId, owner, ownerKey } = await ownedTenant();
    const before = await owner.tenant();
    const intruder = world.session({ flavour: 'mifosx', tenantId });

    // Act
    const attempt = await intruder.register(change());
    const ownerConfig = await owner.getConfig({ key: ownerKey });
    const strangerReads = await intruder.listEvents({}, { key: attempt.key ?? 'fhk_none' });

    // Assess
    expect(attempt.response.status).toBe(status);
    expect(attempt.key).toBeUndefined();
    if (status === 409) expect(attempt.response.text).toContain(`tenants enroll ${tenantId} --replace`);
    expect(await owner.tenant()).toEqual(before);
    expect(ownerConfig.status).toBe(200);
    expect(strangerReads.status).toBe(401);
    const refusal = world.receiver.logger.entries.find(
      (e) => e.message === 'registration refused' && e.extra?.tenantId === tenantId,
    );
    expect(refusal?.extra).toMatchObject({ sourceIp: expect.stringMatching(/127\.0\.0\.1/) });
    expect(world.receiver.logger.text()).not.toContain(stranger.authToken);
  });

  it('lets the owner save the hook again and rotate the Twilio token', async () => {
    // Prepare
    const { owner, ownerKey } = await ownedTenant();
    const rotatedToken = hex(16);
    const { accountSid, authToken } = world.twilioAccount;

    // Act
    const saved = await owner.register();
    world.twilio.addAccount(accountSid, rotatedToken, 'Microfinance SMS (rotated token)');
    const rotated = await owner.register({ smsProviderToken: rotatedToken }).finally(() => {
      world.twilio.addAccount(accountSid, authToken, 'Microfinance SMS');
    });
    const oldKeyInGrace = await owner.getConfig({ key: ownerKey });

    // Assess
    expect([saved.response.status, rotated.response.status]).toEqual([201, 201]);
    expect(oldKeyInGrace.status).toBe(200);
  });

  it('lets one new owner in after an operator --replace, and the old owner’s keys stop at once', async () => {
    // Prepare
    const { tenantId, owner, ownerKey } = await ownedTenant();
    const until = new Date(Date.now() + 24 * 3600_000).toISOString();
    await world.receiver.receiver.deps.register.tenants.putEnrollment({
      tenantId,
      enrolledAt: new Date().toISOString(),
      replaceUntil: until,
    });
    const newOwner = world.session({ flavour: 'mifosx', tenantId });
    const strangerCreds = { smsProviderAccountId: stranger.accountSid, smsProviderToken: stranger.authToken };

    // Act
    const replaced = await newOwner.register(strangerCreds);
    const oldKey = await owner.getConfig({ key: ownerKey });
    const oldOwnerBack = await owner.register();

    // Assess
    expect(replaced.response.status).toBe(201);
    expect(oldKey.status).toBe(401);
    expect(oldOwnerBack.response.status).toBe(409);
  });
});

describe('e2e: key scopes', () => {
  let world: SmsBridgeWorld;

  beforeAll(async () => {
    world = await startSmsBridgeWorld({ fineract: { basePath: '/mifosng-provider/api/v1/', tenantHeader: 'mifosx' } });
  });

  afterAll(async () => {
    await world.stop();
  });

  it('a Web hook (ingest) key gets 403 on every admin route, is never logged, and may post events', async () => {
    // Prepare
    const hook = world.session({ flavour: 'mifosx', tenantId: 'scoped' });
    const { key: adminKey } = await hook.register();
    const { tenants } = world.receiver.receiver.deps.register;
    const ingest = await issueApiKey(tenants, { now: () => new Date() }, 'scoped', { label: 'cli', scope: 'ingest' });

    // Act
    const answers = [
      await hook.getConfig({ key: ingest.key }),
      await hook.listEvents({}, { key: ingest.key }),
      await hook.resend({ key: ingest.key }),
      await hook.deleteConfig({ key: ingest.key }),
    ];
    const posted = await hook.sendEvent('mifosx-sms-client-create', { key: ingest.key });
    const withAdmin = await hook.getConfig({ key: adminKey });

    // Assess
    expect(answers.map((a) => a.status)).toEqual([403, 403, 403, 403]);
    expect(answers[0]?.text).toContain('admin key');
    expect(posted.status).toBe(200);
    expect(withAdmin.status).toBe(200);
    const audit = world.receiver.logger.entries.filter(
      (e) => e.message === 'request refused' && e.extra?.tenantId === 'scoped',
    );
    expect(audit).toHaveLength(4);
    for (const line of audit) expect(line.extra).toMatchObject({ statusCode: 403, sourceIp: expect.any(String) });
    expect(audit.map((l) => l.extra?.route)).toContain('GET /modules/sms/events/{tenantId}');
    expect(world.receiver.logger.text()).not.toContain(ingest.key);
  });
});
