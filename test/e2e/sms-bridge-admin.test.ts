/**
 * The old bridge's admin API (docs/protocol.md §7) with the tenant's key in X-Mifos-API-Key or X-Fineract-API-Key:
 * configuration without secrets, the event list with paging, _resend after a permanent Twilio failure, DELETE.
 */
import { type SmsBridgeSession, type SmsBridgeWorld, startSmsBridgeWorld } from '../helpers/sms-bridge-session';

interface EventView {
  id: string;
  entity: string;
  action: string;
  status: string;
  attempts: number;
  lastError: string | null;
  createdOn: string;
  lastModifiedOn: string;
  payload: string;
  processed: boolean;
  errorMessage: string | null;
  outcome: Record<string, unknown> | null;
}

interface EventList {
  tenantId: string;
  events: EventView[];
  nextCursor: string | null;
}

const KEY_HEADERS = ['X-Mifos-API-Key', 'X-Fineract-API-Key'];
const BROKEN_NUMBER = '254712345699';

describe('SMS Bridge e2e: admin API parity', () => {
  let world: SmsBridgeWorld;
  let mifos: SmsBridgeSession;
  const eventIds: string[] = [];

  beforeAll(async () => {
    world = await startSmsBridgeWorld({
      fineract: { basePath: '/mifosng-provider/api/v1/', tenantHeader: 'mifosx' },
      env: { RETRY_SCHEDULE_SECONDS: '0.1,0.2' },
    });
    world.fineract.addClient({ id: 42, firstname: 'Jane', lastname: 'Doe', mobileNo: '254712345678' });
    world.fineract.addLoan({ id: 7, accountNo: '000000007', clientId: 42 });
    mifos = world.session({ flavour: 'mifosx' });
    await mifos.register();
    for (const fixture of ['mifosx-sms-client-create', 'mifosx-sms-loan-repayment', 'mifosx-sms-send-ugd']) {
      const sent = await mifos.sendEvent(fixture);
      await mifos.waitForStatus(sent.eventId!, 'sent');
      eventIds.push(sent.eventId!);
    }
    await world.settle();
  });

  afterAll(async () => {
    await world.stop();
  });

  it.each(KEY_HEADERS)(
    'GET /modules/sms/configuration/{tenant} with %s: the config, without any secret',
    async (keyHeader) => {
      // Prepare
      const registration = mifos.registrationBody();
      const decodedToken = Buffer.from(registration.mifosToken, 'base64').toString('utf8');

      // Act
      const config = await mifos.getConfig({ keyHeader });

      // Assess
      expect(config.status).toBe(200);
      expect(config.body).toMatchObject({
        tenantId: 'default',
        smsProvider: 'twilio',
        phoneNo: '+15005550006',
        endpoint: registration.endpoint,
        credentialsValid: true,
        createdOn: expect.any(String),
        lastModifiedOn: expect.any(String),
      });
      expect(config.text).not.toContain(registration.smsProviderToken);
      expect(config.text).not.toContain(registration.mifosToken);
      expect(config.text).not.toContain(decodedToken);
      expect(config.text).not.toContain(registration.smsProviderAccountId);
      expect(config.text).not.toContain(mifos.key!);
      expect(world.twilio.messages).toHaveLength(3);
    },
  );

  it.each(KEY_HEADERS)(
    'GET /modules/sms/events/{tenant} with %s: newest first, with the old and new fields',
    async (keyHeader) => {
      // Prepare
      const expectedNewestFirst = [...eventIds].reverse();

      // Act
      const listed = await mifos.listEvents({}, { keyHeader });

      // Assess
      expect(listed.status).toBe(200);
      const { events, nextCursor } = listed.body as EventList;
      expect(events.map((e) => e.id)).toEqual(expectedNewestFirst);
      expect(nextCursor).toBeNull();
      const createdOn = events.map((e) => Date.parse(e.createdOn));
      expect(createdOn).toEqual([...createdOn].sort((a, b) => b - a));
      expect(events.map((e) => [e.entity, e.action])).toEqual([
        ['SMS', 'SEND'],
        ['LOAN', 'REPAYMENT'],
        ['CLIENT', 'CREATE'],
      ]);
      for (const event of events) {
        expect(event).toMatchObject({
          status: 'sent',
          attempts: 1,
          lastError: null,
          processed: true,
          errorMessage: null,
          createdOn: expect.any(String),
          lastModifiedOn: expect.any(String),
          payload: expect.any(String),
        });
      }
      expect(events[2]!.payload).toBe('{"officeId":1,"clientId":42,"resourceId":42}');
      expect(world.twilio.messages).toHaveLength(3);
      // The payload is as received, except that phone numbers are masked as in the logs.
      expect(events[0]!.payload).not.toContain('254712345678');
      expect(events[0]!.payload).toMatch(
        /^\{"mobileNo":"[\d+]*\*{3,}78","message":"Dear Jane Doe, we received your payment of 500\.00\. Thank you\."\}$/,
      );
    },
  );

  it('pages the event list with limit and cursor', async () => {
    // Prepare
    const expectedNewestFirst = [...eventIds].reverse();

    // Act
    const first = await mifos.listEvents({ limit: 2 });
    const cursor = (first.body as EventList).nextCursor;
    const second = await mifos.listEvents({ limit: 2, cursor: cursor ?? undefined });
    const badLimit = await mifos.listEvents({ limit: 0 });

    // Assess
    expect(first.status).toBe(200);
    expect((first.body as EventList).events.map((e) => e.id)).toEqual(expectedNewestFirst.slice(0, 2));
    expect(cursor).toEqual(expect.any(String));
    expect(second.status).toBe(200);
    expect((second.body as EventList).events.map((e) => e.id)).toEqual(expectedNewestFirst.slice(2));
    expect((second.body as EventList).nextCursor).toBeNull();
    expect(badLimit.status).toBe(400);
    expect(world.twilio.messages).toHaveLength(3);
  });

  it('POST /modules/sms/events/{tenant}/_resend re-sends a permanently failed event once, and nothing else', async () => {
    // Prepare
    let twilioBroken = true;
    world.twilio.failWhen((r) => twilioBroken && r.form.To === `+${BROKEN_NUMBER}`, {
      route: 'send',
      status: 400,
      code: 21608,
      message: 'The number is unverified. Trial accounts cannot send messages to unverified numbers.',
    });
    const sent = await mifos.sendEvent('mifosx-sms-send-ugd', {
      body: { mobileNo: BROKEN_NUMBER, message: 'Your loan application was received.' },
    });
    const failed = await mifos.waitForStatus(sent.eventId!, 'failed');
    const failedView = ((await mifos.listEvents({ limit: 1 })).body as EventList).events[0]!;
    const messagesBefore = world.twilio.messages.length;
    twilioBroken = false; // the admin verified the number at Twilio

    // Act
    const resent = await mifos.resend({ keyHeader: 'X-Fineract-API-Key' });
    const delivered = await mifos.waitForStatus(sent.eventId!, 'sent');
    await world.settle();
    const resentAgain = await mifos.resend();
    await world.settle();

    // Assess
    expect(failed.attempts).toBe(1);
    expect(failedView).toMatchObject({ id: sent.eventId, status: 'failed', processed: false });
    expect(failedView.errorMessage).toMatch(/21608/);
    expect(failedView.lastError).toBe(failedView.errorMessage);
    expect(resent.status).toBe(200);
    expect(resent.body).toMatchObject({ count: 1, eventIds: [sent.eventId] });
    expect(delivered.attempts).toBe(1);
    expect(resentAgain.body).toMatchObject({ count: 0 });
    const toBroken = world.twilio.messages.filter((m) => m.to === `+${BROKEN_NUMBER}`);
    expect(toBroken).toHaveLength(1);
    expect(toBroken[0]!.body).toBe('Your loan application was received.');
    expect(world.twilio.messages).toHaveLength(messagesBefore + 1);
    expect(world.twilio.messages).toHaveLength(4);
  });

  it('DELETE /modules/sms/configuration/{tenant} answers 200, after which the key is refused everywhere', async () => {
    // Prepare
    const key = mifos.key!;

    // Act
    const deleted = await mifos.deleteConfig();
    const config = await mifos.getConfig({ key });
    const events = await mifos.listEvents({}, { key, keyHeader: 'X-Fineract-API-Key' });
    const event = await mifos.sendEvent('mifosx-sms-send-ugd', { key, body: { message: 'After delete' } });
    await world.settle(100);

    // Assess
    expect(deleted.status).toBe(200);
    expect(config.status).toBe(401);
    expect(events.status).toBe(401);
    expect(event.status).toBe(401);
    expect(await mifos.tenant()).toBeUndefined();
    expect(world.twilio.messages).toHaveLength(4);
  });

  it('refuses admin calls without a key or with a made-up one', async () => {
    // Prepare
    const madeUp = 'a0fbd36a6ff4965dd8b8ba73e3f40290';

    // Act
    const answers = await Promise.all([
      mifos.getConfig({ key: null }),
      mifos.listEvents({}, { key: madeUp }),
      mifos.resend({ key: madeUp }),
      mifos.deleteConfig({ key: null }),
    ]);

    // Assess
    expect(answers.map((a) => a.status)).toEqual([401, 401, 401, 401]);
    expect(world.twilio.messages).toHaveLength(4);
  });
});
