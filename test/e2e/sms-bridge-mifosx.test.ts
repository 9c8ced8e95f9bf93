/**
 * A 2015 MifosX server with an SMS Bridge hook (Payload URL .../modules/sms) against the local receiver:
 * registration, X-Mifos-* events with flat bodies, callbacks into MifosX, texts through the real twilio SDK.
 */
import { type SmsBridgeSession, type SmsBridgeWorld, startSmsBridgeWorld } from '../helpers/sms-bridge-session';

const FROM = '+15005550006'; // the fixture hook's Phone Number
const TO = '+254712345678';

describe('SMS Bridge e2e: MifosX (X-Mifos-* headers, flat bodies)', () => {
  let world: SmsBridgeWorld;
  let mifos: SmsBridgeSession;

  beforeAll(async () => {
    world = await startSmsBridgeWorld({
      fineract: { basePath: '/mifosng-provider/api/v1/', tenantHeader: 'mifosx' },
      env: { RETRY_SCHEDULE_SECONDS: '0.1,0.2' },
    });
    world.fineract.addClient({ id: 42, firstname: 'Jane', lastname: 'Doe', mobileNo: '254712345678' });
    world.fineract.addLoan({ id: 7, accountNo: '000000007', clientId: 42, clientName: 'Jane Doe' });
    mifos = world.session({ flavour: 'mifosx' });
  });

  afterAll(async () => {
    await world.stop();
  });

  it('registers, then texts client create, loan repayment and sms/send through Twilio with callbacks into MifosX', async () => {
    // Prepare
    const registered = await mifos.register();

    // Act
    const created = await mifos.sendEvent('mifosx-sms-client-create');
    const repaid = await mifos.sendEvent('mifosx-sms-loan-repayment');
    const texted = await mifos.sendEvent('mifosx-sms-send-ugd');
    const createdEvent = await mifos.waitForStatus(created.eventId!, 'sent');
    const repaidEvent = await mifos.waitForStatus(repaid.eventId!, 'sent');
    const textedEvent = await mifos.waitForStatus(texted.eventId!, 'sent');
    await world.settle();

    // Assess
    expect(registered.response.status).toBe(201);
    expect(registered.response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(registered.response.text).toBe(JSON.stringify(registered.key));
    expect(registered.key).toMatch(/^[\x21-\x7e]{16,100}$/);
    for (const sent of [created, repaid, texted]) {
      expect(sent.status).toBe(200);
      expect(sent.body).toMatchObject({ status: 'accepted', eventId: expect.any(String) });
    }

    // Client create needs the name and number; the repayment needs the account number, then the client's number.
    expect(createdEvent.outcome?.callbacks).toEqual(['clients']);
    expect(repaidEvent.outcome?.callbacks).toEqual(['loans', 'clients']);
    expect(textedEvent.outcome?.callbacks).toEqual([]);
    const paths = world.fineract.requests.map((r) => r.path).sort();
    expect(paths).toEqual([
      '/mifosng-provider/api/v1/clients/42',
      '/mifosng-provider/api/v1/clients/42',
      '/mifosng-provider/api/v1/loans/7',
    ]);
    for (const request of world.fineract.requests) {
      expect(request.method).toBe('GET');
      expect(request.headers['x-mifos-platform-tenantid']).toBe('default');
      expect(request.headers['fineract-platform-tenantid']).toBe('default');
      expect(request.headers.authorization).toBe(`Basic ${world.fineract.token}`);
    }

    expect(world.twilio.messages).toHaveLength(3);
    const bodies = world.twilio.messages.map((m) => m.body).sort();
    expect(bodies).toEqual(
      [
        'Hello Jane Doe, welcome at Mifos X!',
        'Hello Jane Doe, repayment for 000000007 received!',
        'Dear Jane Doe, we received your payment of 500.00. Thank you.',
      ].sort(),
    );
    for (const message of world.twilio.messages) {
      expect(message.to).toBe(TO);
      expect(message.from).toBe(FROM);
      expect(message.accountSid).toBe(world.twilioAccount.accountSid);
      expect(message.statusCallback).toMatch(new RegExp(`^${world.url}/twilio/status/default/[^/]+$`));
    }
    const sendRequests = world.twilio.requests.filter((r) => r.route === 'send');
    expect(sendRequests).toHaveLength(3);
    for (const request of sendRequests) {
      expect(request.username).toBe(world.twilioAccount.accountSid);
      expect(request.password).toBe(world.twilioAccount.authToken);
    }
  });

  it('acknowledges a redelivered event as a duplicate and texts it only once', async () => {
    // Prepare
    const before = world.twilio.messages.length;
    const message = { mobileNo: '254712345678', message: 'Your savings statement is ready.' };

    // Act
    const first = await mifos.sendEvent('mifosx-sms-send-ugd', { body: message });
    const again = await mifos.sendEvent('mifosx-sms-send-ugd', { body: message });
    await mifos.waitForStatus(first.eventId!, 'sent');
    await world.settle();

    // Assess
    expect(first.body).toMatchObject({ status: 'accepted' });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ status: 'duplicate', eventId: first.eventId });
    expect(world.twilio.messages).toHaveLength(before + 1);
    expect(world.twilio.messages.at(-1)).toMatchObject({ to: TO, body: 'Your savings statement is ready.' });
  });

  it('answers the hook-creation ping on every ingest path', async () => {
    // Prepare
    const paths = ['/modules/sms', '/modules/sms/', '/'];
    const before = world.twilio.messages.length;

    // Act
    const answers = await Promise.all(paths.map((path) => mifos.ping(path)));

    // Assess
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(world.twilio.messages).toHaveLength(before);
  });

  it('stores an unknown entity/action as ignored with 200 and sends nothing (the old bridge answered 404)', async () => {
    // Prepare
    const before = world.twilio.messages.length;

    // Act
    const sent = await mifos.sendEvent('mifosx-sms-client-create', {
      entity: 'GROUP',
      action: 'ASSOCIATECLIENTS',
      body: { groupId: 9, clientId: undefined, resourceId: 9, changes: { clientMembers: [42] } },
    });
    const event = await mifos.waitForStatus(sent.eventId!, 'ignored');
    await world.settle();

    // Assess
    expect(sent.status).toBe(200);
    expect(event).toMatchObject({ entity: 'GROUP', action: 'ASSOCIATECLIENTS', status: 'ignored', attempts: 1 });
    expect(event.lastError).toMatch(/no SMS template/);
    expect(world.twilio.messages).toHaveLength(before);
  });

  it('accepts lower-case entity/action headers (client/create) and texts once', async () => {
    // Prepare
    world.fineract.addClient({ id: 43, firstname: 'John', lastname: 'Roe', mobileNo: '254712345679' });
    const before = world.twilio.messages.length;

    // Act
    const sent = await mifos.sendEvent('mifosx-sms-client-create', {
      entity: 'client',
      action: 'create',
      body: { clientId: 43, resourceId: 43 },
    });
    const event = await mifos.waitForStatus(sent.eventId!, 'sent');
    await world.settle();

    // Assess
    expect(sent.status).toBe(200);
    expect(event).toMatchObject({ entity: 'CLIENT', action: 'CREATE', entityRaw: 'client', actionRaw: 'create' });
    expect(world.twilio.messages).toHaveLength(before + 1);
    expect(world.twilio.messages.at(-1)).toMatchObject({
      to: '+254712345679',
      from: FROM,
      body: 'Hello John Roe, welcome at Mifos X!',
    });
  });
});
