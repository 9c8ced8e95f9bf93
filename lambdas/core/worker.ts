/**
 * The worker's side of the event lifecycle: claim an event for processing, hand it to its deliveries (the SMS
 * channel, sms-delivery.ts, and one per forwarding target, forward.ts), and bring it to a final status, a
 * scheduled retry, or dead. One queue message per event: each pass attempts every delivery that is due, and the
 * event comes back at the earliest next attempt of those still pending.
 */
import { ConditionFailedError, DownstreamError, SendInProgressError } from './errors';
import { describeError } from './http';
import { IN_FLIGHT_STATUSES, isFinal, keepDueMarginSeconds, nextDueAt } from './lifecycle';
import { type ForwardDeps, type ForwardSummary, forwardEvent } from './forward';
import type { EventStatus, StoredEvent, WorkMessage } from './model';
import type { EventStore } from './ports';
import { isRetryable, nextDelaySeconds } from './retry-policy';
import { isEarlyNotFound } from './sms-data';
import { deliverSms, type EventResult, type SmsDeliveryDeps, smsFailureStatus } from './sms-delivery';

/** What the SMS delivery needs, and the event store, the retry schedule and the forwarding ports besides. */
export interface WorkerDeps extends SmsDeliveryDeps {
  events: EventStore;
  settings: SmsDeliveryDeps['settings'] & {
    retryScheduleSeconds: number[];
    sweepGraceSeconds: number;
    fineractNotFoundRetrySeconds: number;
  };
  random?: () => number;
  /** The forwarding ports; without them (older tests, a deployment without forwarding) nothing is forwarded. */
  forward?: Pick<ForwardDeps, 'targets' | 'targetSecrets' | 'deliveries' | 'webhooks' | 'bus'>;
}

export type WorkOutcome =
  | { action: 'ack'; status?: EventStatus }
  | { action: 'retry'; delaySeconds: number; error: string }
  | { action: 'dead-letter'; reason: string };

type LogContext = Record<string, unknown>;

/**
 * One delivery of a work message. Every path ends in: a final event status (ack), a scheduled retry, or dead.
 * Status writes are conditional on the event still being in flight, so two workers racing on one event (SQS
 * redelivery, the sweeper) never overwrite a final status.
 */
export async function processWorkMessage(message: WorkMessage, deps: WorkerDeps): Promise<WorkOutcome> {
  const claim = await claimEvent(message, deps);
  if ('action' in claim) return claim;
  const event = claim.event;
  const log = { tenantId: event.tenantId, eventId: event.eventId, entity: event.entity, action: event.action };
  const wantsSms = event.sms ?? event.template === 'sms-bridge';
  const smsDone = event.outcome?.smsStatus as EventStatus | undefined;
  let forward: ForwardSummary | undefined;
  try {
    forward = deps.forward ? await forwardEvent(event, { ...deps, ...deps.forward }) : undefined;
  } catch (error) {
    return scheduleRetry(event, error, deps, log);
  }
  if (!forward || forward.deliveries === 0) {
    if (!wantsSms) return finishIgnored(event, deps, log);
    // The SMS channel alone, as before forwarding existed.
    let result: EventResult;
    try {
      result = await deliverSms(event, deps);
    } catch (error) {
      return handleFailure(event, error, deps, log);
    }
    await finish(event, result.status, deps, { outcome: result.outcome, lastError: result.note });
    deps.metrics.count(`Event_${result.status}`, 1, { tenantId: event.tenantId });
    deps.logger.info('event processed', { ...log, status: result.status, attempts: event.attempts });
    return { action: 'ack', status: result.status };
  }
  const sms = wantsSms && !smsDone ? await smsStep(event, deps) : { status: smsDone };
  return settleFanOut(event, wantsSms, sms, forward, deps, log);
}

async function finishIgnored(event: StoredEvent, deps: WorkerDeps, log: LogContext): Promise<WorkOutcome> {
  const note = 'no SMS asked for (Web hook) and no forwarding target matched this event';
  await finish(event, 'ignored', deps, { lastError: note });
  const reopened = await reopenIfSmsAdded(event, 'ignored', deps);
  if (reopened) return reopened;
  deps.metrics.count('Event_ignored', 1, { tenantId: event.tenantId });
  deps.logger.info('event processed', { ...log, status: 'ignored', attempts: event.attempts });
  return { action: 'ack', status: 'ignored' };
}

/** The SMS channel's part of a fan-out pass: a final status, or a delay before it is tried again. */
interface SmsStep {
  status?: EventStatus;
  outcome?: Record<string, unknown>;
  note?: string;
  delaySeconds?: number;
}

