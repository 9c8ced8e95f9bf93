import type { Authenticator } from './api-keys';
import { describeError, type HttpRequest, type HttpResponse, jsonResponse } from './http';
import { normaliseHook, parseHookBody, readHookHeaders } from './hook-parser';
import { isFinal, nextDueAt } from './lifecycle';
import type { StoredEvent } from './model';
import type { Clock, EventStore, Logger, Metrics, Queue, TenantStore } from './ports';
import { assertRootWebHookAllowed } from './root-web-hooks';
import { canonicalPath } from './routes';
import { dedupWindowMs, previousWindowEventId, previousWindowReadIsConsistent, toStoredEvent } from './stored-event';

/** SQS's largest message (1 MiB); a bigger event has no second place to go. */
export const MAX_QUEUE_MESSAGE_BYTES = 1024 * 1024;

export interface IngestDeps {
  auth: Authenticator;
  /** Where a tenant's root Web hook allow-list is (root-web-hooks.ts); without it keyless hooks are refused. */
  enrollments?: Pick<TenantStore, 'getEnrollment'>;
  events: EventStore;
  queue: Queue;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  settings: { maxBodyBytes: number; sweepGraceSeconds: number; dedupWindowSeconds?: number };
}

/** The sender's ping when a hook is created (docs/protocol.md §4): any answer passes, a friendly one helps admins. */
export function handlePing(): HttpResponse {
  return jsonResponse(200, {
    status: 'ok',
    service: 'fineract-hook-receiver',
    message: 'Ready for MifosX / Fineract hook events.',
  });
}

/**
 * A hook event: headers → key check → parse → store (the durability point) → enqueue → answer.
 * The answer never waits on Twilio or Fineract. If the enqueue fails the event is still stored with a due time,
 * and the sweeper sends it on, so a 200 here always means "will be processed".
 */
export async function handleHookEvent(request: HttpRequest, deps: IngestDeps): Promise<HttpResponse> {
  const headers = readHookHeaders(request);
  // Web hooks have no key header: their key is the last segment of the Payload URL (/hooks/{apiKey}/).
  const key = headers.apiKey ?? request.params.apiKey;
  let registrationId: string | undefined;
  if (key === undefined && deps.enrollments && canonicalPath(request.path) === '/') {
    // Fineract 1.5–1.6 Web hooks: no key at all, accepted only from the tenant's allow-listed addresses.
    const enrollment = await deps.enrollments.getEnrollment(headers.tenantId);
    assertRootWebHookAllowed(request.sourceIp, enrollment?.rootWebHooksFrom);
  } else {
    ({ registrationId } = await deps.auth.authenticate(headers.tenantId, key));
  }
  const parsed = parseHookBody(request, deps.settings.maxBodyBytes);
  const event = normaliseHook(headers, parsed, deps.clock.now().toISOString());
  const stored = toStoredEvent(event, deps.settings);
  // Which registration's key brought it: the worker then knows whether its cached tenant config is as new.
  if (registrationId) stored.registrationId = registrationId;
  const { eventId } = stored;
  const log = { tenantId: event.tenantId, eventId, entity: event.entity, action: event.action };

  const earlier = await earlierInWindow(stored, deps);
  if (earlier) {
    if (stored.template === 'sms-bridge') await addSmsChannel({ ...stored, eventId: earlier }, deps, log);
    deps.metrics.count('EventDuplicate', 1);
    deps.logger.info('duplicate event acknowledged (previous dedup window)', { ...log, eventId: earlier });
    return jsonResponse(200, { status: 'duplicate', eventId: earlier });
  }
  const outcome = await storeDurably(stored, deps, log);
  if (outcome === 'queued') {
    deps.metrics.count('EventAccepted', 1, { tenantId: event.tenantId });
    deps.metrics.count('EventQueuedUnstored', 1);
    return jsonResponse(200, { status: 'accepted', eventId });
  }
  if (outcome === 'duplicate') {
    if (stored.template === 'sms-bridge') await addSmsChannel(stored, deps, log);
    deps.metrics.count('EventDuplicate', 1);
    deps.logger.info('duplicate event acknowledged', log);
    return jsonResponse(200, { status: 'duplicate', eventId });
  }
  try {
    await deps.queue.enqueue({ tenantId: event.tenantId, eventId });
  } catch (error) {
    // Stored is what counts: the sweeper picks it up after sweepGraceSeconds.
    deps.logger.warn('enqueue failed; the sweeper will dispatch this event', { ...log, error: describeError(error) });
  }
  deps.metrics.count('EventAccepted', 1, { tenantId: event.tenantId });
  deps.logger.info('event accepted', { ...log, shape: event.shape, source: event.source });
  return jsonResponse(200, { status: 'accepted', eventId });
}

