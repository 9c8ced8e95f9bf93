import { ConditionFailedError } from './errors';
import type { EventStatus, StoredEvent } from './model';
import { nextDueAt, RESENDABLE_STATUSES } from './lifecycle';
import type { Clock, EventStore, ForwardDeliveryStore, MessageStore, Queue } from './ports';

export interface ReplayDeps {
  events: EventStore;
  messages: MessageStore;
  /** Forward deliveries: failed ones go back to `pending` with a fresh schedule; delivered ones are left alone. */
  deliveries?: Pick<ForwardDeliveryStore, 'listByEvent' | 'transition'>;
  queue: Queue;
  clock: Clock;
  settings: { sweepGraceSeconds: number };
}

export interface ReplayOptions {
  statuses?: readonly EventStatus[];
  eventIds?: string[];
  dryRun?: boolean;
  /** Upper bound on events examined, newest first. */
  scanLimit?: number;
  /** Upper bound on events re-driven in this call; the rest wait for the next call. */
  maxReplays?: number;
  /** Called after each candidate is handled (the CLI's progress bar). */
  onProgress?: (done: number, total: number) => void;
}

/**
 * What the bridge's `_resend` does in one call of the admin function (20 s): examine at most 1 000 events and
 * re-drive at most 200 (about four store calls each, tens of milliseconds), so a tenant with thousands of dead
 * events is re-driven over a few calls instead of timing out halfway through one.
 */
export const RESEND_BOUNDS = { scanLimit: 1000, maxReplays: 200 } as const;

/**
 * Re-drives a tenant's failed and dead events (the bridge's `_resend`, `cli events resend`): back to `received`
 * with a fresh attempt budget, failed message records back to `pending`, then enqueued. Sent messages are left
 * alone, so a replay never texts a client twice.
 */
export async function replayEvents(tenantId: string, options: ReplayOptions, deps: ReplayDeps): Promise<StoredEvent[]> {
  return (await replayEventsBounded(tenantId, options, deps)).replayed;
}

/** As `replayEvents`, saying whether candidates were left for another call (`maxReplays`, `scanLimit`). */
export async function replayEventsBounded(
  tenantId: string,
  options: ReplayOptions,
  deps: ReplayDeps,
): Promise<{ replayed: StoredEvent[]; more: boolean }> {
  const statuses = options.statuses ?? RESENDABLE_STATUSES;
  const candidates: StoredEvent[] = [];
  let more = false;
  if (options.eventIds?.length) {
    for (const id of options.eventIds) {
      const event = await deps.events.get(tenantId, id);
      if (event && statuses.includes(event.status)) candidates.push(event);
    }
  } else {
    let cursor: string | undefined;
    let seen = 0;
    const limit = options.scanLimit ?? 5000;
    do {
      const page = await deps.events.listByTenant(tenantId, { limit: 100, cursor });
      for (const event of page.items) if (statuses.includes(event.status)) candidates.push(event);
      seen += page.items.length;
      cursor = page.nextCursor;
    } while (cursor && seen < limit);
    more = cursor !== undefined;
  }
  if (options.dryRun) return { replayed: candidates, more };
  if (options.maxReplays !== undefined && candidates.length > options.maxReplays) {
    candidates.length = options.maxReplays;
    more = true;
  }

  const replayed: StoredEvent[] = [];
  let done = 0;
  options.onProgress?.(0, candidates.length);
  for (const event of candidates) {
    const now = deps.clock.now();
    for (const message of await deps.messages.listByEvent(tenantId, event.eventId)) {
      if (message.status === 'failed') {
        await deps.messages
          .transition(tenantId, message.messageId, ['failed'], { status: 'pending', updatedAt: now.toISOString() })
          .catch((error) => {
            if (!(error instanceof ConditionFailedError)) throw error;
          });
      }
    }
    for (const delivery of (await deps.deliveries?.listByEvent(tenantId, event.eventId)) ?? []) {
      if (delivery.status !== 'failed') continue;
      await deps
        .deliveries!.transition(tenantId, delivery.messageId, ['failed'], {
          status: 'pending',
          attempts: 0,
          errorCode: 'replayed',
          updatedAt: now.toISOString(),
        })
        .catch((error) => {
          if (!(error instanceof ConditionFailedError)) throw error;
        });
    }
    // A fan-out event remembers its SMS result so later passes skip it; a failed one is to be tried again.
    const { smsStatus, ...outcome } = event.outcome ?? {};
    const retrySms = smsStatus !== undefined && (RESENDABLE_STATUSES as readonly unknown[]).includes(smsStatus);
    try {
      const updated = await deps.events.update(
        tenantId,
        event.eventId,
        {
          status: 'received',
          updatedAt: now.toISOString(),
          nextAttemptAt: undefined,
          dueAt: nextDueAt(now, deps.settings.sweepGraceSeconds),
          ...(retrySms ? { outcome } : {}),
        },
        { resetAttempts: true, ifStatusIn: [...statuses] },
      );
      await deps.queue.enqueue({ tenantId, eventId: event.eventId });
      replayed.push(updated);
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
    options.onProgress?.(++done, candidates.length);
  }
  return { replayed, more };
}
