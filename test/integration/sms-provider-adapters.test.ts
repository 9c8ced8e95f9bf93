import { PinpointSMSVoiceV2Client } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { AfricasTalkingSmsSender } from '../../lambdas/adapters/africastalking-sms-sender';
import { AwsSmsSender } from '../../lambdas/adapters/aws-sms-sender';
import { DownstreamError } from '../../lambdas/core/errors';
import type { AfricasTalkingCredentials, AwsSmsCredentials } from '../../lambdas/core/model';
import { FakeAfricasTalking } from '../helpers/fake-africastalking';
import { FakeSmsVoice } from '../helpers/fake-sms-voice';

const AT: AfricasTalkingCredentials = {
  provider: 'africastalking',
  username: 'sandbox',
  apiKey: 'atsk_secret_key_0123456789',
};
const AWS: AwsSmsCredentials = { provider: 'aws' };

async function errorOf(promise: Promise<unknown>): Promise<DownstreamError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DownstreamError) return error;
    throw error;
  }
  throw new Error('expected a DownstreamError');
}

describe("AfricasTalkingSmsSender against a fake Africa's Talking over HTTP", () => {
  const fake = new FakeAfricasTalking();
  let sender: AfricasTalkingSmsSender;

  beforeAll(async () => {
    const { baseUrl } = await fake.start();
    fake.addAccount(AT.username, AT.apiKey);
    sender = new AfricasTalkingSmsSender({ apiBaseUrl: baseUrl, timeoutMs: 2000 });
  });
  afterAll(() => fake.stop());

  test('sends with the apiKey header and form fields, and returns their messageId', async () => {
    // Act
    const sent = await sender.send(AT, { to: '+254712345678', from: 'MIFOS', body: 'Hello Jane' });

    // Assess
    const last = fake.messages.at(-1)!;
    expect(sent.sid).toBe(last.messageId);
    expect(last).toMatchObject({ username: 'sandbox', to: '+254712345678', from: 'MIFOS', message: 'Hello Jane' });
    expect(fake.requests.at(-1)!.headers.apikey).toBe(AT.apiKey);
  });

  test('a rejected API key is a final error that pauses the tenant, and never carries the key', async () => {
    // Act
    const error = await errorOf(sender.send({ ...AT, apiKey: 'wrong-key' }, { to: '+254712345678', body: 'x' }));

    // Assess
    expect(error).toMatchObject({ retryable: false, credentialsInvalid: true, status: 401 });
    expect(error.message).not.toContain('wrong-key');
  });

  test('429 with Retry-After is retryable, honours the delay, and proves nothing was sent', async () => {
    // Prepare
    fake.failNext(1, { status: 429, retryAfter: 7 });
    const before = fake.messages.length;

    // Act
    const error = await errorOf(sender.send(AT, { to: '+254712345678', body: 'x' }));

    // Assess
    expect(error).toMatchObject({ retryable: true, status: 429, retryAfterSeconds: 7 });
    expect(fake.messages).toHaveLength(before);
  });

  test('an invalid number (recipient status 403) is final and marks the recipient', async () => {
    // Prepare
    fake.refuseNumber('+254700000001', 403, 'InvalidPhoneNumber');

    // Act
    const error = await errorOf(sender.send(AT, { to: '+254700000001', body: 'x' }));

    // Assess
    expect(error).toMatchObject({ retryable: false, recipientRejected: true, code: 403 });
    expect(error.message).not.toContain('+254700000001');
  });

  test('verifyAccount: accepted credentials resolve, rejected ones are final', async () => {
    // Act
    const ok = sender.verifyAccount(AT);
    const rejected = await errorOf(sender.verifyAccount({ ...AT, apiKey: 'nope' }));

    // Assess
    await expect(ok).resolves.toBeUndefined();
    expect(rejected).toMatchObject({ retryable: false, credentialsInvalid: true });
  });

  test('an interrupted send cannot be looked up: a final lookup_unavailable, never a resend', async () => {
    // Act
    const error = await errorOf(sender.findSent());

    // Assess
    expect(error).toMatchObject({ retryable: false, code: 'lookup_unavailable' });
  });

  test('the sandbox username targets the sandbox host when no base URL is set', async () => {
    // Prepare
    const calls: string[] = [];
    const original = globalThis.fetch;
    globalThis.fetch = (async (url: string) => {
      calls.push(String(url));
      return new Response('{"UserData":{}}', { status: 200 });
    }) as typeof fetch;

    // Act
    try {
      await new AfricasTalkingSmsSender().verifyAccount(AT);
      await new AfricasTalkingSmsSender().verifyAccount({ ...AT, username: 'mfi' });
    } finally {
      globalThis.fetch = original;
    }

    // Assess
    expect(calls[0]).toMatch(/^https:\/\/api\.sandbox\.africastalking\.com\/version1\/user\?username=sandbox$/);
    expect(calls[1]).toMatch(/^https:\/\/api\.africastalking\.com\/version1\/user\?username=mfi$/);
  });
});

