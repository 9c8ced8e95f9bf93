import { EVENT_SK, eventPk } from '../../lambdas/adapters/table-schema';
import { noMetrics } from '../../lambdas/adapters/observability';
import type { MessageRecord, StoredEvent, WorkMessage } from '../../lambdas/core/model';
import { sweep } from '../../lambdas/core/sweeper';
import { CapturingLogger } from '../helpers/capturing-logger';
import { startTestDynamo, type TestDynamo, type TestStores } from '../helpers/dynamo';
import { aStoredEvent } from '../helpers/stored-events';

/** The worker's two conditional writes that read as they write, on the embedded engine with the real SDK. */
let dynamo: TestDynamo;
let s: TestStores;
let counter = 0;
let tenant: string;

beforeAll(async () => {
  dynamo = await startTestDynamo();
  s = await dynamo.createStores('claims');
});

afterAll(async () => {
  await dynamo.close();
});

beforeEach(() => {
  tenant = `t${++counter}`;
});

const AT = {
  updatedAt: '2026-01-01T10:00:00.000Z',
  dueAt: '2026-01-01T10:05:00.000Z',
  dueBy: '2026-01-01T10:00:01.000Z',
};

function storedEvent(overrides: Partial<StoredEvent> = {}): StoredEvent {
  return aStoredEvent(tenant, {
    receivedAt: '2026-01-01T09:59:59.000Z',
    updatedAt: '2026-01-01T09:59:59.000Z',
    dueAt: '2026-01-01T10:04:59.000Z',
    registrationId: 'reg-1',
    ...overrides,
  });
}