async function smsStep(event: StoredEvent, deps: WorkerDeps): Promise<SmsStep> {
  try {
    const result = await deliverSms(event, deps);
    return { status: result.status, outcome: result.outcome, note: result.note };
  } catch (error) {
    const note = describeError(error);
    const now = deps.clock.now();
    const earlyNotFound = isEarlyNotFound(error, event.receivedAt, now, deps.settings.fineractNotFoundRetrySeconds);
    if (!isRetryable(error) && !earlyNotFound) return { status: smsFailureStatus(error), note };
    const retryAfter = error instanceof DownstreamError ? error.retryAfterSeconds : undefined;
    const delay =
      error instanceof SendInProgressError
        ? Math.max(error.retryAfterSeconds, 0.01)
        : nextDelaySeconds(event.attempts, deps.settings.retryScheduleSeconds, retryAfter, deps.random);
    return delay === undefined ? { status: 'dead', note } : { delaySeconds: delay, note };
  }
}

/**
 * An event with forward deliveries: it is final once every channel is. Its status is the SMS channel's when it
 * asked for one (so SMS statuses mean what they always did; forwards are in their delivery records), else what
 * the forwards came to.
 */
async function settleFanOut(
  event: StoredEvent,
  wantsSms: boolean,
  sms: SmsStep,
  forward: ForwardSummary,
  deps: WorkerDeps,
  log: LogContext,
): Promise<WorkOutcome> {
  const now = deps.clock.now();
  const outcome = {
    ...(event.outcome ?? {}),
    ...(sms.outcome ?? {}),
    ...(wantsSms && sms.status ? { smsStatus: sms.status } : {}),
    forward: { ...forward },
  };
  const delays: number[] = [];
  if (sms.delaySeconds !== undefined) delays.push(sms.delaySeconds);
  if (forward.nextAttemptAt) delays.push(Math.max((Date.parse(forward.nextAttemptAt) - now.getTime()) / 1000, 0.01));
  if (delays.length > 0) {
    const delay = Math.min(...delays);
    const nextAttemptAt = new Date(now.getTime() + delay * 1000);
    await finish(event, 'retrying', deps, {
      outcome,
      lastError: sms.note,
      nextAttemptAt: nextAttemptAt.toISOString(),
      dueAt: nextDueAt(nextAttemptAt, deps.settings.sweepGraceSeconds),
    });
    deps.metrics.count('EventRetry', 1);
    deps.logger.info('event has deliveries still pending', { ...log, attempts: event.attempts, delaySeconds: delay });
    return { action: 'retry', delaySeconds: delay, error: sms.note ?? 'forward deliveries pending' };
  }
  const status: EventStatus = wantsSms && sms.status ? sms.status : forwardStatus(forward);
  await finish(event, status, deps, { outcome, lastError: sms.note });
  if (!wantsSms) {
    const reopened = await reopenIfSmsAdded(event, status, deps);
    if (reopened) return reopened;
  }
  deps.metrics.count(`Event_${status}`, 1, { tenantId: event.tenantId });
  deps.logger.info('event processed', { ...log, status, attempts: event.attempts, forward });
  return status === 'dead'
    ? { action: 'dead-letter', reason: sms.note ?? 'a delivery gave up' }
    : { action: 'ack', status };
}

/**
 * An SMS Bridge arrival may add the SMS channel while a pass that did not see it is running (ingest re-opens only
 * final events): the pass that just finished without SMS looks once more and, if SMS was asked for meanwhile,
 * puts the event back in flight for an immediate next pass.
 */
async function reopenIfSmsAdded(
  event: StoredEvent,
  status: EventStatus,
  deps: WorkerDeps,
): Promise<WorkOutcome | undefined> {
  const current = await deps.events.get(event.tenantId, event.eventId);
  if (!current?.sms || current.status !== status) return undefined;
  const now = deps.clock.now();
  try {
    await deps.events.update(
      event.tenantId,
      event.eventId,
      {
        status: 'retrying',
        updatedAt: now.toISOString(),
        nextAttemptAt: now.toISOString(),
        dueAt: nextDueAt(now, deps.settings.sweepGraceSeconds),
      },
      { ifStatusIn: [status] },
    );
  } catch (error) {
    if (error instanceof ConditionFailedError) return undefined;
    throw error;
  }
  return { action: 'retry', delaySeconds: 0.01, error: 'SMS asked for while this pass ran' };
}

function forwardStatus(forward: ForwardSummary): EventStatus {
  if (forward.exhausted > 0) return 'dead';
  if (forward.failed > 0) return 'failed';
  return forward.delivered > 0 ? 'forwarded' : 'ignored';
}

/** A copy this close to its scheduled time is processed now. */
const EARLY_TOLERANCE_MS = 1000;

/** An early copy (sweeper, duplicate enqueue) waits for the scheduled time without spending an attempt. */
function notDueYet(event: StoredEvent, now: Date): WorkOutcome | undefined {
  if (event.status !== 'retrying' || !event.nextAttemptAt) return undefined;
  const wait = Date.parse(event.nextAttemptAt) - now.getTime();
  if (wait <= EARLY_TOLERANCE_MS) return undefined;
  return { action: 'retry', delaySeconds: Math.ceil(wait / 1000), error: 'not due yet' };
}

/**
 * in flight and due → processing, one attempt more, in the one write that also reads the event. A message carrying
 * the event itself (ingest could not store it) stores it first, under the id ingest answered with; a put that fails
 * throws, and SQS brings the message back. An event not claimed tells why: gone, final, not due yet, or another
 * worker moved it on meanwhile.
 */
