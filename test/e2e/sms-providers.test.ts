/**
 * The three providers behind the one SMS Bridge hook form, end to end through the local server (`npm start`'s
 * receiver): registration per provider, one SMS per provider to its loopback fake (Africa's Talking over its REST
 * API, AWS End User Messaging SMS through the real SDK), throttling retried into exactly one SMS, an invalid number
 * final, delivery reports onto the message record, a tenant switching provider, and no provider secret in any log.
 */
import type { SNSEvent } from 'aws-lambda';
import type { MessageRecord } from '../../lambdas/core/model';
import { makeEventHandler } from '../../lambdas/twilio-status/handler';
import { FakeAfricasTalking } from '../helpers/fake-africastalking';
import { FakeSmsVoice } from '../helpers/fake-sms-voice';
import { loadDelivery, registrationBody, withKey, withTenant } from '../helpers/fixtures';
import { send, startTestReceiver, type TestReceiver, waitFor } from '../helpers/receiver';

jest.setTimeout(60_000);

const AT_KEY = 'atsk_5ecret0123456789abcdef0123456789abcdef';
const TWILIO_TOKEN = '7a11107a11107a11107a11107a1110aa';

const at = new FakeAfricasTalking();
const aws = new FakeSmsVoice();
let h: TestReceiver;
let awsNumber: string;
let sequence = 0;

beforeAll(async () => {
  const { baseUrl } = await at.start();
  const { endpoint } = await aws.start();
  at.addAccount('sandbox', AT_KEY);
  awsNumber = aws.addPhoneNumber('+15005550006').PhoneNumber;
  aws.addSenderId('MIFOS');
  h = await startTestReceiver({
    env: {
      AFRICASTALKING_API_BASE_URL: baseUrl,
      AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2: endpoint,
      RETRY_SCHEDULE_SECONDS: '1,1,1',
    },
  });
});

afterAll(async () => {
  await h?.stop();
  await at.stop();
  await aws.stop();
});

const FORMS = {
  africastalking: {
    smsProvider: 'africastalking',
    smsProviderAccountId: 'sandbox',
    smsProviderToken: AT_KEY,
    phoneNo: 'MIFOS',
  },
  aws: { smsProvider: 'aws', smsProviderAccountId: '', smsProviderToken: '', phoneNo: '+15005550006' },
  twilio: {
    smsProvider: 'twilio',
    smsProviderAccountId: `AC${'0a'.repeat(16)}`,
    smsProviderToken: TWILIO_TOKEN,
    phoneNo: '+15005550006',
  },
};