/**
 * Two durable places: the events table, or, when its put fails (throttled, timed out; a duplicate is no failure),
 * a durable work queue (SQS; not the local in-memory twin) carrying the whole event, which the worker stores under
 * the same id. Only when both refuse does the put's error reach the sender as a 5xx.
 */
async function storeDurably(
  stored: StoredEvent,
  deps: IngestDeps,
  log: Record<string, unknown>,
): Promise<'stored' | 'duplicate' | 'queued'> {
  try {
    return await deps.events.putIfAbsent(stored);
  } catch (putError) {
    if (!deps.queue.durable) throw putError;
    const body = JSON.stringify({ tenantId: stored.tenantId, eventId: stored.eventId, unstored: stored });
    if (Buffer.byteLength(body, 'utf8') > MAX_QUEUE_MESSAGE_BYTES) throw putError;
    try {
      await deps.queue.enqueue({ tenantId: stored.tenantId, eventId: stored.eventId, unstored: stored });
    } catch (queueError) {
      // The HTTP layer logs the put's error as the 500's cause; this line adds why the queue could not help.
      deps.logger.warn('event neither stored nor queued', {
        ...log,
        error: describeError(putError),
        queueError: describeError(queueError),
      });
      throw putError;
    }
    deps.logger.warn('events table refused the event; queued whole for the worker to store', {
      ...log,
      error: describeError(putError),
    });
    return 'queued';
  }
}

/**
 * A body-hash event received within the window but in the previous bucket: one read, only for events without a
 * commandId; the hot path keeps its one conditional write. A failed read is no reason to refuse the event.
 */
async function earlierInWindow(event: StoredEvent, deps: IngestDeps): Promise<string | undefined> {
  const previousId = previousWindowEventId(event);
  if (!previousId) return undefined;
  try {
    const consistent = previousWindowReadIsConsistent(event, deps.settings);
    const previous = await deps.events.get(event.tenantId, previousId, { consistent });
    if (!previous) return undefined;
    const age = Date.parse(event.receivedAt) - Date.parse(previous.receivedAt);
    return age < dedupWindowMs(deps.settings) ? previous.eventId : undefined;
  } catch (error) {
    deps.logger.warn('previous dedup window not checked', { tenantId: event.tenantId, error: describeError(error) });
    return undefined;
  }
}

/**
 * One event per (tenant, command) whichever hook delivered it. When a Web hook stored it first, this SMS Bridge
 * arrival still asks for the SMS: the stored event gains the SMS channel and, if it was already final, goes back
 * in flight so the worker texts (its forwards, already delivered, are not sent again).
 */
async function addSmsChannel(stored: StoredEvent, deps: IngestDeps, log: Record<string, unknown>): Promise<void> {
  for (let round = 0; round < 3; round++) {
    const current = await deps.events.get(stored.tenantId, stored.eventId);
    if (!current || current.template === 'sms-bridge' || current.sms !== undefined) return;
    const now = deps.clock.now();
    const reopen = isFinal(current.status) ? { dueAt: nextDueAt(now, deps.settings.sweepGraceSeconds) } : undefined;
    if (
      !(await deps.events.addSmsChannel(current.tenantId, current.eventId, current.status, now.toISOString(), reopen))
    )
      continue;
    deps.logger.info('SMS channel added to a Web hook event', {
      ...log,
      reopened: !!reopen,
    });
    if (reopen) {
      await deps.queue.enqueue({ tenantId: current.tenantId, eventId: current.eventId }).catch((error: unknown) => {
        deps.logger.warn('enqueue failed; the sweeper will dispatch this event', {
          ...log,
          error: describeError(error),
        });
      });
    }
    return;
  }
}
