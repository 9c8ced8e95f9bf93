import { ConditionFailedError } from './errors';
import { describeError } from './http';
import { IN_FLIGHT_STATUSES, nextDueAt } from './lifecycle';
import type { Clock, EventStore, Logger, Metrics, Queue } from './ports';

export interface SweeperDeps {
  events: EventStore;
  queue: Queue;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  settings: { sweepGraceSeconds: number };
}

export interface SweepResult {
  found: number;
  enqueued: number;
}

/**
 * The safety net behind "stored means processed": every in-flight event carries a `dueAt` (set at ingest, moved
 * on by each attempt); one still there after it passed was never enqueued, or its queue message was lost.
 * It is enqueued again and its `dueAt` pushed forward; the worker's conditional writes make a spare copy harmless.
 */
export async function sweep(deps: SweeperDeps, limit = 1000, options: { all?: boolean } = {}): Promise<SweepResult> {
  const now = deps.clock.now();
  // `all`: after a local restart nothing in flight is queued any more, due or not.
  const due = await deps.events.listDue(options.all ? '9999' : now.toISOString(), limit);
  let enqueued = 0;
  for (const event of due) {
    try {
      await deps.events.update(
        event.tenantId,
        event.eventId,
        { dueAt: nextDueAt(now, deps.settings.sweepGraceSeconds) },
        { ifStatusIn: [...IN_FLIGHT_STATUSES] },
      );
      await deps.queue.enqueue({ tenantId: event.tenantId, eventId: event.eventId });
      enqueued++;
    } catch (error) {
      if (error instanceof ConditionFailedError) continue;
      deps.logger.error('sweeper could not re-enqueue an event', {
        tenantId: event.tenantId,
        eventId: event.eventId,
        error: describeError(error),
      });
    }
  }
  if (due.length > 0)
    deps.logger.warn('sweeper re-enqueued events that were stored but not dispatched', { found: due.length, enqueued });
  deps.metrics.count('SweeperFound', due.length);
  return { found: due.length, enqueued };
}
