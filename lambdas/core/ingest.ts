import type { Authenticator } from './api-keys';
import { describeError, type HttpRequest, type HttpResponse, jsonResponse } from './http';
import { toStoredEvent } from './stored-event';
import { normaliseHook, parseHookBody, readHookHeaders } from './hook-parser';
import type { Clock, EventStore, Logger, Metrics, Queue } from './ports';

export interface IngestDeps {
  auth: Authenticator;
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
  await deps.auth.authenticate(headers.tenantId, headers.apiKey ?? request.params.apiKey);
  const parsed = parseHookBody(request, deps.settings.maxBodyBytes);
  const event = normaliseHook(headers, parsed, deps.clock.now().toISOString());
  const stored = toStoredEvent(event, deps.settings);
  const { eventId } = stored;
  const log = { tenantId: event.tenantId, eventId, entity: event.entity, action: event.action };

  const outcome = await deps.events.putIfAbsent(stored);
  if (outcome === 'duplicate') {
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
