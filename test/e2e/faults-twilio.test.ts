/**
 * Fault injection at Twilio, end to end: MifosX-style hooks over HTTP into the local receiver, SMS through the real
 * twilio SDK to a FakeTwilio that fails on purpose. Every acknowledged event must end final, and no client may get
 * the same SMS twice.
 */
import type { eventView } from '../../lambdas/core/admin';
import { FaultHarness, mobile } from '../helpers/fault-harness';

type EventView = ReturnType<typeof eventView>;

describe('fault injection: Twilio', () => {
  let h: FaultHarness | undefined;

  afterEach(async () => {
    const harness = h;
    h = undefined;
    await FaultHarness.settleAndStop(harness);
  });

  it('retries Twilio 500, 500 and sends once on the 201 (3 attempts)', async () => {
    // Prepare
    h = await FaultHarness.start();
    const to = mobile(1);
    h.twilio.failNext(2, { status: 500, route: 'send' });

    // Act
    const { response, eventId } = await h.postEvent(h.smsSend(to, 'Your repayment of 500 was received.'));
    const [event] = await h.waitAllFinal();

    // Assess
    expect(response.status).toBe(200);
    expect(event).toMatchObject({ eventId, status: 'sent', attempts: 3 });
    expect(h.sendRequests()).toHaveLength(3);
    expect(h.sentTo(to)).toHaveLength(1);
    expect(event!.outcome).toMatchObject({ sid: h.sentTo(to)[0]!.sid });
    const listed = await h.admin('GET', '/modules/sms/events/default');
    const views = (listed.body as { events: EventView[] }).events;
    expect(views).toEqual([expect.objectContaining({ id: eventId, status: 'sent', attempts: 3, processed: true })]);
  });

  it('waits at least Retry-After after a 429 and sends once', async () => {
    // Prepare
    h = await FaultHarness.start();
    const to = mobile(2);
    h.twilio.failNext(1, { status: 429, code: 20429, retryAfter: 1, route: 'send' });

    // Act
    await h.postEvent(h.smsSend(to, 'Rate limited, then sent.'));
    const [event] = await h.waitAllFinal();

    // Assess
    expect(event).toMatchObject({ status: 'sent', attempts: 2 });
    const [first, second] = h.sendRequests();
    expect(second!.at.getTime() - first!.at.getTime()).toBeGreaterThanOrEqual(1000);
    expect(h.sentTo(to)).toHaveLength(1);
  });

  it('does not send again when Twilio accepted a message but the answer timed out: the lookup finds its SID', async () => {
    // Prepare
    h = await FaultHarness.start({ env: { TWILIO_TIMEOUT_MS: '500' } });
    const to = mobile(3);
    h.twilio.acceptButHang(2_000);

    // Act
    const { eventId } = await h.postEvent(h.smsSend(to, 'Accepted, answer lost.'));
    const [event] = await h.waitAllFinal();

    // Assess
    const accepted = h.sentTo(to);
    expect(accepted).toHaveLength(1);
    expect(h.sendRequests()).toHaveLength(1);
    expect(h.twilio.requests.some((r) => r.route === 'list' && r.query.To === to)).toBe(true);
    expect(event).toMatchObject({
      status: 'sent',
      attempts: 2,
      outcome: expect.objectContaining({ sid: accepted[0]!.sid }),
    });
    const [record] = await h.messages(eventId!);
    expect(record).toMatchObject({ status: 'sent', sid: accepted[0]!.sid });
  });

  it('marks a permanently invalid number (21211) invalid-recipient after one attempt, nothing sent', async () => {
    // Prepare
    h = await FaultHarness.start();
    const bad = mobile(4);
    const good = mobile(5);
    h.twilio.failWhen((r) => r.route === 'send' && r.form.To === bad, { status: 400, code: 21211 });

    // Act
    const { eventId } = await h.postEvent(h.smsSend(bad, 'Never delivered.'));
    await h.postEvent(h.smsSend(good, 'Delivered.'));
    const [invalid, sent] = await h.waitAllFinal();

    // Assess
    expect(invalid).toMatchObject({ status: 'invalid-recipient', attempts: 1 });
    expect(sent).toMatchObject({ status: 'sent', attempts: 1 });
    expect(h.sentTo(bad)).toHaveLength(0);
    expect(h.sendRequests().filter((r) => r.form.To === bad)).toHaveLength(1);
    const [record] = await h.messages(eventId!);
    expect(record).toMatchObject({ status: 'failed', errorCode: '21211' });
    expect(h.sentTo()).toHaveLength(1);
  });

  it('on 20003 fails the event, pauses the tenant without calling Twilio, and resumes after re-registration + _resend', async () => {
    // Prepare
    h = await FaultHarness.start();
    const first = mobile(6);
    const second = mobile(7);
    h.twilio.failNext(1, { status: 401, code: 20003, route: 'send' });

    // Act: the send that meets the bad credentials
    const a = await h.postEvent(h.smsSend(first, 'First after the token was rotated.'));
    const [failedA] = await h.waitAllFinal();
    const configAfterFailure = await h.admin('GET', '/modules/sms/configuration/default');

    // Assess
    expect(failedA).toMatchObject({ status: 'failed', attempts: 1 });
    expect(configAfterFailure.status).toBe(200);
    expect(configAfterFailure.body).toMatchObject({ credentialsValid: false });

    // Act: the next event for the paused tenant
    const twilioCallsBefore = h.twilio.requests.length;
    const b = await h.postEvent(h.smsSend(second, 'Second while paused.'));
    const [, failedB] = await h.waitAllFinal();

    // Assess
    expect(failedB).toMatchObject({ status: 'failed', attempts: 1 });
    expect(failedB!.lastError).toMatch(/20003/);
    expect(h.twilio.requests.length).toBe(twilioCallsBefore);
    expect(h.sentTo()).toHaveLength(0);

    // Act: MifosX registers again (the admin saved the hook), then the operator re-drives the failed events
    await h.register();
    const configAfterRegistration = await h.admin('GET', '/modules/sms/configuration/default');
    const resend = await h.admin('POST', '/modules/sms/events/default/_resend');
    const [sentA, sentB] = await h.waitAllFinal();
    const resendAgain = await h.admin('POST', '/modules/sms/events/default/_resend');
    await new Promise((r) => setTimeout(r, 200));

    // Assess
    expect(configAfterRegistration.body).toMatchObject({ credentialsValid: true });
    expect(resend.status).toBe(200);
    expect(resend.body).toMatchObject({ count: 2, eventIds: expect.arrayContaining([a.eventId, b.eventId]) });
    expect(sentA).toMatchObject({ status: 'sent' });
    expect(sentB).toMatchObject({ status: 'sent' });
    expect(resendAgain.body).toMatchObject({ count: 0 });
    expect(h.sentTo(first)).toHaveLength(1);
    expect(h.sentTo(second)).toHaveLength(1);
    expect(h.duplicateSends()).toEqual([]);
  });
});
