import { ConditionFailedError } from './errors';
import { describeError } from './http';
import { IN_FLIGHT_STATUSES, nextDueAt } from './lifecycle';
import type { StoredEvent } from './model';
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
 * on by a retry, and by a claim that finds it too close to cover its run); one still there after it passed was
 * never enqueued, its queue message was lost, or its worker died. It is enqueued again and its `dueAt` pushed
 * forward; the worker's conditional writes make a spare copy harmless.
 */
export async function sweep(deps: SweeperDeps, limit = 1000, options: { all?: boolean } = {}): Promise<SweepResult> {
  const now = deps.clock.now();
  // `all`: after a local restart nothing in flight is queued any more, due or not.
  const due = await deps.events.listDue(options.all ? '9999' : now.toISOString(), limit);
  return redispatch(due, deps);
}

/**
 * Enqueues each event again if it is still in flight (conditional on its item's status, so an index entry whose
 * item is final or gone changes nothing). Also the local start-up recovery, over a scan of the table.
 */
export async function redispatch(
  due: readonly Pick<StoredEvent, 'tenantId' | 'eventId'>[],
  deps: SweeperDeps,
): Promise<SweepResult> {
  const now = deps.clock.now();
  let enqueued = 0;
  let stale = 0;
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
      if (error instanceof ConditionFailedError) {
        stale++;
        continue;
      }
      deps.logger.error('sweeper could not re-enqueue an event', {
        tenantId: event.tenantId,
        eventId: event.eventId,
        error: describeError(error),
      });
    }
  }
  // Stale entries are not news: a ghost index entry (a crash between the embedded engine's separate index writes)
  // would otherwise be reported on every sweep.
  if (due.length > stale)
    deps.logger.warn('sweeper re-enqueued events that were stored but not dispatched', {
      found: due.length - stale,
      enqueued,
    });
  if (stale > 0) deps.logger.debug('sweeper skipped entries whose event is final or gone', { stale });
  deps.metrics.count('SweeperFound', due.length - stale);
  return { found: due.length, enqueued };
}
