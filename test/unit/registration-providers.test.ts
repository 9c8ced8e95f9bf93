import { Authenticator } from '../../lambdas/core/api-keys';
import { dispatchHttp } from '../../lambdas/core/dispatch';
import { DownstreamError } from '../../lambdas/core/errors';
import type { HttpResponse } from '../../lambdas/core/http';
import { handleRegistration, type RegisterDeps } from '../../lambdas/core/registration';
import { registrationBody } from '../helpers/fixtures';
import { httpRequest, memoryWorld, tick } from '../helpers/memory-ports';

const AT_FORM = {
  smsProvider: 'africastalking',
  smsProviderAccountId: 'sandbox',
  smsProviderToken: 'atsk_api_key_0123456789',
  phoneNo: 'MIFOS',
};
const AWS_FORM = { smsProvider: 'aws', smsProviderAccountId: '', smsProviderToken: '', phoneNo: '+15005550006' };

function setup() {
  const world = memoryWorld();
  const deps: RegisterDeps = {
    tenants: world.tenants,
    secrets: world.secrets,
    sms: world.sms,
    urlPolicy: world.urlPolicy,
    clock: world.clock,
    logger: world.logger,
    metrics: world.metrics,
    auth: new Authenticator(world.tenants, world.clock),
    settings: { openEnrollment: true, keyGraceSeconds: 86400 },
    sleep: () => tick(),
  };
  const register = (fields: Record<string, string>): Promise<HttpResponse> =>
    dispatchHttp(
      httpRequest({
        path: '/configuration',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ ...registrationBody(), ...fields }),
      }),
      { register: (r) => handleRegistration(r, deps) },
      world.logger,
    );
  const codeOf = (response: HttpResponse) => (JSON.parse(response.body) as { error: { code: string } }).error.code;
  return { world, register, codeOf };
}

describe("registration with Africa's Talking", () => {
  it('checks the username and API key with the provider and stores the key as the secret, the username in the config', async () => {
    // Prepare
    const { world, register } = setup();

    // Act
    const response = await register(AT_FORM);

    // Assess
    expect(response.statusCode).toBe(201);
    expect(world.sms.verifyCalls).toEqual([
      { provider: 'africastalking', username: 'sandbox', apiKey: 'atsk_api_key_0123456789' },
    ]);
    expect(await world.tenants.getTenant('default')).toMatchObject({
      smsProvider: 'africastalking',
      accountSid: 'sandbox',
      phoneNo: 'MIFOS',
    });
    expect((await world.secrets.getTenantSecret('default'))?.smsProviderToken).toBe('atsk_api_key_0123456789');
  });

  it('answers 422 naming the provider when it rejects the credentials, and stores nothing', async () => {
    // Prepare
    const { world, register, codeOf } = setup();
    world.sms.verifyError = new DownstreamError('africastalking', 'HTTP 401', {
      retryable: false,
      credentialsInvalid: true,
    });

    // Act
    const response = await register(AT_FORM);

    // Assess
    expect(response.statusCode).toBe(422);
    expect(codeOf(response)).toBe('africastalking_credentials_rejected');
    expect(world.tenants.configs.size).toBe(0);
  });

  it('answers 400 naming the Token field when the API key is missing', async () => {
    // Prepare
    const { register, codeOf } = setup();

    // Act
    const response = await register({ ...AT_FORM, smsProviderToken: '' });

    // Assess
    expect(response.statusCode).toBe(400);
    expect(codeOf(response)).toBe('invalid_registration');
    expect(response.body).toContain('SMS Provider Token');
  });
});

describe('registration with AWS End User Messaging SMS', () => {
  it('takes an origination identity with Account Id and Token empty; stores no provider token', async () => {
    // Prepare
    const { world, register } = setup();

    // Act
    const response = await register({ ...AWS_FORM, smsProviderToken: 'ignored-token' });

    // Assess
    expect(response.statusCode).toBe(201);
    expect(world.sms.verifyCalls).toEqual([{ provider: 'aws' }]);
    const config = await world.tenants.getTenant('default');
    expect(config).toMatchObject({ smsProvider: 'aws', phoneNo: '+15005550006' });
    expect(config?.accountSid).toBeUndefined();
    expect((await world.secrets.getTenantSecret('default'))?.smsProviderToken).toBe('');
  });

  it('answers 422 for an identity the account does not have, and for a Phone Number that is no identity', async () => {
    // Prepare
    const { world, register, codeOf } = setup();
    world.sms.verifyError = new DownstreamError('aws-sms', 'not found', {
      retryable: false,
      code: 'identity_not_found',
    });

    // Act
    const unknown = await register(AWS_FORM);
    const malformed = await register({ ...AWS_FORM, phoneNo: 'not an identity!' });

    // Assess
    expect([unknown.statusCode, malformed.statusCode]).toEqual([422, 422]);
    expect([codeOf(unknown), codeOf(malformed)]).toEqual(['origination_identity_not_found', 'invalid_phone_number']);
  });

  it('lets the owner re-register only with the same identity, endpoint and Fineract credentials', async () => {
    // Prepare
    const { register } = setup();
    await register(AWS_FORM);

    // Act
    const same = await register(AWS_FORM);
    const otherToken = await register({ ...AWS_FORM, mifosToken: 'c3RyYW5nZXI6cGFzcw==' });
    const otherIdentity = await register({ ...AWS_FORM, phoneNo: '+15005550007' });

    // Assess
    expect([same.statusCode, otherToken.statusCode, otherIdentity.statusCode]).toEqual([201, 409, 409]);
  });
});

describe('switching provider', () => {
  it("needs an operator's --replace: the same tenant from Twilio to Africa's Talking is 409, then 201 once allowed", async () => {
    // Prepare
    const { world, register } = setup();
    await register({});

    // Act
    const refused = await register(AT_FORM);
    await world.tenants.putEnrollment({
      tenantId: 'default',
      enrolledAt: world.clock.iso(),
      replaceUntil: new Date(world.clock.now().getTime() + 3600_000).toISOString(),
    });
    const replaced = await register(AT_FORM);

    // Assess
    expect([refused.statusCode, replaced.statusCode]).toEqual([409, 201]);
    expect((await world.tenants.getTenant('default'))?.smsProvider).toBe('africastalking');
  });
});