async function register(tenantId: string, form: Record<string, string>) {
  const body = { ...registrationBody(), tenantId, ...form };
  return send(h.url, {
    method: 'POST',
    path: '/configuration',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** A Fineract client-created event for a fresh client and number; resolves once the event is final. */
async function clientCreated(tenantId: string, key: string, mobileNo: string) {
  const fixture = withKey(withTenant(loadDelivery('fineract-sms-client-create-envelope'), tenantId), key);
  const body = JSON.parse(fixture.body) as { request: { mobileNo: string }; clientId: number };
  body.request.mobileNo = mobileNo;
  body.clientId = 1000 + ++sequence;
  const sent = await send(h.url, { ...fixture, body: JSON.stringify(body) });
  expect(sent.status).toBe(200);
  const events = h.receiver.deps.worker.worker.events;
  return waitFor(
    async () => {
      const page = await events.listByTenant(tenantId, { limit: 50 });
      const event = page.items.find((e) => e.rawBody.includes(mobileNo));
      return event && !['received', 'processing', 'retrying'].includes(event.status) ? event : undefined;
    },
    20_000,
    `the event for ${mobileNo} to be final`,
  );
}

async function messageOf(tenantId: string, eventId: string): Promise<MessageRecord> {
  const [record] = await h.receiver.deps.worker.worker.messages.listByEvent(tenantId, eventId);
  return record!;
}

describe("Africa's Talking", () => {
  test('registers with the username and API key their user endpoint accepts; refuses a rejected key', async () => {
    // Act
    const accepted = await register('at-reg', FORMS.africastalking);
    const rejected = await register('at-bad', { ...FORMS.africastalking, smsProviderToken: 'not-the-key' });

    // Assess
    expect(accepted.status).toBe(201);
    expect(rejected.status).toBe(422);
    expect(rejected.body).toMatchObject({ error: { code: 'africastalking_credentials_rejected' } });
  });

  test('an event becomes one SMS from the sender ID; the delivery report lands on the message record', async () => {
    // Prepare
    const key = (await register('at-send', FORMS.africastalking)).body as string;

    // Act
    const event = await clientCreated('at-send', key, '254711000001');
    const sms = at.messages.filter((m) => m.to === '+254711000001');
    const report = (status: string, id = sms[0]!.messageId) =>
      send(h.url, {
        method: 'POST',
        path: '/africastalking/status/at-send',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ id, status, phoneNumber: '+254711000001', networkCode: '63902' }).toString(),
      });
    const delivered = await report('Success');
    const late = await report('Sent');
    const forged = await report('Success', 'ATXid_not_ours');

    // Assess
    expect(event.status).toBe('sent');
    expect(sms).toEqual([expect.objectContaining({ from: 'MIFOS', message: 'Hello Jane Doe, welcome at Mifos X!' })]);
    expect([delivered.status, late.status, forged.status]).toEqual([200, 200, 404]);
    expect(await messageOf('at-send', event.eventId)).toMatchObject({
      provider: 'africastalking',
      sid: sms[0]!.messageId,
      status: 'delivered',
      providerStatus: 'Success',
    });
  });

  test('429 with Retry-After is retried and the client gets exactly one SMS', async () => {
    // Prepare
    const key = (await register('at-429', FORMS.africastalking)).body as string;
    at.failNext(1, { status: 429, retryAfter: 1 });

    // Act
    const event = await clientCreated('at-429', key, '254711000002');

    // Assess
    expect(event).toMatchObject({ status: 'sent', attempts: 2 });
    expect(at.messages.filter((m) => m.to === '+254711000002')).toHaveLength(1);
  });

  test('an invalid number (status 403) is final: invalid-recipient, no retry', async () => {
    // Prepare
    const key = (await register('at-403', FORMS.africastalking)).body as string;
    at.refuseNumber('+254711000003', 403, 'InvalidPhoneNumber');

    // Act
    const event = await clientCreated('at-403', key, '254711000003');

    // Assess
    expect(event).toMatchObject({ status: 'invalid-recipient', attempts: 1 });
  });
});

describe('AWS End User Messaging SMS', () => {
  test('registers an origination identity the account has, Account Id and Token left empty; refuses an unknown one', async () => {
    // Act
    const accepted = await register('aws-reg', FORMS.aws);
    const unknown = await register('aws-bad', { ...FORMS.aws, phoneNo: '+15005550999' });

    // Assess
    expect(accepted.status).toBe(201);
    expect(unknown.status).toBe(422);
    expect(unknown.body).toMatchObject({ error: { code: 'origination_identity_not_found' } });
  });

  test('an event becomes one SMS from the identity; the SNS delivery event lands on the message record', async () => {
    // Prepare
    const key = (await register('aws-send', FORMS.aws)).body as string;
    const snsHandler = makeEventHandler(() => h.receiver.deps.twilioStatus);

    // Act
    const event = await clientCreated('aws-send', key, '254711000011');
    const [sms] = aws.messages.filter((m) => m.to === '+254711000011');
    const notification = (eventType: string) =>
      ({
        Records: [
          {
            Sns: {
              Message: JSON.stringify({
                eventType,
                messageId: sms!.messageId,
                messageStatus: eventType.replace('TEXT_', ''),
                context: sms!.context,
                destinationPhoneNumber: sms!.to,
              }),
            },
          },
        ],
      }) as unknown as SNSEvent;
    await snsHandler(notification('TEXT_DELIVERED'));
    await snsHandler(notification('TEXT_SUCCESSFUL'));

    // Assess
    expect(event.status).toBe('sent');
    expect(sms).toMatchObject({ originationIdentity: awsNumber, context: { tenantId: 'aws-send' } });
    expect(await messageOf('aws-send', event.eventId)).toMatchObject({
      provider: 'aws',
      sid: sms!.messageId,
      status: 'delivered',
    });
  });

  test('ThrottlingException is retried and the client gets exactly one SMS', async () => {
    // Prepare
    const key = (await register('aws-throttle', FORMS.aws)).body as string;
    aws.failNext(1, 'ThrottlingException');

    // Act
    const event = await clientCreated('aws-throttle', key, '254711000012');

    // Assess
    expect(event).toMatchObject({ status: 'sent', attempts: 2 });
    expect(aws.messages.filter((m) => m.to === '+254711000012')).toHaveLength(1);
  });

  test('an invalid number is final: invalid-recipient, nothing sent', async () => {
    // Prepare
    const key = (await register('aws-invalid', FORMS.aws)).body as string;
    aws.refuseNumber('+254711000013');

    // Act
    const event = await clientCreated('aws-invalid', key, '254711000013');

    // Assess
    expect(event).toMatchObject({ status: 'invalid-recipient', attempts: 1 });
    expect(aws.messages.filter((m) => m.to === '+254711000013')).toHaveLength(0);
  });

  test('re-registering the same identity needs the same Fineract credentials; anything else needs --replace', async () => {
    // Prepare
    await register('aws-owner', FORMS.aws);

    // Act
    const same = await register('aws-owner', FORMS.aws);
    const otherCredentials = await register('aws-owner', { ...FORMS.aws, mifosToken: 'c3RyYW5nZXI6cGFzcw==' });
    const otherIdentity = await register('aws-owner', { ...FORMS.aws, phoneNo: 'MIFOS' });

    // Assess
    expect(same.status).toBe(201);
    expect(otherCredentials.status).toBe(409);
    expect(otherIdentity.status).toBe(409);
  });
});

describe('every provider', () => {
  test('an unknown SMS Provider is a 400 listing the supported ones', async () => {
    // Act
    const response = await register('nexmo-1', { ...FORMS.twilio, smsProvider: 'nexmo' });

    // Assess
    expect(response.status).toBe(400);
    expect(response.text).toContain('twilio, aws, africastalking');
  });

  test("a tenant switching from Twilio to Africa's Talking (operator --replace) sends its next event there, once", async () => {
    // Prepare
    const twilioKey = (await register('switcher', FORMS.twilio)).body as string;
    const first = await clientCreated('switcher', twilioKey, '254711000021');
    await h.receiver.deps.register.tenants.putEnrollment({
      tenantId: 'switcher',
      enrolledAt: new Date().toISOString(),
      replaceUntil: new Date(Date.now() + 3600_000).toISOString(),
    });

    // Act
    const switched = await register('switcher', FORMS.africastalking);
    const second = await clientCreated('switcher', switched.body as string, '254711000022');

    // Assess
    expect(switched.status).toBe(201);
    expect([first.status, second.status]).toEqual(['sent', 'sent']);
    expect(at.messages.filter((m) => m.to === '+254711000021')).toHaveLength(0);
    expect(at.messages.filter((m) => m.to === '+254711000022')).toHaveLength(1);
    expect(await messageOf('switcher', second.eventId)).toMatchObject({ provider: 'africastalking', from: 'MIFOS' });
  });

  test('no provider secret (API key, auth token) appears in any log line', () => {
    // Act
    const logged = h.logger.lines.join('\n');

    // Assess
    expect(h.logger.lines.length).toBeGreaterThan(0);
    expect(logged).not.toContain(AT_KEY);
    expect(logged).not.toContain(TWILIO_TOKEN);
    expect(logged).not.toContain('not-the-key');
  });
});
