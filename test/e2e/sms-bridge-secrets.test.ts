/**
 * Secrets and the client's phone number never leave the receiver: a full MifosX session (registrations, events,
 * callbacks, a Twilio outage, a Twilio error that quotes the number, admin calls), then every log line and every
 * response body is searched.
 */
import { type SmsBridgeSession, type SmsBridgeWorld, startSmsBridgeWorld } from '../helpers/sms-bridge-session';

const PHONE = '254712345678';
const FINERACT_USER = { username: 'sms-bot', password: 'Pa55-w0rd!x7q' };
const WRONG_TWILIO_TOKEN = 'badbadbadbadbadbadbadbadbadbad00';

describe('SMS Bridge e2e: secrets never in a response or a log line', () => {
  let world: SmsBridgeWorld;
  let mifos: SmsBridgeSession;

  beforeAll(async () => {
    world = await startSmsBridgeWorld({
      fineract: { basePath: '/mifosng-provider/api/v1/', tenantHeader: 'mifosx', credentials: FINERACT_USER },
      env: { RETRY_SCHEDULE_SECONDS: '0.1,0.2' },
    });
    world.fineract.addClient({ id: 42, firstname: 'Jane', lastname: 'Doe', mobileNo: PHONE });
    world.fineract.addLoan({ id: 7, accountNo: '000000007', clientId: 42 });
    mifos = world.session({ flavour: 'mifosx' });
  });

  afterAll(async () => {
    await world.stop();
  });

  it('keeps the Twilio token, the mifosToken, the API keys and the full phone number out of logs and responses', async () => {
    // Prepare
    const registration = mifos.registrationBody();
    const refused = await mifos.register({ smsProviderToken: WRONG_TWILIO_TOKEN });
    const first = await mifos.register();
    const second = await mifos.register(); // the hook was edited: new key, the first one in its grace period
    world.fineract.failNext(1, 503); // MifosX busy: the client create is retried
    world.twilio.failNext(1, { route: 'send', status: 500 }); // a Twilio outage on the first send
    world.twilio.failWhen((r) => r.form.Body === 'Unverified number', {
      route: 'send',
      status: 400,
      code: 21608,
      message: `The number +${PHONE} is unverified (token ${world.twilioAccount.authToken}).`,
    });

    // Act
    const created = await mifos.sendEvent('mifosx-sms-client-create', { key: first.key });
    const repaid = await mifos.sendEvent('mifosx-sms-loan-repayment');
    const texted = await mifos.sendEvent('mifosx-sms-send-ugd');
    const failing = await mifos.sendEvent('mifosx-sms-send-ugd', { body: { message: 'Unverified number' } });
    const refusedEvent = await mifos.sendEvent('mifosx-sms-client-create', { key: `${mifos.key}x` });
    const processed = [
      await mifos.waitForStatus(created.eventId!, 'sent'),
      await mifos.waitForStatus(repaid.eventId!, 'sent'),
      await mifos.waitForStatus(texted.eventId!, 'sent'),
      await mifos.waitForStatus(failing.eventId!, 'failed'),
    ];
    await world.settle();
    await mifos.getConfig();
    await mifos.getConfig({ keyHeader: 'X-Fineract-API-Key' });
    await mifos.listEvents();
    await mifos.listEvents({ limit: 1 });
    await mifos.resend();
    await mifos.waitForStatus(failing.eventId!, 'failed');
    await world.settle();
    await mifos.deleteConfig();
    await mifos.getConfig();

    // Assess
    expect(refused.response.status).toBe(422);
    expect([first.response.status, second.response.status]).toEqual([201, 201]);
    expect(refusedEvent.status).toBe(401);
    // One attempt each, plus one retry after the MifosX 503 and one after the Twilio 500 (whichever events met them).
    expect(processed.reduce((sum, e) => sum + e.attempts, 0)).toBe(6);
    expect(world.twilio.messages).toHaveLength(3);
    expect(world.twilio.requests.filter((r) => r.route === 'send')).toHaveLength(6); // 500, 3 sent, 21608 twice

    const secrets: Record<string, string> = {
      'Twilio auth token': registration.smsProviderToken,
      'refused Twilio token': WRONG_TWILIO_TOKEN,
      mifosToken: registration.mifosToken,
      'decoded mifosToken': `${FINERACT_USER.username}:${FINERACT_USER.password}`,
      'Fineract password': FINERACT_USER.password,
      'first API key': first.key!,
      'second API key': second.key!,
      'full phone number': PHONE,
    };
    const logs = world.receiver.logger.text();
    expect(world.receiver.logger.lines.length).toBeGreaterThan(10);
    // The registration answers carry their own key by design; everything else must carry none.
    const keyAnswers = new Set([first.response, second.response]);
    const leaks: string[] = [];
    for (const [what, secret] of Object.entries(secrets)) {
      if (logs.includes(secret)) leaks.push(`${what} in a log line`);
      for (const response of world.responses) {
        const ownKey = keyAnswers.has(response) && response.body === secret;
        if (!ownKey && response.text.includes(secret)) leaks.push(`${what} in a ${response.status} response`);
      }
    }
    expect(leaks).toEqual([]);
  });
});
