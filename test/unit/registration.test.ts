import { Authenticator, hashApiKey } from '../../lambdas/core/api-keys';
import { dispatchHttp } from '../../lambdas/core/dispatch';
import { DownstreamError, UrlNotAllowedError } from '../../lambdas/core/errors';
import type { HttpResponse } from '../../lambdas/core/http';
import { handleRegistration, type RegisterDeps } from '../../lambdas/core/registration';
import { readSettings } from '../../lambdas/core/settings';
import { type RegistrationBody, registrationBody } from '../helpers/fixtures';
import { httpRequest, memoryWorld, tick } from '../helpers/memory-ports';

const DEFAULT_GRACE_SECONDS = readSettings({}).keyGraceSeconds;

// The fixture's token is a substring of its account SID; a distinct one lets the tests search for it.
const MIFOSX_BODY = {
  ...registrationBody(),
  smsProviderToken: '5ec7e75ec7e75ec7e75ec7e75ec7e7aa',
};
const FINERACT_BODY = registrationBody('fineract-sms-registration-root');

function setup(settings: Partial<RegisterDeps['settings']> = {}) {
  const world = memoryWorld();
  const auth = new Authenticator(world.tenants, world.clock);
  const deps: RegisterDeps = {
    tenants: world.tenants,
    secrets: world.secrets,
    sms: world.sms,
    urlPolicy: world.urlPolicy,
    clock: world.clock,
    logger: world.logger,
    metrics: world.metrics,
    auth,
    settings: { openEnrollment: true, keyGraceSeconds: DEFAULT_GRACE_SECONDS, ...settings },
    sleep: () => tick(),
  };
  const register = (
    body: Partial<RegistrationBody> | string,
    contentType = 'application/json; charset=UTF-8',
  ): Promise<HttpResponse> =>
    dispatchHttp(
      httpRequest({
        path: '/configuration',
        headers: { 'Content-Type': contentType },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
      { register: (r) => handleRegistration(r, deps) },
      world.logger,
    );
  return { world, deps, auth, register };
}

function errorOf(response: HttpResponse): { code: string; message: string; details?: { fields: { field: string }[] } } {
  return (
    JSON.parse(response.body) as { error: { code: string; message: string; details?: { fields: { field: string }[] } } }
  ).error;
}

function nothingStored(world: ReturnType<typeof memoryWorld>): void {
  expect(world.secrets.secrets.size).toBe(0);
  expect(world.tenants.configs.size).toBe(0);
  expect(world.tenants.keys.size).toBe(0);
}

describe('handleRegistration', () => {
  it('answers 201 with the new key as a JSON string literal and keeps the secrets out of the tenant config', async () => {
    // Prepare
    const { world, register } = setup();

    // Act
    const response = await register(MIFOSX_BODY);

    // Assess
    expect(response.statusCode).toBe(201);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.body.startsWith('"')).toBe(true);
    const key = JSON.parse(response.body) as unknown;
    expect(typeof key).toBe('string');
    expect(key as string).toMatch(/^fhk_/);
    expect((key as string).length).toBeLessThanOrEqual(100);
    expect(await world.tenants.getApiKey('default', hashApiKey(key as string))).toMatchObject({ tenantId: 'default' });

    const secret = await world.secrets.getTenantSecret('default');
    const config = await world.tenants.getTenant('default');
    expect(secret).toMatchObject({
      smsProviderToken: MIFOSX_BODY.smsProviderToken,
      mifosToken: MIFOSX_BODY.mifosToken,
    });
    expect(config).toMatchObject({
      tenantId: 'default',
      smsProvider: 'twilio',
      phoneNo: '+15005550006',
      accountSid: MIFOSX_BODY.smsProviderAccountId,
      endpoint: MIFOSX_BODY.endpoint,
      apiBase: MIFOSX_BODY.endpoint,
      registeredAt: world.clock.iso(),
    });
    expect(config?.registrationId).toBe(secret?.registrationId);
    const configText = JSON.stringify(config);
    expect(configText).not.toContain(MIFOSX_BODY.smsProviderToken);
    expect(configText).not.toContain(MIFOSX_BODY.mifosToken);
    expect(world.logger.text()).not.toContain(MIFOSX_BODY.smsProviderToken);
    expect(world.logger.text()).not.toContain(MIFOSX_BODY.mifosToken);
    expect(world.sms.verifyCalls).toEqual([
      { accountSid: MIFOSX_BODY.smsProviderAccountId, authToken: MIFOSX_BODY.smsProviderToken },
    ]);
  });

  it('normalises a Fineract 1.9 endpoint …/api/ to the API base …/api/v1/', async () => {
    // Prepare
    const { world, register } = setup();

    // Act
    const response = await register(FINERACT_BODY);

    // Assess
    expect(response.statusCode).toBe(201);
    expect(await world.tenants.getTenant('default')).toMatchObject({
      endpoint: 'https://fineract.example.org/fineract-provider/api/',
      apiBase: 'https://fineract.example.org/fineract-provider/api/v1/',
    });
  });

  it('accepts a form-encoded registration', async () => {
    // Prepare
    const { world, register } = setup();
    const form = new URLSearchParams(MIFOSX_BODY as unknown as Record<string, string>).toString();

    // Act
    const response = await register(form, 'application/x-www-form-urlencoded');

    // Assess
    expect(response.statusCode).toBe(201);
    expect(world.tenants.configs.has('default')).toBe(true);
  });

  it('answers 400 naming each missing or invalid field with its hook form label', async () => {
    // Prepare
    const { world, register } = setup();
    const { smsProviderToken: _dropped, ...rest } = MIFOSX_BODY;

    // Act
    const response = await register({ ...rest, tenantId: 'bad tenant!' });

    // Assess
    expect(response.statusCode).toBe(400);
    const error = errorOf(response);
    expect(error.code).toBe('invalid_registration');
    expect(error.message).toContain('smsProviderToken (hook field "SMS Provider Token")');
    expect(error.message).toContain('tenantId');
    expect(error.message).not.toContain('phoneNo');
    expect(error.details?.fields.map((f) => f.field).sort()).toEqual(['smsProviderToken', 'tenantId']);
    expect(world.sms.verifyCalls).toHaveLength(0);
    nothingStored(world);
  });

  it('answers 400 for a body that is not JSON', async () => {
    // Prepare
    const { world, register } = setup();

    // Act
    const response = await register('phoneNo=+15005550006&smsProvider=twilio');

    // Assess
    expect(response.statusCode).toBe(400);
    expect(errorOf(response).code).toBe('malformed_json');
    nothingStored(world);
  });

  it('answers 400 listing the supported providers for an unknown one', async () => {
    // Prepare
    const { world, register } = setup();

    // Act
    const response = await register({ ...MIFOSX_BODY, smsProvider: 'nexmo' });

    // Assess
    expect(response.statusCode).toBe(400);
    expect(errorOf(response)).toMatchObject({
      code: 'unsupported_provider',
      message: expect.stringContaining('nexmo'),
    });
    expect(errorOf(response).message).toContain('twilio, aws, africastalking');
    nothingStored(world);
  });

  it('answers 422 for a Phone Number that is neither a number, a Messaging Service SID nor a sender id', async () => {
    // Prepare
    const { world, register } = setup();

    // Act
    const response = await register({ ...MIFOSX_BODY, phoneNo: '12-ab!' });

    // Assess
    expect(response.statusCode).toBe(422);
    expect(errorOf(response).code).toBe('invalid_phone_number');
    nothingStored(world);
  });

  it('accepts an alphanumeric sender id as the From', async () => {
    // Prepare
    const { world, register } = setup();

    // Act
    const response = await register({ ...MIFOSX_BODY, phoneNo: 'MyBank' });

    // Assess
    expect(response.statusCode).toBe(201);
    const config = await world.tenants.getTenant('default');
    expect(config?.phoneNo).toBe('MyBank');
    expect(config?.messagingServiceSid).toBeUndefined();
  });

  it('accepts a Messaging Service SID (MG…) in Phone Number', async () => {
    // Prepare
    const { world, register } = setup();
    const service = `MG${'0123456789abcdef'.repeat(2)}`;

    // Act
    const response = await register({ ...MIFOSX_BODY, phoneNo: service });

    // Assess
    expect(response.statusCode).toBe(201);
    const config = await world.tenants.getTenant('default');
    expect(config?.messagingServiceSid).toBe(service);
    expect(config?.phoneNo).toBeUndefined();
  });

  it('answers 422 for an account SID that is not AC + 32 hex digits', async () => {
    // Prepare
    const { world, register } = setup();

    // Act
    const response = await register({ ...MIFOSX_BODY, smsProviderAccountId: 'AC123' });

    // Assess
    expect(response.statusCode).toBe(422);
    expect(errorOf(response).code).toBe('invalid_account_sid');
    expect(world.sms.verifyCalls).toHaveLength(0);
    nothingStored(world);
  });

  it('answers 422 and stores nothing when Twilio rejects the credentials', async () => {
    // Prepare
    const { world, register } = setup();
    world.sms.verifyError = new DownstreamError('twilio', 'HTTP 401, code 20003: Authenticate', {
      retryable: false,
      status: 401,
      code: 20003,
      credentialsInvalid: true,
    });

    // Act
    const response = await register(MIFOSX_BODY);

    // Assess
    expect(response.statusCode).toBe(422);
    expect(errorOf(response).message).toContain('Twilio rejected the SMS Provider Account Id / Token');
    nothingStored(world);
  });

  it('answers 503 with an exposed message and stores nothing when Twilio cannot be reached', async () => {
    // Prepare
    const { world, register } = setup();
    world.sms.verifyError = new DownstreamError('twilio', 'network error (ECONNREFUSED)', {
      retryable: true,
      code: 'ECONNREFUSED',
    });

    // Act
    const response = await register(MIFOSX_BODY);

    // Assess
    expect(response.statusCode).toBe(503);
    expect(errorOf(response)).toMatchObject({
      code: 'twilio_unreachable',
      message: expect.stringContaining('nothing was stored'),
    });
    nothingStored(world);
  });

  it('upserts on re-registration: the new key works, the old one until now + 24 h and not after', async () => {
    // Prepare
    const { world, auth, register } = setup();
    const oldKey = JSON.parse((await register(MIFOSX_BODY)).body) as string;
    const firstRegisteredAt = world.clock.iso();
    await auth.authenticate('default', oldKey); // warm the cache, as a running container would be
    world.clock.advanceSeconds(3600);
    const reRegisteredAt = world.clock.now();

    // Act
    const response = await register({ ...MIFOSX_BODY, smsProviderToken: 'fedcba9876543210fedcba9876543210' });

    // Assess
    expect(response.statusCode).toBe(201);
    const newKey = JSON.parse(response.body) as string;
    expect(newKey).not.toBe(oldKey);
    const graceEnd = new Date(reRegisteredAt.getTime() + DEFAULT_GRACE_SECONDS * 1000).toISOString();
    expect((await world.tenants.getApiKey('default', hashApiKey(oldKey)))?.expiresAt).toBe(graceEnd);
    expect((await world.tenants.getApiKey('default', hashApiKey(newKey)))?.expiresAt).toBeUndefined();
    const config = await world.tenants.getTenant('default');
    expect(config).toMatchObject({ registeredAt: firstRegisteredAt, updatedAt: reRegisteredAt.toISOString() });
    expect((await world.secrets.getTenantSecret('default'))?.smsProviderToken).toBe('fedcba9876543210fedcba9876543210');

    await expect(auth.authenticate('default', oldKey)).resolves.toMatchObject({ expiresAt: graceEnd });
    world.clock.set(new Date(Date.parse(graceEnd) - 1000));
    await expect(auth.authenticate('default', oldKey)).resolves.toBeDefined();
    world.clock.set(new Date(Date.parse(graceEnd) + 1000));
    await expect(auth.authenticate('default', oldKey)).rejects.toMatchObject({ statusCode: 401 });
    await expect(auth.authenticate('default', newKey)).resolves.toMatchObject({ tenantId: 'default' });
  });

  it('clears a credentials-invalid mark when the tenant registers again', async () => {
    // Prepare
    const { world, register } = setup();
    await register(MIFOSX_BODY);
    const first = await world.tenants.getTenant('default');
    await world.tenants.markCredentialsInvalid('default', world.clock.iso(), first!.registrationId);

    // Act
    await register(MIFOSX_BODY);

    // Assess
    const config = await world.tenants.getTenant('default');
    expect(config?.credentialsInvalidAt).toBeUndefined();
    expect(config?.registrationId).not.toBe(first?.registrationId);
  });

  it('gives five concurrent registrations of the same owner each a 201 and leaves config and secret from the same registration', async () => {
    // Prepare: the same account with five tokens (a rotation racing the first events)
    const { world, auth, register } = setup();
    const variants = [0, 1, 2, 3, 4].map((i) => ({
      ...MIFOSX_BODY,
      smsProviderToken: `token-${i}-${'x'.repeat(24)}`,
    }));

    // Act
    const responses = await Promise.all(variants.map((body) => register(body)));

    // Assess
    expect(responses.map((r) => r.statusCode)).toEqual([201, 201, 201, 201, 201]);
    const config = await world.tenants.getTenant('default');
    const secret = await world.secrets.getTenantSecret('default');
    expect(secret?.registrationId).toBe(config?.registrationId);
    expect(variants.map((v) => v.smsProviderToken)).toContain(secret?.smsProviderToken);
    for (const response of responses) {
      await expect(auth.authenticate('default', JSON.parse(response.body) as string)).resolves.toBeDefined();
    }
    expect(world.tenants.locks.size).toBe(0);
  });

  it('answers 403 naming the enroll command when enrollment is closed and the tenant is not enrolled', async () => {
    // Prepare
    const { world, register } = setup({ openEnrollment: false });

    // Act
    const response = await register(MIFOSX_BODY);

    // Assess
    expect(response.statusCode).toBe(403);
    expect(errorOf(response)).toMatchObject({
      code: 'not_enrolled',
      message: expect.stringContaining('tenants enroll default'),
    });
    expect(world.sms.verifyCalls).toHaveLength(0);
    nothingStored(world);
  });

  it('answers 403 when the endpoint is outside the enrolled prefix, 201 when inside', async () => {
    // Prepare
    const { world, register } = setup({ openEnrollment: false });
    await world.tenants.putEnrollment({
      tenantId: 'default',
      endpointPrefix: 'https://mifos.example.org:8443/',
      enrolledAt: world.clock.iso(),
    });

    // Act
    const outside = await register({ ...MIFOSX_BODY, endpoint: 'https://evil.example.com/mifosng-provider/api/v1/' });
    const inside = await register(MIFOSX_BODY);

    // Assess
    expect(outside.statusCode).toBe(403);
    expect(errorOf(outside).code).toBe('endpoint_not_allowed');
    expect(inside.statusCode).toBe(201);
  });

  it('answers 422 for an endpoint that resolves to a link-local address, before calling Twilio', async () => {
    // Prepare
    const { world, register } = setup();
    world.urlPolicy.refuse(
      new UrlNotAllowedError(
        'Refusing to call "mifos.example.org": it resolves to a link-local address. Such addresses are never called.',
        { reason: 'refused-address', addressClass: 'link-local' },
      ),
    );

    // Act
    const response = await register(MIFOSX_BODY);

    // Assess
    expect(response.statusCode).toBe(422);
    expect(errorOf(response)).toMatchObject({
      code: 'endpoint_refused',
      message: expect.stringContaining('link-local'),
    });
    expect(world.sms.verifyCalls).toHaveLength(0);
    nothingStored(world);
  });

  it('accepts an endpoint whose host does not resolve from here, with a warning', async () => {
    // Prepare
    const { world, register } = setup();
    world.urlPolicy.refuse(
      new UrlNotAllowedError('Refusing to call "mifos.internal": the name does not resolve.', {
        reason: 'unresolvable',
      }),
    );

    // Act
    const response = await register(MIFOSX_BODY);

    // Assess
    expect(response.statusCode).toBe(201);
    expect(world.tenants.configs.has('default')).toBe(true);
    expect(
      world.logger
        .at('warn')
        .map((e) => e.message)
        .join('\n'),
    ).toMatch(/could not be resolved/);
  });
});