describe('DynamoDbEventStore.claim', () => {
  test('claims a received event and returns it whole: processing, one attempt, due again, ttl gone', async () => {
    // Prepare
    const event = storedEvent();
    await s.events.putIfAbsent(event);

    // Act
    const claim = await s.events.claim(tenant, event.eventId, AT);

    // Assess
    expect(claim).toEqual({
      claimed: true,
      event: {
        ...event,
        status: 'processing',
        attempts: 1,
        updatedAt: AT.updatedAt,
        dueAt: AT.dueAt,
        history: [{ at: AT.updatedAt, status: 'processing' }],
      },
    });
    const raw = await s.rawItem(s.tables.eventsTable, eventPk(tenant, event.eventId), EVENT_SK);
    expect(raw?.duePk).toBeDefined();
    expect(raw?.ttl).toBeUndefined();
  });

  test('claims a retrying event that is due, or due within the tolerance', async () => {
    // Prepare
    const due = storedEvent({ status: 'retrying', attempts: 2, nextAttemptAt: '2026-01-01T10:00:00.500Z' });
    await s.events.putIfAbsent(due);

    // Act
    const claim = await s.events.claim(tenant, due.eventId, AT);

    // Assess
    expect(claim.claimed).toBe(true);
    expect(claim.event).toMatchObject({ status: 'processing', attempts: 3 });
  });

  test.each([
    ['final', { status: 'sent' as const }],
    ['retrying, not due yet', { status: 'retrying' as const, nextAttemptAt: '2026-01-01T10:00:30.000Z' }],
  ])('leaves a %s event as it is and returns it', async (_label, overrides) => {
    // Prepare
    const event = storedEvent({ ...overrides, attempts: 1 });
    await s.events.putIfAbsent(event);

    // Act
    const claim = await s.events.claim(tenant, event.eventId, AT);

    // Assess
    expect(claim).toEqual({ claimed: false, event });
  });

  test('keeps a due time far enough ahead: the due index is not written by the claim', async () => {
    // Prepare
    const event = storedEvent();
    await s.events.putIfAbsent(event);
    const keepDueFrom = '2026-01-01T10:02:00.000Z';

    // Act
    const claim = await s.events.claim(tenant, event.eventId, { ...AT, keepDueFrom });

    // Assess
    expect(claim).toMatchObject({ claimed: true, event: { status: 'processing', attempts: 1, dueAt: event.dueAt } });
    const raw = await s.rawItem(s.tables.eventsTable, eventPk(tenant, event.eventId), EVENT_SK);
    expect(raw?.dueAt).toBe(event.dueAt);
    expect(raw?.duePk).toBeDefined();
  });

  test('a worker that dies after a claim that kept the due time is re-dispatched once that due time passes', async () => {
    // Prepare: stored at 09:59:59, due for the sweeper at 10:04:59; claimed at 10:00:00, keeping that due time.
    const event = storedEvent();
    await s.events.putIfAbsent(event);
    await s.events.claim(tenant, event.eventId, { ...AT, keepDueFrom: '2026-01-01T10:02:00.000Z' });
    const queued: WorkMessage[] = [];
    const sweeperAt = (iso: string) => ({
      events: s.events,
      queue: { enqueue: async (message: WorkMessage) => void queued.push(message) },
      clock: { now: () => new Date(iso) },
      logger: new CapturingLogger(),
      metrics: noMetrics,
      settings: { sweepGraceSeconds: 300 },
    });

    // Act: the worker never finishes; the sweeper runs before and after the due time.
    await sweep(sweeperAt('2026-01-01T10:04:58.000Z'));
    const before = queued.filter((m) => m.eventId === event.eventId).length;
    await sweep(sweeperAt('2026-01-01T10:05:00.000Z'));
    const after = queued.filter((m) => m.eventId === event.eventId).length;
    const second = await s.events.claim(tenant, event.eventId, {
      updatedAt: '2026-01-01T10:05:01.000Z',
      dueAt: '2026-01-01T10:10:01.000Z',
      dueBy: '2026-01-01T10:05:02.000Z',
      keepDueFrom: '2026-01-01T10:07:01.000Z',
    });

    // Assess
    expect([before, after]).toEqual([0, 1]);
    expect(second).toMatchObject({ claimed: true, event: { status: 'processing', attempts: 2 } });
  });

  test('moves a due time too close to keep (a copy the sweeper re-enqueued late, a slow queue)', async () => {
    // Prepare
    const event = storedEvent({ dueAt: '2026-01-01T10:00:30.000Z' });
    await s.events.putIfAbsent(event);

    // Act
    const claim = await s.events.claim(tenant, event.eventId, { ...AT, keepDueFrom: '2026-01-01T10:02:00.000Z' });

    // Assess
    expect(claim).toMatchObject({ claimed: true, event: { status: 'processing', attempts: 1, dueAt: AT.dueAt } });
  });

  test('keeping the due time refuses what a claim refuses: a final event is returned as it is', async () => {
    // Prepare
    const event = storedEvent({ status: 'sent', attempts: 1 });
    await s.events.putIfAbsent(event);

    // Act
    const claim = await s.events.claim(tenant, event.eventId, { ...AT, keepDueFrom: '2026-01-01T10:02:00.000Z' });

    // Assess
    expect(claim).toEqual({ claimed: false, event });
  });

  test('reports a missing event without creating it', async () => {
    // Prepare
    const eventId = 'no-such-event';

    // Act
    const claim = await s.events.claim(tenant, eventId, AT);

    // Assess
    expect(claim).toEqual({ claimed: false, event: undefined });
    expect(await s.events.get(tenant, eventId)).toBeUndefined();
  });
});

describe('DynamoDbMessageStore.createClaimed', () => {
  function message(overrides: Partial<MessageRecord> = {}): MessageRecord {
    return {
      tenantId: tenant,
      messageId: 'evt1.CLIENT.CREATE',
      eventId: 'evt1',
      templateKey: 'CLIENT.CREATE',
      status: 'sending',
      leaseUntil: '2026-01-01T10:01:00.000Z',
      attemptStartedAt: AT.updatedAt,
      to: '+254712345678',
      from: '+15005550006',
      body: 'Hello Jane Doe, welcome!',
      encoding: 'GSM-7',
      segments: 1,
      createdAt: AT.updatedAt,
      updatedAt: AT.updatedAt,
      ...overrides,
    };
  }

  test('one of two racing creators wins; the other gets the winner’s record', async () => {
    // Prepare
    const first = message();
    const second = message({ leaseUntil: '2026-01-01T10:02:00.000Z', body: 'another text' });

    // Act
    const results = await Promise.all([s.messages.createClaimed(first), s.messages.createClaimed(second)]);

    // Assess
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const winner = results.find((r) => r.created)!.record;
    const loser = results.find((r) => !r.created)!.record;
    expect(loser).toEqual(winner);
    expect(await s.messages.get(tenant, first.messageId)).toEqual(winner);
  });
});
