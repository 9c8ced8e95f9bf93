/**
 * The event lifecycle rules shared by ingest, the worker, the sweeper and replays: which statuses are still in
 * flight, when the sweeper looks at an event again, and how long a send may hold its lease.
 */
import { EVENT_STATUSES } from './event-status';
import type { EventStatus, StoredEvent } from './model';

/** Statuses a worker may still act on; writes that move an event on are conditional on one of these. */
export const IN_FLIGHT_STATUSES: readonly EventStatus[] = ['received', 'processing', 'retrying'];

/** Every other status: nothing moves an event on from one of these but an operator's re-drive. */
export const FINAL_STATUSES: ReadonlySet<EventStatus> = new Set(
  EVENT_STATUSES.filter((status) => !IN_FLIGHT_STATUSES.includes(status)),
);

/** Final statuses an operator may re-drive (`_resend`, `cli events resend`). */
export const RESENDABLE_STATUSES: readonly EventStatus[] = ['failed', 'dead'];

export function isFinal(status: EventStatus): boolean {
  return FINAL_STATUSES.has(status);
}

/**
 * What a claim requires (the stores' conditions say the same): in flight, and not a `retrying` event whose next
 * attempt is after `dueBy`.
 */
export function isClaimable(event: Pick<StoredEvent, 'status' | 'nextAttemptAt'>, dueBy: string): boolean {
  if (!IN_FLIGHT_STATUSES.includes(event.status)) return false;
  return event.status !== 'retrying' || !event.nextAttemptAt || event.nextAttemptAt <= dueBy;
}

/**
 * When the sweeper should re-enqueue an in-flight event nobody finished: `graceSeconds` after `from` (the time
 * it was stored, claimed, re-enqueued, or its next attempt is due).
 */
export function nextDueAt(from: Date, graceSeconds: number): string {
  return new Date(from.getTime() + graceSeconds * 1000).toISOString();
}

/** How long a worker may hold a message in `sending` before another may look it up and take over (SEND_LEASE_SECONDS). */
export const DEFAULT_SEND_LEASE_SECONDS = 60;

/** The longest one worker run may take: the worker function's timeout (lib/processing.ts WORKER_TIMEOUT). */
export const WORKER_RUN_SECONDS = 60;

/**
 * How far ahead an event's stored `dueAt` must be for a claim to keep it rather than move it. The sweeper must not
 * hand out a second copy while this run may still be working: the run ends within WORKER_RUN_SECONDS, and a send it
 * started holds its lease for `sendLeaseSeconds` after that at most. A due time at least both ahead cannot pass
 * before the run is over, so moving it would only cost the due index two more writes (its sort key moves).
 * Ingest's due time (arrival + SWEEP_GRACE_SECONDS, 300 s) is that far ahead when the queue delivers promptly.
 */
export function keepDueMarginSeconds(sendLeaseSeconds: number = DEFAULT_SEND_LEASE_SECONDS): number {
  return WORKER_RUN_SECONDS + sendLeaseSeconds;
}