describe('AwsSmsSender: the real SDK against a fake End User Messaging SMS over HTTP', () => {
  const fake = new FakeSmsVoice();
  let client: PinpointSMSVoiceV2Client;
  let number: ReturnType<FakeSmsVoice['addPhoneNumber']>;

  beforeAll(async () => {
    const { endpoint } = await fake.start();
    number = fake.addPhoneNumber('+15005550006');
    fake.addSenderId('MIFOS');
    client = new PinpointSMSVoiceV2Client({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
  });
  afterAll(async () => {
    client.destroy();
    await fake.stop();
  });

  test('SendTextMessage from the identity, through the configuration set, with our ids as Context', async () => {
    // Prepare
    const sender = new AwsSmsSender({ client, configurationSetName: 'hooks' });

    // Act
    const sent = await sender.send(AWS, {
      to: '+254712345678',
      from: '+15005550006',
      body: 'Hello Jane',
      context: { tenantId: 't1', messageId: 'e1.CLIENT.CREATE' },
    });

    // Assess
    expect(fake.messages.at(-1)).toMatchObject({
      messageId: sent.sid,
      originationIdentity: '+15005550006',
      configurationSetName: 'hooks',
      context: { tenantId: 't1', messageId: 'e1.CLIENT.CREATE' },
    });
  });

  test('ThrottlingException is retryable and answered (nothing sent); an invalid number is final for the recipient', async () => {
    // Prepare
    const sender = new AwsSmsSender({ client });
    fake.failNext(1, 'ThrottlingException');
    fake.refuseNumber('+15005550001');

    // Act
    const throttled = await errorOf(sender.send(AWS, { to: '+254712345678', from: '+15005550006', body: 'x' }));
    const invalid = await errorOf(sender.send(AWS, { to: '+15005550001', from: '+15005550006', body: 'x' }));

    // Assess
    expect(throttled).toMatchObject({ service: 'aws-sms', retryable: true, status: 400 });
    expect(invalid).toMatchObject({ retryable: false, recipientRejected: true });
    expect(invalid.message).not.toContain('+15005550001');
  });

  test('an origination identity the account lacks pauses the tenant (credentials)', async () => {
    // Act
    const error = await errorOf(
      new AwsSmsSender({ client }).send(AWS, { to: '+254712345678', from: '+19999999999', body: 'x' }),
    );

    // Assess
    expect(error).toMatchObject({ retryable: false, credentialsInvalid: true });
  });

  test('verifyAccount finds a number, its id or ARN, a sender ID; refuses an unknown identity', async () => {
    // Prepare
    const sender = new AwsSmsSender({ client });

    // Act
    const found = Promise.all(
      ['+15005550006', number.PhoneNumberId, number.PhoneNumberArn, 'MIFOS'].map((from) =>
        sender.verifyAccount(AWS, { from }),
      ),
    );
    const unknown = await errorOf(sender.verifyAccount(AWS, { from: '+15005550999' }));

    // Assess
    await expect(found).resolves.toHaveLength(4);
    expect(unknown).toMatchObject({ retryable: false, code: 'identity_not_found' });
  });

  test('with granted identities listed, only those are described, and another identity is refused', async () => {
    // Prepare
    const other = fake.addPhoneNumber('+15005550007');
    const sender = new AwsSmsSender({ client, allowedIdentities: [number.PhoneNumberArn] });

    // Act
    const granted = sender.verifyAccount(AWS, { from: '+15005550006' });
    const notGranted = await errorOf(sender.verifyAccount(AWS, { from: other.PhoneNumber }));

    // Assess
    await expect(granted).resolves.toBeUndefined();
    expect(notGranted).toMatchObject({ retryable: false, code: 'identity_not_found' });
  });

  test('an interrupted send cannot be looked up: a final lookup_unavailable, never a resend', async () => {
    // Act
    const error = await errorOf(new AwsSmsSender({ client }).findSent());

    // Assess
    expect(error).toMatchObject({ retryable: false, code: 'lookup_unavailable' });
  });
});
