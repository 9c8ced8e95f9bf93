/**
 * Who gets the SMS and what it says: clients without a number, numbers stored with and without `+` or as national
 * numbers, invalid numbers, and names outside GSM-7 (UTF-8 end to end, UCS-2 at Twilio).
 */
import { type SmsBridgeSession, type SmsBridgeWorld, startSmsBridgeWorld } from '../helpers/sms-bridge-session';

describe('SMS Bridge e2e: recipients and message text', () => {
  let world: SmsBridgeWorld;
  let fineract: SmsBridgeSession;

  beforeAll(async () => {
    world = await startSmsBridgeWorld({
      fineract: { basePath: '/fineract-provider/api/v1/', tenantHeader: 'either' },
      env: { RETRY_SCHEDULE_SECONDS: '0.1,0.2' },
    });
    fineract = world.session({ flavour: 'fineract' });
    const { response } = await fineract.register();
    expect(response.status).toBe(201);
  });

  afterAll(async () => {
    await world.stop();
  });

  beforeEach(() => {
    world.twilio.reset();
    world.fineract.requests.length = 0;
  });

  describe('a client without a mobile number', () => {
    it('flat body: calls the client back once, records no-recipient, sends nothing and does not retry', async () => {
      // Prepare
      world.fineract.addClient({ id: 50, firstname: 'No', lastname: 'Phone' });

      // Act
      const sent = await fineract.sendEvent('mifosx-sms-client-create', { body: { clientId: 50, resourceId: 50 } });
      const event = await fineract.waitForStatus(sent.eventId!, 'no-recipient');
      await world.settle();
      const later = await fineract.event(sent.eventId!);

      // Assess
      expect(sent.status).toBe(200);
      expect(event.attempts).toBe(1);
      expect(later).toMatchObject({ status: 'no-recipient', attempts: 1 });
      expect(world.fineract.requests.map((r) => r.path)).toEqual(['/fineract-provider/api/v1/clients/50']);
      expect(await fineract.messages(sent.eventId!)).toHaveLength(0);
      expect(world.twilio.messages).toHaveLength(0);
    });

    it('envelope without request.mobileNo: asks Fineract, finds none, records no-recipient, sends nothing', async () => {
      // Prepare
      world.fineract.addClient({ id: 51, firstname: 'Also', lastname: 'Unreachable' });
      const envelope = {
        clientId: 51,
        request: { firstname: 'Also', lastname: 'Unreachable', mobileNo: undefined },
        response: { clientId: 51, resourceId: 51 },
      };

      // Act
      const sent = await fineract.sendEvent('fineract-sms-client-create-envelope', { body: envelope });
      const event = await fineract.waitForStatus(sent.eventId!, 'no-recipient');
      await world.settle();

      // Assess
      expect(sent.status).toBe(200);
      expect(event.attempts).toBe(1);
      expect(world.fineract.requests.map((r) => r.path)).toEqual(['/fineract-provider/api/v1/clients/51']);
      expect(world.twilio.messages).toHaveLength(0);
    });
  });

  describe('phone numbers', () => {
    it('sends to +254712345678 for 254712345678, +254712345678 and 0712345678 (default country KE), never ++', async () => {
      // Prepare
      await fineract.setDefaultCountry('KE');
      const stored = ['254712345678', '+254712345678', '0712345678'];

      // Act
      const sent = [];
      for (const [i, mobileNo] of stored.entries()) {
        sent.push(
          await fineract.sendEvent('mifosx-sms-send-ugd', {
            body: { mobileNo, message: `Reminder ${i}: meeting at 10.` },
          }),
          await fineract.sendEvent('fineract-sms-client-create-envelope', {
            body: { clientId: 60 + i, request: { mobileNo }, response: { clientId: 60 + i, resourceId: 60 + i } },
          }),
        );
      }
      await fineract.waitForStatuses(
        sent.map((s) => s.eventId!),
        'sent',
      );
      await world.settle();

      // Assess
      expect(sent.map((s) => s.status)).toEqual(new Array(6).fill(200));
      expect(world.twilio.messages).toHaveLength(6);
      expect(world.twilio.messages.map((m) => m.to)).toEqual(new Array(6).fill('+254712345678'));
      expect(world.twilio.requests.filter((r) => r.route === 'send').map((r) => r.form.To)).toEqual(
        new Array(6).fill('+254712345678'),
      );
      expect(world.fineract.requests).toHaveLength(0);
    });

    it.each([['not a number'], ['12345'], ['+2547123456789012345']])(
      'records %p as invalid-recipient and sends nothing',
      async (mobileNo) => {
        // Prepare
        const message = `Invalid number check for ${mobileNo}`;

        // Act
        const sent = await fineract.sendEvent('mifosx-sms-send-ugd', { body: { mobileNo, message } });
        const event = await fineract.waitForStatus(sent.eventId!, 'invalid-recipient');
        await world.settle();

        // Assess
        expect(sent.status).toBe(200);
        expect(event.attempts).toBe(1);
        expect(event.lastError).not.toContain(mobileNo.replace(/\D/g, '') || '\u0000');
        expect(world.twilio.messages).toHaveLength(0);
      },
    );
  });

  describe('names outside GSM-7', () => {
    it('keeps an envelope name intact (UTF-8 end to end) and sends it as UCS-2', async () => {
      // Prepare
      const envelope = {
        clientId: 70,
        request: { firstname: 'Zoë', lastname: 'Ñandú 王', mobileNo: '254712345671' },
        response: { clientId: 70, resourceId: 70 },
      };

      // Act
      const sent = await fineract.sendEvent('fineract-sms-client-create-envelope', { body: envelope });
      await fineract.waitForStatus(sent.eventId!, 'sent');
      await world.settle();
      const listed = await fineract.listEvents({ limit: 5 });

      // Assess
      expect(world.twilio.messages).toHaveLength(1);
      expect(world.twilio.messages[0]).toMatchObject({
        to: '+254712345671',
        body: 'Hello Zoë Ñandú 王, welcome at Mifos X!',
        numSegments: 1,
      });
      const view = (listed.body as { events: { id: string; outcome: Record<string, unknown> }[] }).events.find(
        (e) => e.id === sent.eventId,
      );
      expect(view?.outcome).toMatchObject({ encoding: 'UCS-2', segments: 1 });
      const [record] = await fineract.messages(sent.eventId!);
      expect(record).toMatchObject({ encoding: 'UCS-2', body: 'Hello Zoë Ñandú 王, welcome at Mifos X!' });
    });

    it('keeps a name fetched from MifosX intact, and counts UCS-2 segments like Twilio for a long text', async () => {
      // Prepare
      world.fineract.addClient({ id: 71, displayName: 'Zoë Ñandú', mobileNo: '254712345672' });
      const long = `Habari Zoë! ${'Malipo yamepokelewa – asante sana. '.repeat(3)}`.trim();

      // Act
      const created = await fineract.sendEvent('mifosx-sms-client-create', { body: { clientId: 71, resourceId: 71 } });
      const texted = await fineract.sendEvent('mifosx-sms-send-ugd', {
        body: { mobileNo: '254712345672', message: long },
      });
      const createdEvent = await fineract.waitForStatus(created.eventId!, 'sent');
      const textedEvent = await fineract.waitForStatus(texted.eventId!, 'sent');
      await world.settle();

      // Assess
      expect(world.twilio.messages).toHaveLength(2);
      const welcome = world.twilio.messages.find((m) => m.body.startsWith('Hello'));
      const verbatim = world.twilio.messages.find((m) => m.body.startsWith('Habari'));
      expect(welcome).toMatchObject({ body: 'Hello Zoë Ñandú, welcome at Mifos X!', numSegments: 1 });
      expect(verbatim).toMatchObject({ body: long, numSegments: 2 });
      expect(createdEvent.outcome).toMatchObject({ encoding: 'UCS-2', segments: 1 });
      expect(textedEvent.outcome).toMatchObject({ encoding: 'UCS-2', segments: 2 });
    });
  });
});
