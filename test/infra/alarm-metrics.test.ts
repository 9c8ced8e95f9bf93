import { type SweeperDeps, sweep } from '../../lambdas/core/sweeper';
import { SWEEPER_REDRIVE_METRIC } from '../../lib/observability';
import { makeStoredEvent, memoryWorld } from '../helpers/memory-ports';

const NOW = '2024-10-24T12:00:00.000Z';

/** The re-drive alarm watches a custom metric by name: this keeps the name and the sweeper's count in step. */
describe('the sweeper re-drive alarm', () => {
  test('watches the metric the sweeper counts its re-driven events in', async () => {
    // Prepare
    const world = memoryWorld(NOW);
    const deps: SweeperDeps = {
      events: world.events,
      queue: world.queue,
      clock: world.clock,
      logger: world.logger,
      metrics: world.metrics,
      settings: { sweepGraceSeconds: 300 },
    };
    const due = new Date(Date.parse(NOW) - 60_000).toISOString();
    await world.events.putIfAbsent(makeStoredEvent({ eventId: 'lost-1', status: 'received', dueAt: due }));
    await world.events.putIfAbsent(makeStoredEvent({ eventId: 'lost-2', status: 'retrying', dueAt: due }));

    // Act
    await sweep(deps);

    // Assess
    expect(world.metrics.get(SWEEPER_REDRIVE_METRIC)).toBe(2);
  });
});
