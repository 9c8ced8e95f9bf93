import type { EventStatus, MessageRecord, StoredEvent } from '../../lambdas/core/model';
import { RESEND_BOUNDS, type ReplayDeps, replayEvents, replayEventsBounded } from '../../lambdas/core/replay';
import { makeStoredEvent, type MemoryWorld, memoryWorld } from '../helpers/memory-ports';

const GRACE = 300;

function setup() {
  const world = memoryWorld('2024-10-25T12:00:00.000Z');
  const deps: ReplayDeps = {
    events: world.events,
    messages: world.messages,
    queue: world.queue,
    clock: world.clock,
    settings: { sweepGraceSeconds: GRACE },
  };
  return { world, deps };
}

async function seedEvent(world: MemoryWorld, eventId: string, status: EventStatus, extra: Partial<StoredEvent> = {}) {
  const event = makeStoredEvent({
    eventId,
    status,
    attempts: status === 'received' ? 0 : 3,
    lastError: status === 'sent' ? undefined : 'HTTP 500',
    nextAttemptAt: status === 'dead' || status === 'failed' ? '2024-10-24T10:00:00.000Z' : undefined,
    ...extra,
  });
  await world.events.putIfAbsent(event);
  return event;
}

async function seedMessage(world: MemoryWorld, eventId: string, status: MessageRecord['status']) {
  return world.messages.createIfAbsent({
    tenantId: 'default',
    messageId: `${eventId}.CLIENT.CREATE`,
    eventId,
    templateKey: 'CLIENT.CREATE',
    status,
    to: '+254712345678',
    from: '+15005550006',
    body: 'Hello Jane Doe, welcome at Mifos X!',
    encoding: 'GSM-7',
    segments: 1,
    ...(status === 'sent' ? { sid: `SM${'1'.repeat(32)}` } : {}),
    ...(status === 'failed' ? { errorCode: '20003', errorMessage: 'Authenticate' } : {}),
    createdAt: '2024-10-24T09:00:00.000Z',
    updatedAt: '2024-10-24T09:00:00.000Z',
  });
}

describe('replayEvents', () => {
  it('re-drives failed and dead events: received, attempts 0, due again, enqueued, failed messages back to pending', async () => {
    // Prepare
    const { world, deps } = setup();
    await seedEvent(world, 'e-failed', 'failed');
    await seedEvent(world, 'e-dead', 'dead');
    await seedMessage(world, 'e-failed', 'failed');

    // Act
    const replayed = await replayEvents('default', {}, deps);

    // Assess
    expect(replayed.map((e) => e.eventId).sort()).toEqual(['e-dead', 'e-failed']);
    for (const id of ['e-failed', 'e-dead']) {
      const event = await world.events.get('default', id);
      expect(event).toMatchObject({
        status: 'received',
        attempts: 0,
        updatedAt: world.clock.iso(),
        dueAt: new Date(world.clock.now().getTime() + GRACE * 1000).toISOString(),
      });
      expect(event?.nextAttemptAt).toBeUndefined();
    }
    expect(world.queue.enqueued.map((e) => e.message.eventId).sort()).toEqual(['e-dead', 'e-failed']);
    expect((await world.messages.get('default', 'e-failed.CLIENT.CREATE'))?.status).toBe('pending');
  });

  it('leaves sent and in-flight events, and sent messages, untouched', async () => {
    // Prepare
    const { world, deps } = setup();
    const sent = await seedEvent(world, 'e-sent', 'sent', { outcome: { sid: `SM${'1'.repeat(32)}` } });
    const retrying = await seedEvent(world, 'e-retrying', 'retrying');
    const invalid = await seedEvent(world, 'e-invalid', 'invalid-recipient');
    const sentMessage = await seedMessage(world, 'e-sent', 'sent');

    // Act
    const replayed = await replayEvents('default', {}, deps);

    // Assess
    expect(replayed).toEqual([]);
    expect(await world.events.get('default', 'e-sent')).toEqual(sent);
    expect(await world.events.get('default', 'e-retrying')).toEqual(retrying);
    expect(await world.events.get('default', 'e-invalid')).toEqual(invalid);
    expect(await world.messages.get('default', sentMessage.messageId)).toEqual(sentMessage);
    expect(world.queue.enqueued).toHaveLength(0);
  });

  it('only lists on a dry run', async () => {
    // Prepare
    const { world, deps } = setup();
    const failed = await seedEvent(world, 'e-failed', 'failed');
    await seedEvent(world, 'e-sent', 'sent');
    const message = await seedMessage(world, 'e-failed', 'failed');

    // Act
    const listed = await replayEvents('default', { dryRun: true }, deps);

    // Assess
    expect(listed.map((e) => e.eventId)).toEqual(['e-failed']);
    expect(await world.events.get('default', 'e-failed')).toEqual(failed);
    expect(await world.messages.get('default', message.messageId)).toEqual(message);
    expect(world.queue.enqueued).toHaveLength(0);
  });

  it('re-drives only the named events, and only when they are resendable', async () => {
    // Prepare
    const { world, deps } = setup();
    await seedEvent(world, 'e-1', 'failed');
    await seedEvent(world, 'e-2', 'failed');
    await seedEvent(world, 'e-3', 'sent');

    // Act
    const replayed = await replayEvents('default', { eventIds: ['e-2', 'e-3', 'e-missing'] }, deps);

    // Assess
    expect(replayed.map((e) => e.eventId)).toEqual(['e-2']);
    expect((await world.events.get('default', 'e-1'))?.status).toBe('failed');
    expect((await world.events.get('default', 'e-3'))?.status).toBe('sent');
    expect(world.queue.enqueued.map((e) => e.message)).toEqual([{ tenantId: 'default', eventId: 'e-2' }]);
  });

  it('follows the listing past its first page and stays within the tenant', async () => {
    // Prepare
    const { world, deps } = setup();
    for (let i = 0; i < 150; i++) {
      const receivedAt = new Date(Date.parse('2024-10-24T00:00:00.000Z') + i * 1000).toISOString();
      await seedEvent(world, `e-${String(i).padStart(3, '0')}`, 'dead', { receivedAt });
    }
    await world.events.putIfAbsent(makeStoredEvent({ eventId: 'other-1', tenantId: 'other', status: 'dead' }));

    // Act
    const replayed = await replayEvents('default', {}, deps);

    // Assess
    expect(replayed).toHaveLength(150);
    expect(world.queue.enqueued).toHaveLength(150);
    expect((await world.events.get('other', 'other-1'))?.status).toBe('dead');
  });
});

describe('replayEventsBounded (the admin _resend)', () => {
  it('re-drives at most maxReplays events per call and says more are left; the next call takes the rest', async () => {
    // Prepare
    const { world, deps } = setup();
    for (let i = 0; i < 5; i++) await seedEvent(world, `e-dead-${i}`, 'dead');

    // Act
    const first = await replayEventsBounded('default', { maxReplays: 3 }, deps);
    const second = await replayEventsBounded('default', { maxReplays: 3 }, deps);

    // Assess
    expect(first.replayed).toHaveLength(3);
    expect(first.more).toBe(true);
    expect(second.replayed).toHaveLength(2);
    expect(second.more).toBe(false);
    expect(world.queue.enqueued).toHaveLength(5);
  });

  it('bounds the admin call to what a 20 s function can do', () => {
    // Prepare, Act
    const { scanLimit, maxReplays } = RESEND_BOUNDS;

    // Assess
    expect(scanLimit).toBeLessThanOrEqual(1000);
    expect(maxReplays).toBeLessThanOrEqual(200);
  });
});