async function claimEvent(message: WorkMessage, deps: WorkerDeps): Promise<{ event: StoredEvent } | WorkOutcome> {
  const now = deps.clock.now();
  const margin = keepDueMarginSeconds(deps.settings.sendLeaseSeconds);
  const at = {
    updatedAt: now.toISOString(),
    dueAt: nextDueAt(now, deps.settings.sweepGraceSeconds),
    // An early copy (sweeper, duplicate enqueue) waits for the scheduled time without spending an attempt.
    dueBy: new Date(now.getTime() + EARLY_TOLERANCE_MS).toISOString(),
    // A due time that cannot pass while this run works is kept: no due-index write for the claim. A due time is
    // `sweepGraceSeconds` after the event was stored, re-enqueued or due again, none of them later than now for an
    // event this claim takes: with a grace shorter than the margin it is never far enough ahead, and trying would
    // only cost the claim a refused write and a read.
    keepDueFrom: deps.settings.sweepGraceSeconds >= margin ? nextDueAt(now, margin) : undefined,
  };
  let claim = await deps.events.claim(message.tenantId, message.eventId, at);
  if (!claim.claimed && !claim.event && message.unstored) {
    await deps.events.putIfAbsent(message.unstored);
    deps.logger.info('event stored from the queue', { tenantId: message.tenantId, eventId: message.eventId });
    claim = await deps.events.claim(message.tenantId, message.eventId, at);
  }
  if (claim.claimed) return { event: claim.event };
  const found = claim.event;
  if (!found) return { action: 'dead-letter', reason: 'event not found' };
  if (isFinal(found.status)) return { action: 'ack', status: found.status };
  return notDueYet(found, now) ?? { action: 'ack' };
}

async function finish(
  event: StoredEvent,
  status: EventStatus,
  deps: WorkerDeps,
  extra: { outcome?: Record<string, unknown>; lastError?: string; nextAttemptAt?: string; dueAt?: string },
): Promise<void> {
  try {
    await deps.events.update(
      event.tenantId,
      event.eventId,
      {
        status,
        updatedAt: deps.clock.now().toISOString(),
        ...(extra.outcome ? { outcome: extra.outcome } : {}),
        ...(extra.lastError !== undefined ? { lastError: extra.lastError } : {}),
        ...(extra.nextAttemptAt ? { nextAttemptAt: extra.nextAttemptAt } : {}),
        ...(extra.dueAt ? { dueAt: extra.dueAt } : {}),
      },
      { ifStatusIn: [...IN_FLIGHT_STATUSES] },
    );
  } catch (error) {
    // Another worker already brought it to a final state: theirs stands.
    if (!(error instanceof ConditionFailedError)) throw error;
  }
}

async function handleFailure(
  event: StoredEvent,
  error: unknown,
  deps: WorkerDeps,
  log: LogContext,
): Promise<WorkOutcome> {
  const now = deps.clock.now();
  const earlyNotFound = isEarlyNotFound(error, event.receivedAt, now, deps.settings.fineractNotFoundRetrySeconds);
  if (isRetryable(error) || earlyNotFound) return scheduleRetry(event, error, deps, log);

  const text = describeError(error);
  const status = smsFailureStatus(error);
  await finish(event, status, deps, { lastError: text });
  deps.metrics.count(`Event_${status}`, 1, { tenantId: event.tenantId });
  deps.logger.warn('event failed permanently', { ...log, status, error: text });
  return { action: 'ack', status };
}

/** The next attempt per the retry schedule, or dead when it is used up. */
async function scheduleRetry(
  event: StoredEvent,
  error: unknown,
  deps: WorkerDeps,
  log: LogContext,
): Promise<WorkOutcome> {
  const text = describeError(error);
  const retryAfter = error instanceof DownstreamError ? error.retryAfterSeconds : undefined;
  // A copy that found another worker mid-send did not fail at anything: it must not use up the schedule (and mark
  // dead an event whose SMS that other worker is sending). It comes back when the lease ends; bounded by the lease.
  const delay =
    error instanceof SendInProgressError
      ? Math.max(error.retryAfterSeconds, 0.01)
      : nextDelaySeconds(event.attempts, deps.settings.retryScheduleSeconds, retryAfter, deps.random);
  if (delay === undefined) {
    await finish(event, 'dead', deps, { lastError: text });
    deps.metrics.count('EventDead', 1);
    deps.logger.error('event dead after its last attempt', { ...log, attempts: event.attempts, error: text });
    return { action: 'dead-letter', reason: text };
  }
  const nextAttemptAt = new Date(deps.clock.now().getTime() + delay * 1000);
  await finish(event, 'retrying', deps, {
    lastError: text,
    nextAttemptAt: nextAttemptAt.toISOString(),
    dueAt: nextDueAt(nextAttemptAt, deps.settings.sweepGraceSeconds),
  });
  deps.metrics.count('EventRetry', 1);
  deps.logger.warn('event will be retried', { ...log, attempts: event.attempts, delaySeconds: delay, error: text });
  return { action: 'retry', delaySeconds: delay, error: text };
}
