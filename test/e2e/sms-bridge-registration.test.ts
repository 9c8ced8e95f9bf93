/**
 * The registration handshake over real HTTP: re-registration while events flow (the old key's grace period),
 * Twilio credentials checked at registration, and keys bound to one tenant.
 */
import { type SmsBridgeWorld, startSmsBridgeWorld } from '../helpers/sms-bridge-session';

const STREAM = 20;
const clientIdOf = (i: number) => 101 + i;
const mobileOf = (i: number) => `2547123451${String(i).padStart(2, '0')}`;

describe('SMS Bridge e2e: registration', () => {
  let world: SmsBridgeWorld;

  beforeAll(async () => {
    world = await startSmsBridgeWorld({
      fineract: {
        basePath: '/mifosng-provider/api/v1/',
        tenantHeader: 'mifosx',
        tenants: ['default', 'concurrent', 'wrongcreds', 'tenant-a', 'tenant-b'],
      },
      env: { RETRY_SCHEDULE_SECONDS: '0.1,0.2' },
    });
    for (let i = 0; i < STREAM; i++) {
      world.fineract.addClient({ id: clientIdOf(i), firstname: 'Client', lastname: `No${i}`, mobileNo: mobileOf(i) });
    }
  });

  afterAll(async () => {
    await world.stop();
  });

  beforeEach(() => {
    world.twilio.reset();
  });

  it('keeps every event of a stream when the hook registers again mid-stream: one SMS per event', async () => {
    // Prepare
    const mifos = world.session({ flavour: 'mifosx' });
    const { key: oldKey } = await mifos.register();
    const event = (i: number, key: string) =>
      mifos.sendEvent('mifosx-sms-client-create', {
        key,
        body: { clientId: clientIdOf(i), resourceId: clientIdOf(i) },
      });

    // Act
    const beforeSwitch = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => event(i, oldKey!)));
    const registering = mifos.register(); // the hook was edited: its next event registers again
    const duringSwitch = await Promise.all([6, 7, 8, 9, 10, 11].map((i) => event(i, oldKey!)));
    const reregistered = await registering;
    const newKey = mifos.key!;
    const afterSwitch = await Promise.all([
      ...[12, 13, 14, 15].map((i) => event(i, oldKey!)), // a sender node that still has the old key
      ...[16, 17, 18, 19].map((i) => event(i, newKey)),
    ]);
    const accepted = [...beforeSwitch, ...duringSwitch, ...afterSwitch];
    const events = await mifos.waitForStatuses(
      accepted.map((a) => a.eventId!),
      'sent',
    );
    await world.settle();

    // Assess
    expect(reregistered.response.status).toBe(201);
    expect(newKey).not.toBe(oldKey);
    expect(accepted.map((a) => a.status)).toEqual(new Array(STREAM).fill(200));
    expect(new Set(accepted.map((a) => a.eventId)).size).toBe(STREAM);
    // An event processed while the registration writes config and secret may wait one short retry; none is lost.
    expect(events.map((e) => e.status)).toEqual(new Array(STREAM).fill('sent'));
    expect(Math.max(...events.map((e) => e.attempts))).toBeLessThanOrEqual(3);
    expect(world.twilio.messages).toHaveLength(STREAM);
    const byRecipient = new Map(world.twilio.messages.map((m) => [m.to, m.body]));
    expect(byRecipient.size).toBe(STREAM);
    for (let i = 0; i < STREAM; i++) {
      expect(byRecipient.get(`+${mobileOf(i)}`)).toBe(`Hello Client No${i}, welcome at Mifos X!`);
    }
  });

  it('gives two concurrent first events (two registrations) two working keys', async () => {
    // Prepare
    const hook = world.session({ flavour: 'mifosx', tenantId: 'concurrent' });

    // Act
    const [one, two] = await Promise.all([hook.register(), hook.register()]);
    const sent = await Promise.all(
      [one.key!, two.key!].map((key, i) =>
        hook.sendEvent('mifosx-sms-send-ugd', { key, body: { message: `Concurrent registration ${i}` } }),
      ),
    );
    await hook.waitForStatuses(
      sent.map((s) => s.eventId!),
      'sent',
    );
    await world.settle();

    // Assess
    expect([one.response.status, two.response.status]).toEqual([201, 201]);
    expect(one.key).not.toBe(two.key);
    expect(sent.map((s) => s.status)).toEqual([200, 200]);
    expect(world.twilio.messages).toHaveLength(2);
    expect(world.twilio.messages.map((m) => m.body).sort()).toEqual([
      'Concurrent registration 0',
      'Concurrent registration 1',
    ]);
  });

  it.each([
    ['a wrong SMS Provider Token', { smsProviderToken: 'ffffffffffffffffffffffffffffffff' }],
    ['an SMS Provider Account Id Twilio does not know', { smsProviderAccountId: `AC${'0f'.repeat(16)}` }],
  ])('refuses %s with 422 naming the hook fields, and stores nothing', async (_case, overrides) => {
    // Prepare
    const hook = world.session({ flavour: 'mifosx', tenantId: 'wrongcreds' });

    // Act
    const registered = await hook.register(overrides);
    const tenant = await hook.tenant();
    const event = await hook.sendEvent('mifosx-sms-client-create', { key: 'a0fbd36a6ff4965dd8b8ba73e3f40290' });
    const config = await hook.getConfig({ key: 'a0fbd36a6ff4965dd8b8ba73e3f40290' });
    await world.settle(100);

    // Assess
    expect(registered.response.status).toBe(422);
    expect(registered.key).toBeUndefined();
    const error = (registered.response.body as { error: { code: string; message: string } }).error;
    expect(error.message).toContain('SMS Provider Account Id / Token');
    expect(tenant).toBeUndefined();
    expect(event.status).toBe(401);
    expect([401, 404]).toContain(config.status);
    expect(world.twilio.requests.filter((r) => r.route === 'account')).toHaveLength(1);
    expect(world.twilio.messages).toHaveLength(0);
  });

  it("refuses tenant A's key with tenant B's header: 401, nothing stored, no SMS", async () => {
    // Prepare
    const tenantA = world.session({ flavour: 'mifosx', tenantId: 'tenant-a' });
    const tenantB = world.session({ flavour: 'mifosx', tenantId: 'tenant-b' });
    await tenantA.register();
    await tenantB.register();
    const fineractCallsBefore = world.fineract.requests.length;

    // Act
    const crossed = await tenantA.sendEvent('mifosx-sms-client-create', {
      tenantId: 'tenant-b',
      body: { clientId: clientIdOf(0), resourceId: clientIdOf(0) },
    });
    const crossedAdmin = await tenantA.listEvents({}, { tenantId: 'tenant-b' });
    await world.settle(100);
    const listA = await tenantA.listEvents();
    const listB = await tenantB.listEvents();

    // Assess
    expect(crossed.status).toBe(401);
    expect(crossed.eventId).toBeUndefined();
    expect(crossedAdmin.status).toBe(401);
    expect(listA.status).toBe(200);
    expect(listB.status).toBe(200);
    expect((listA.body as { events: unknown[] }).events).toHaveLength(0);
    expect((listB.body as { events: unknown[] }).events).toHaveLength(0);
    expect(world.fineract.requests.length).toBe(fineractCallsBefore);
    expect(world.twilio.messages).toHaveLength(0);
  });
});
