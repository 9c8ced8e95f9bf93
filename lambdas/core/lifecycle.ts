/**
 * The event lifecycle rules shared by ingest, the worker, the sweeper and replays: which statuses are still in
 * flight, when the sweeper looks at an event again, and how long a send may hold its lease.
 */
import type { EventStatus } from './model';

/** Statuses a worker may still act on; writes that move an event on are conditional on one of these. */
export const IN_FLIGHT_STATUSES: readonly EventStatus[] = ['received', 'processing', 'retrying'];

export const FINAL_STATUSES: ReadonlySet<EventStatus> = new Set([
  'sent',
  'forwarded',
  'ignored',
  'failed-command',
  'no-recipient',
  'invalid-recipient',
  'failed',
  'dead',
]);

/** Final statuses an operator may re-drive (`_resend`, `cli events resend`). */
export const RESENDABLE_STATUSES: readonly EventStatus[] = ['failed', 'dead'];

export function isFinal(status: EventStatus): boolean {
  return FINAL_STATUSES.has(status);
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
