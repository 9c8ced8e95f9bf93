/**
 * Fault injection in the rest of the pipeline, end to end over HTTP: the sender's API (Fineract callbacks), the
 * event store at ingest, the worker between Twilio and its record, the queue, duplicates and poison messages.
 * Every acknowledged event must end final, and no client may get the same SMS twice.
 */
import type { SmsSender } from '../../lambdas/core/ports';
import { FaultHarness, freeze, mobile, override, sleep, TENANT_ID } from '../helpers/fault-harness';

describe('fault injection: callbacks, storage, worker, queue', () => {
  let h: FaultHarness | undefined;

  afterEach(async () => {
    const harness = h;
    h = undefined;
    await FaultHarness.settleAndStop(harness);
  });

  it('retries while Fineract is down and sends once it is back up', async () => {
    // Prepare
    h = await FaultHarness.start({ env: { RETRY_SCHEDULE_SECONDS: '0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2' } });
    const to = mobile(10);
    const repayment = h.loanRepayment(7, 42, to);
    await h.fineract.down('refuse');

    // Act
    const { eventId } = await h.postEvent(repayment);
    const retrying = await h.waitForStatus(eventId!, 'retrying');
    await h.fineract.up();
    const [event] = await h.waitAllFinal();

    // Assess
    expect(retrying.lastError).toMatch(/fineract|MifosX/i);
    expect(event).toMatchObject({
      status: 'sent',
      outcome: expect.objectContaining({ callbacks: ['loans', 'clients'] }),
    });
    expect(event!.attempts).toBeGreaterThanOrEqual(2);
    expect(h.sentTo(to)).toHaveLength(1);
    expect(h.sentTo(to)[0]!.body).toBe('Hello Client 42, repayment for 000000007 received!');
  });

  it('retries an early 404 from MifosX (fired before its commit) and sends once', async () => {
    // Prepare
    h = await FaultHarness.start({ env: { RETRY_SCHEDULE_SECONDS: '0.05,0.1,0.1,0.1,0.1' } });
    const to = mobile(11);
    h.fineract.notFoundFirst(1);

    // Act
    await h.postEvent(h.loanRepayment(8, 43, to));
    const [event] = await h.waitAllFinal();

    // Assess
    // loans/8: 404, then 200 twice; clients/43: 404 (first call, on attempt 2), then 200.
    expect(event).toMatchObject({ status: 'sent', attempts: 3 });
    expect(h.fineract.requests.filter((r) => r.path.endsWith('/loans/8'))).toHaveLength(3);
    expect(h.fineract.requests.filter((r) => r.path.endsWith('/clients/43'))).toHaveLength(2);
    expect(h.sentTo(to)).toHaveLength(1);
  });

  it('answers 5xx and stores nothing when the event write fails; the same POST after recovery is processed once', async () => {
    // Prepare
    h = await FaultHarness.start();
    const to = mobile(12);
    const delivery = h.clientCreate(5012, to);
    const store = h.deps.ingest.events;
    h.deps.ingest.events = override(store, {
      putIfAbsent: async () => {
        throw Object.assign(new Error('Throughput exceeds the current capacity of your table'), {
          name: 'ProvisionedThroughputExceededException',
        });
      },
    });

    // Act
    const refused = await h.postEvent(delivery);
    await sleep(200);
    const storedWhileBroken = await h.storedEvents();
    const queueWhileBroken = h.receiver.receiver.queue.stats();
    h.deps.ingest.events = store;
    const accepted = await h.postEvent(delivery);
    const [event] = await h.waitAllFinal();

    // Assess
    expect(refused.response.status).toBe(500);
    expect(refused.response.text).not.toMatch(/Throughput|capacity/);
    expect(refused.eventId).toBeUndefined();
    expect(storedWhileBroken).toEqual([]);
    expect(queueWhileBroken).toEqual({ visible: 0, inFlightOrDelayed: 0, deadLetters: 0 });
    expect(accepted.response.status).toBe(200);
    expect(accepted.response.body).toMatchObject({ status: 'accepted' });
    expect(h.acknowledged).toHaveLength(1);
    expect(event).toMatchObject({ status: 'sent', attempts: 1 });
    expect(h.sentTo(to)).toHaveLength(1);
  });

  it('processes once an event whose write succeeded but whose answer failed (5xx): the sweeper sends it on, a retry is a duplicate', async () => {
    // Prepare
    h = await FaultHarness.start({ env: { SWEEP_GRACE_SECONDS: '0' } });
    const to = mobile(13);
    const delivery = h.clientCreate(5013, to);
    const store = h.deps.ingest.events;
    h.deps.ingest.events = override(store, {
      putIfAbsent: async (event) => {
        await store.putIfAbsent(event);
        throw new Error('socket hang up after the write');
      },
    });

    // Act
    const lost = await h.postEvent(delivery);
    h.deps.ingest.events = store;
    const [stored] = await h.storedEvents();
    const swept = await h.receiver.receiver.sweep();
    const [event] = await h.waitAllFinal([stored!.eventId]);
    const retried = await h.postEvent(delivery);
    await sleep(200);

    // Assess
    expect(lost.response.status).toBe(500);
    expect(stored).toMatchObject({ status: 'received' });
    expect(swept.found).toBe(1);
    expect(event).toMatchObject({ status: 'sent' });
    expect(retried.response.body).toMatchObject({ status: 'duplicate', eventId: stored!.eventId });
    expect(h.sentTo(to)).toHaveLength(1);
  });

  it('does not send again when the worker fails to record a send Twilio accepted (sending → sent throws once)', async () => {
    // Prepare
    h = await FaultHarness.start();
    const to = mobile(14);
    const messages = h.deps.worker.worker.messages;
    let thrown = 0;
    h.deps.worker.worker.messages = override(messages, {
      transition: async (tenantId, messageId, from, patch, expect) => {
        if (thrown === 0 && patch.status === 'sent' && from.includes('sending')) {
          thrown++;
          throw new Error('DynamoDB unavailable');
        }
        return messages.transition(tenantId, messageId, from, patch, expect);
      },
    });

    // Act
    const { eventId } = await h.postEvent(h.smsSend(to, 'Recorded late.'));
    const [event] = await h.waitAllFinal();

    // Assess
    expect(thrown).toBe(1);
    const accepted = h.sentTo(to);
    expect(accepted).toHaveLength(1);
    expect(h.sendRequests()).toHaveLength(1);
    expect(event).toMatchObject({
      status: 'sent',
      attempts: 2,
      outcome: expect.objectContaining({ sid: accepted[0]!.sid }),
    });
    expect(await h.messages(eventId!)).toEqual([expect.objectContaining({ status: 'sent', sid: accepted[0]!.sid })]);
  });

  it('does not send again when the worker freezes right after Twilio accepted (crash): another takes over after the lease', async () => {
    // Prepare
    h = await FaultHarness.start({ env: { LOCAL_QUEUE_VISIBILITY_SECONDS: '0.5', SEND_LEASE_SECONDS: '1' } });
    const to = mobile(15);
    const sms = h.deps.worker.worker.sms;
    const frozen = freeze();
    let calls = 0;
    h.deps.worker.worker.sms = override<SmsSender>(sms, {
      send: async (credentials, message) => {
        const sent = await sms.send(credentials, message);
        calls++;
        if (calls === 1) return frozen.promise;
        return sent;
      },
    });

    try {
      // Act
      const { eventId } = await h.postEvent(h.smsSend(to, 'Sent by a worker that died.'));
      const [event] = await h.waitAllFinal();
      frozen.release();
      await sleep(300);
      const after = await h.event(eventId!);

      // Assess
      const accepted = h.sentTo(to);
      expect(accepted).toHaveLength(1);
      expect(h.sendRequests()).toHaveLength(1);
      expect(event).toMatchObject({ status: 'sent', outcome: expect.objectContaining({ sid: accepted[0]!.sid }) });
      expect(after).toMatchObject({ status: 'sent' });
      expect(await h.messages(eventId!)).toEqual([expect.objectContaining({ status: 'sent', sid: accepted[0]!.sid })]);
    } finally {
      frozen.release();
    }
  });

  it('recovers an event the queue never got: stored with dueAt, the sweeper enqueues it, processed once', async () => {
    // Prepare
    h = await FaultHarness.start({ env: { SWEEP_GRACE_SECONDS: '0' } });
    const to = mobile(16);
    const queue = h.deps.ingest.queue;
    h.deps.ingest.queue = override(queue, {
      enqueue: async () => {
        throw new Error('SQS unavailable');
      },
    });

    // Act
    const { response, eventId } = await h.postEvent(h.smsSend(to, 'Swept.'));
    h.deps.ingest.queue = queue;
    await sleep(300);
    const beforeSweep = await h.event(eventId!);
    const smsBeforeSweep = h.sentTo().length;
    const swept = await h.receiver.receiver.sweep();
    const [event] = await h.waitAllFinal();
    const sweptAgain = await h.receiver.receiver.sweep();

    // Assess
    expect(response.status).toBe(200);
    expect(beforeSweep).toMatchObject({ status: 'received', attempts: 0 });
    expect(beforeSweep!.dueAt).toBeDefined();
    expect(smsBeforeSweep).toBe(0);
    expect(swept).toEqual({ found: 1, enqueued: 1 });
    expect(event).toMatchObject({ status: 'sent', attempts: 1 });
    expect(event!.dueAt).toBeUndefined();
    expect(sweptAgain.found).toBe(0);
    expect(h.sentTo(to)).toHaveLength(1);
  });

  it('stores and texts once for 50 concurrent duplicate deliveries', async () => {
    // Prepare
    h = await FaultHarness.start();
    const to = mobile(17);
    const delivery = h.loanRepayment(9, 44, to);

    // Act
    const results = await Promise.all(Array.from({ length: 50 }, () => h!.postEvent(delivery)));
    const [event] = await h.waitAllFinal();

    // Assess
    expect(results.map((r) => r.response.status)).toEqual(new Array(50).fill(200));
    const statuses = results.map((r) => (r.response.body as { status: string }).status);
    expect(statuses.filter((s) => s === 'accepted')).toHaveLength(1);
    expect(statuses.filter((s) => s === 'duplicate')).toHaveLength(49);
    expect(new Set(results.map((r) => r.eventId)).size).toBe(1);
    expect(await h.storedEvents()).toHaveLength(1);
    expect(event).toMatchObject({ status: 'sent', attempts: 1 });
    expect(h.sentTo(to)).toHaveLength(1);
  });

  it('texts once when the queue delivers one event 20 times at once (SQS duplicates, sweeper copies)', async () => {
    // Prepare
    h = await FaultHarness.start({ env: { LOCAL_WORKER_CONCURRENCY: '8', SEND_LEASE_SECONDS: '1' } });
    const to = mobile(18);
    h.twilio.delay(300);
    const queue = h.deps.ingest.queue;
    h.deps.ingest.queue = override(queue, {
      enqueue: async (message) => {
        for (let i = 0; i < 20; i++) h!.receiver.receiver.queue.send(JSON.stringify(message));
      },
    });

    // Act
    const { eventId } = await h.postEvent(h.smsSend(to, 'Many copies, one text.'));
    const [event] = await h.waitAllFinal();
    await waitForQueueDrained(h);

    // Assess
    expect(event).toMatchObject({ eventId, status: 'sent' });
    expect(h.sentTo(to)).toHaveLength(1);
    expect(h.sendRequests()).toHaveLength(1);
    expect(h.receiver.receiver.queue.deadLetters).toEqual([]);
  });

  it('dead-letters poison messages and an event that throws every time, while other events flow', async () => {
    // Prepare
    h = await FaultHarness.start();
    const queue = h.receiver.receiver.queue;
    const fineract = h.deps.worker.worker.fineract;
    h.deps.worker.worker.fineract = override(fineract, {
      get: async (apiBase, path, auth) => {
        if (path === 'loans/666') throw new TypeError("Cannot read properties of undefined (reading 'accountNo')");
        return fineract.get(apiBase, path, auth);
      },
    });
    const healthy = [mobile(20), mobile(21), mobile(22)];

    // Act
    queue.send('not json');
    await queue.enqueue({ tenantId: TENANT_ID, eventId: 'no-such-event' });
    const poison = await h.postEvent(h.loanRepayment(666, 66, mobile(19)));
    await h.postEvent(h.smsSend(healthy[0]!, 'Still flowing.'));
    await h.postEvent(h.loanRepayment(10, 45, healthy[1]!));
    await h.postEvent(h.clientCreate(5022, healthy[2]!));
    const events = await h.waitAllFinal();
    await waitForQueueDrained(h);

    // Assess
    const [dead, ...others] = events;
    expect(dead).toMatchObject({ eventId: poison.eventId, status: 'dead', attempts: 4 });
    expect(dead!.lastError).toMatch(/TypeError/);
    expect(others.map((e) => e.status)).toEqual(['sent', 'sent', 'sent']);
    for (const to of healthy) expect(h.sentTo(to)).toHaveLength(1);
    expect(h.sentTo(mobile(19))).toHaveLength(0);
    const letters = queue.deadLetters.map((l) => ({ body: l.body, reason: l.reason }));
    expect(letters).toEqual(
      expect.arrayContaining([
        { body: 'not json', reason: 'not a work message' },
        { body: JSON.stringify({ tenantId: TENANT_ID, eventId: 'no-such-event' }), reason: 'event not found' },
        {
          body: JSON.stringify({ tenantId: TENANT_ID, eventId: poison.eventId }),
          reason: expect.stringMatching(/TypeError/),
        },
      ]),
    );
    expect(letters).toHaveLength(3);
  });
});

async function waitForQueueDrained(h: FaultHarness): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const stats = h.receiver.receiver.queue.stats();
    if (stats.visible === 0 && stats.inFlightOrDelayed === 0) return;
    await sleep(25);
  }
  throw new Error(`queue not drained: ${JSON.stringify(h.receiver.receiver.queue.stats())}`);
}
