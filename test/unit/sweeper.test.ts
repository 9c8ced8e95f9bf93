import type { EventStatus } from '../../lambdas/core/model';
import { type SweeperDeps, sweep } from '../../lambdas/core/sweeper';
import { makeStoredEvent, type MemoryWorld, memoryWorld } from '../helpers/memory-ports';

const GRACE = 300;
const NOW = '2024-10-24T12:00:00.000Z';

function setup() {
  const world = memoryWorld(NOW);
  const deps: SweeperDeps = {
    events: world.events,
    queue: world.queue,
    clock: world.clock,
    logger: world.logger,
    metrics: world.metrics,
    settings: { sweepGraceSeconds: GRACE },
  };
  return { world, deps };
}

const minutesFromNow = (minutes: number) => new Date(Date.parse(NOW) + minutes * 60_000).toISOString();

async function seed(world: MemoryWorld, eventId: string, status: EventStatus, dueAt?: string) {
  const event = makeStoredEvent({ eventId, status, dueAt, receivedAt: minutesFromNow(-30) });
  await world.events.putIfAbsent(event);
  return event;
}

describe('sweep', () => {
  it('re-enqueues in-flight events that are due and pushes their due time on', async () => {
    // Prepare
    const { world, deps } = setup();
    await seed(world, 'e-received', 'received', minutesFromNow(-10));
    await seed(world, 'e-retrying', 'retrying', minutesFromNow(0));
    await seed(world, 'e-later', 'received', minutesFromNow(3));

    // Act
    const result = await sweep(deps);

    // Assess
    expect(result).toEqual({ found: 2, enqueued: 2 });
    expect(world.queue.enqueued.map((e) => e.message.eventId).sort()).toEqual(['e-received', 'e-retrying']);
    const pushed = new Date(Date.parse(NOW) + GRACE * 1000).toISOString();
    expect((await world.events.get('default', 'e-received'))?.dueAt).toBe(pushed);
    expect((await world.events.get('default', 'e-retrying'))?.dueAt).toBe(pushed);
    expect((await world.events.get('default', 'e-later'))?.dueAt).toBe(minutesFromNow(3));
    expect(world.logger.at('warn')).toHaveLength(1);
  });

  it('does not find the same events again on the next run within the grace period', async () => {
    // Prepare
    const { world, deps } = setup();
    await seed(world, 'e-1', 'received', minutesFromNow(-10));
    await sweep(deps);
    world.clock.advanceSeconds(GRACE - 1);

    // Act
    const result = await sweep(deps);

    // Assess
    expect(result).toEqual({ found: 0, enqueued: 0 });
    expect(world.queue.enqueued).toHaveLength(1);
  });

  it('never re-enqueues final events, even one left with a stale due time', async () => {
    // Prepare
    const { world, deps } = setup();
    await seed(world, 'e-sent', 'sent');
    await seed(world, 'e-stale', 'failed', minutesFromNow(-10));

    // Act
    const result = await sweep(deps, 1000, { all: true });

    // Assess
    expect(result).toEqual({ found: 1, enqueued: 0 });
    expect(world.queue.enqueued).toHaveLength(0);
    expect((await world.events.get('default', 'e-stale'))?.status).toBe('failed');
  });

  it('with `all`, re-enqueues every in-flight event, due or not', async () => {
    // Prepare
    const { world, deps } = setup();
    await seed(world, 'e-due', 'received', minutesFromNow(-1));
    await seed(world, 'e-not-due', 'processing', minutesFromNow(4));
    await seed(world, 'e-sent', 'sent');

    // Act
    const result = await sweep(deps, 1000, { all: true });

    // Assess
    expect(result).toEqual({ found: 2, enqueued: 2 });
    expect(world.queue.enqueued.map((e) => e.message.eventId).sort()).toEqual(['e-due', 'e-not-due']);
  });

  it('stops at the limit, earliest due first', async () => {
    // Prepare
    const { world, deps } = setup();
    await seed(world, 'e-2', 'received', minutesFromNow(-2));
    await seed(world, 'e-1', 'received', minutesFromNow(-9));
    await seed(world, 'e-3', 'received', minutesFromNow(-1));

    // Act
    const result = await sweep(deps, 2);

    // Assess
    expect(result).toEqual({ found: 2, enqueued: 2 });
    expect(world.queue.enqueued.map((e) => e.message.eventId)).toEqual(['e-1', 'e-2']);
  });

  it('logs an enqueue failure and carries on with the other events', async () => {
    // Prepare
    const { world, deps } = setup();
    await seed(world, 'e-1', 'received', minutesFromNow(-9));
    await seed(world, 'e-2', 'received', minutesFromNow(-2));
    world.queue.failNext(1, new Error('SQS is down'));

    // Act
    const result = await sweep(deps);

    // Assess
    expect(result).toEqual({ found: 2, enqueued: 1 });
    expect(world.queue.enqueued.map((e) => e.message.eventId)).toEqual(['e-2']);
    expect(world.logger.at('error')[0]?.extra).toMatchObject({ eventId: 'e-1' });
  });
});

describe('sweep: index entries without their event', () => {
  it('skips a ghost entry (no item behind it) without a warning, on every sweep', async () => {
    // Prepare
    const { world, deps } = setup();
    const ghost = makeStoredEvent({ eventId: 'e-ghost', status: 'received', dueAt: minutesFromNow(-10) });
    const events = Object.assign(Object.create(world.events) as typeof world.events, {
      listDue: async () => [ghost],
    });

    // Act
    const first = await sweep({ ...deps, events });
    const second = await sweep({ ...deps, events });

    // Assess
    expect([first.enqueued, second.enqueued]).toEqual([0, 0]);
    expect(world.logger.at('warn')).toEqual([]);
    expect(world.queue.enqueued).toHaveLength(0);
  });
});
