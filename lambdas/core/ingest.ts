import type { Authenticator } from './api-keys';
import { describeError, type HttpRequest, type HttpResponse, jsonResponse } from './http';
import { isFinal, nextDueAt } from './lifecycle';
import type { StoredEvent } from './model';
import { toStoredEvent } from './stored-event';
import { normaliseHook, parseHookBody, readHookHeaders } from './hook-parser';
import type { Clock, EventStore, Logger, Metrics, Queue, TenantStore } from './ports';
import { assertRootWebHookAllowed } from './root-web-hooks';
import { canonicalPath } from './routes';

export interface IngestDeps {
  auth: Authenticator;
  /** Where a tenant's root Web hook allow-list is (root-web-hooks.ts); without it keyless hooks are refused. */
  enrollments?: Pick<TenantStore, 'getEnrollment'>;
  events: EventStore;
  queue: Queue;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  settings: { maxBodyBytes: number; sweepGraceSeconds: number };
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
  if (key === undefined && deps.enrollments && canonicalPath(request.path) === '/') {
    // Fineract 1.5–1.6 Web hooks: no key at all, accepted only from the tenant's allow-listed addresses.
    const enrollment = await deps.enrollments.getEnrollment(headers.tenantId);
    assertRootWebHookAllowed(request.sourceIp, enrollment?.rootWebHooksFrom);
  } else {
    await deps.auth.authenticate(headers.tenantId, key);
  }
  const parsed = parseHookBody(request, deps.settings.maxBodyBytes);
  const event = normaliseHook(headers, parsed, deps.clock.now().toISOString());
  const stored = toStoredEvent(event, deps.settings);
  const { eventId } = stored;
  const log = { tenantId: event.tenantId, eventId, entity: event.entity, action: event.action };

  const outcome = await deps.events.putIfAbsent(stored);
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
