/**
 * The forwarding channel: one event to every matching target of its tenant, each target a delivery of its own
 * with its own attempts and schedule, through the same delivery machine as SMS (delivery.ts). A delivered target
 * is never called again; a failed one is retried alone.
 *
 * HTTPS targets cannot be asked whether an interrupted attempt arrived, so the machine re-sends it with the same
 * `webhook-id` and receivers deduplicate on it: at least once for targets, where SMS is at most once.
 */
import { type DeliveryChannel, deliverOnce } from './delivery';
import { DownstreamError, SendInProgressError, UrlNotAllowedError } from './errors';
import { forwardBody, matchesTarget, senderHeaders, webhookHeaders } from './forward-message';
import { describeError } from './http';
import { DEFAULT_SEND_LEASE_SECONDS } from './lifecycle';
import type { ForwardDelivery, ForwardResponse, ForwardTarget, StoredEvent, TargetSecrets } from './model';
import type {
  Clock,
  EventBusPublisher,
  ForwardDeliveryStore,
  Logger,
  Metrics,
  TargetSecretStore,
  TargetStore,
  WebhookSender,
} from './ports';
import { nextDelaySeconds } from './retry-policy';

export interface ForwardDeps {
  targets: TargetStore;
  targetSecrets: TargetSecretStore;
  deliveries: ForwardDeliveryStore;
  webhooks: WebhookSender;
  bus: EventBusPublisher;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  settings: { retryScheduleSeconds: number[]; sendLeaseSeconds?: number };
  random?: () => number;
}

/** Where an event's forward deliveries stand after one pass. */
export interface ForwardSummary {
  deliveries: number;
  delivered: number;
  failed: number;
  /** Gave up after the last attempt of the schedule. */
  exhausted: number;
  /** Not final yet; the earliest of their next attempts is `nextAttemptAt`. */
  pending: number;
  nextAttemptAt?: string;
}

const EXCERPT_CHARS = 256;
const EXHAUSTED = 'exhausted';

export function forwardDeliveryId(eventId: string, targetId: string): string {
  return `${eventId}.F.${targetId}`;
}

export function isFinalDelivery(record: Pick<ForwardDelivery, 'status'>): boolean {
  return record.status === 'sent' || record.status === 'failed';
}

/** One pass over an event's forward deliveries: creates the missing ones, attempts every due one. */
export async function forwardEvent(event: StoredEvent, deps: ForwardDeps): Promise<ForwardSummary> {
  const now = deps.clock.now();
  const targets = await deps.targets.listTargets(event.tenantId);
  // No targets and no earlier pass that could have made deliveries (a target deleted since): nothing to look up.
  const firstPass = event.attempts <= 1 && event.outcome?.forward === undefined;
  const existing =
    targets.length === 0 && firstPass ? [] : await deps.deliveries.listByEvent(event.tenantId, event.eventId);
  const known = new Set(existing.map((d) => d.targetId));
  const records = [...existing];
  // A target receives the events that arrived after it was created (not a backlog), decided once per event.
  for (const target of targets) {
    if (known.has(target.targetId) || target.createdAt > event.receivedAt || !matchesTarget(target, event)) continue;
    records.push(await deps.deliveries.createIfAbsent(deliveryDraft(event, target, now)));
  }

  // In parallel: one slow target must not hold the others (or the worker's timeout) hostage.
  const settled = await Promise.all(records.map((record) => advance(event, record, targets, deps)));
  return summarise(settled);
}

function deliveryDraft(event: StoredEvent, target: ForwardTarget, now: Date): ForwardDelivery {
  const messageId = forwardDeliveryId(event.eventId, target.targetId);
  return {
    tenantId: event.tenantId,
    messageId,
    eventId: event.eventId,
    targetId: target.targetId,
    // Stable for the delivery's whole life: the receiver's deduplication key.
    webhookId: `msg_${event.eventId}_${target.targetId}`,
    status: 'pending',
    attempts: 0,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
}

function summarise(records: ForwardDelivery[]): ForwardSummary {
  const summary: ForwardSummary = { deliveries: records.length, delivered: 0, failed: 0, exhausted: 0, pending: 0 };
  for (const record of records) {
    if (record.status === 'sent') summary.delivered++;
    else if (record.status === 'failed' && record.errorCode === EXHAUSTED) summary.exhausted++;
    else if (record.status === 'failed') summary.failed++;
    else {
      summary.pending++;
      const at = record.nextAttemptAt ?? record.updatedAt;
      if (!summary.nextAttemptAt || at < summary.nextAttemptAt) summary.nextAttemptAt = at;
    }
  }
  return summary;
}

async function advance(
  event: StoredEvent,
  record: ForwardDelivery,
  targets: ForwardTarget[],
  deps: ForwardDeps,
): Promise<ForwardDelivery> {
  if (isFinalDelivery(record)) return record;
  const now = deps.clock.now();
  if (record.nextAttemptAt && Date.parse(record.nextAttemptAt) > now.getTime()) return record;
  const target = targets.find((t) => t.targetId === record.targetId);
  const secrets = target && (await deps.targetSecrets.getTargetSecrets(event.tenantId, target.targetId));
  if (!target || !secrets || target.status !== 'enabled') {
    const why = !target || !secrets ? 'the target was removed' : `the target is disabled: ${target.disabledReason}`;
    return giveUp(record, ['pending', 'sending'], 'target_gone', why, deps);
  }

  const log = { tenantId: event.tenantId, eventId: event.eventId, targetId: target.targetId };
  const channel = forwardChannel(event, target, secrets, deps);
  try {
    const sent = await deliverOnce({
      draft: record,
      channel,
      store: deps.deliveries,
      clock: deps.clock,
      logger: deps.logger,
      leaseSeconds: deps.settings.sendLeaseSeconds ?? DEFAULT_SEND_LEASE_SECONDS,
    });
    deps.metrics.count('ForwardDelivered', 1);
    deps.logger.info('event forwarded', { ...log, statusCode: sent.lastStatusCode, attempts: sent.attempts });
    return sent;
  } catch (error) {
    return afterFailure(record, target, error, channel.lastResponse, deps, log);
  }
}

async function afterFailure(
  record: ForwardDelivery,
  target: ForwardTarget,
  error: unknown,
  response: ForwardResponse | undefined,
  deps: ForwardDeps,
  log: Record<string, unknown>,
): Promise<ForwardDelivery> {
  const now = deps.clock.now();
  if (error instanceof SendInProgressError) {
    // Another worker holds this delivery: it comes back when that lease ends, without spending an attempt.
    return { ...record, nextAttemptAt: new Date(now.getTime() + error.retryAfterSeconds * 1000).toISOString() };
  }
  const text = describeError(error);
  const last = responseFields(response);
  const attempts = record.attempts + 1;
  if (error instanceof DownstreamError && error.status === 410) {
    await deps.targets.disableTarget(
      target.tenantId,
      target.targetId,
      'the target answered 410 Gone',
      now.toISOString(),
    );
    deps.logger.warn('target answered 410; disabled', log);
  }
  const current = await deps.deliveries.get(record.tenantId, record.messageId);
  if (!current || isFinalDelivery(current)) {
    deps.metrics.count('ForwardFailed', 1);
    deps.logger.warn('forward failed permanently', { ...log, error: text, ...last });
    return current
      ? deps.deliveries
          .transition(record.tenantId, record.messageId, ['failed'], { attempts, ...last })
          .catch(() => current)
      : record;
  }
  const retryAfter = error instanceof DownstreamError ? error.retryAfterSeconds : undefined;
  const delay = nextDelaySeconds(attempts, deps.settings.retryScheduleSeconds, retryAfter, deps.random);
  if (delay === undefined) {
    deps.metrics.count('ForwardExhausted', 1);
    deps.logger.error('forward gave up after its last attempt', { ...log, attempts, error: text });
    return giveUp({ ...current, attempts }, [current.status], EXHAUSTED, text, deps, { attempts, ...last });
  }
  const nextAttemptAt = new Date(now.getTime() + delay * 1000).toISOString();
  deps.metrics.count('ForwardRetry', 1);
  deps.logger.warn('forward will be retried', { ...log, attempts, delaySeconds: delay, error: text });
  return deps.deliveries
    .transition(record.tenantId, record.messageId, [current.status], {
      attempts,
      nextAttemptAt,
      errorMessage: text,
      updatedAt: now.toISOString(),
      ...last,
    })
    .catch(() => ({ ...current, nextAttemptAt }));
}

async function giveUp(
  record: ForwardDelivery,
  from: ForwardDelivery['status'][],
  code: string,
  message: string,
  deps: ForwardDeps,
  extra: Partial<ForwardDelivery> = {},
): Promise<ForwardDelivery> {
  const at = deps.clock.now().toISOString();
  return deps.deliveries
    .transition(record.tenantId, record.messageId, from, {
      ...extra,
      status: 'failed',
      errorCode: code,
      errorMessage: message,
      nextAttemptAt: undefined,
      updatedAt: at,
    })
    .catch(() => record);
}

function responseFields(response: ForwardResponse | undefined): Partial<ForwardDelivery> {
  if (!response) return {};
  return {
    lastStatusCode: response.statusCode,
    latencyMs: response.latencyMs,
    responseExcerpt: response.excerpt.slice(0, EXCERPT_CHARS),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Channels

type ForwardChannel = DeliveryChannel<ForwardDelivery> & { lastResponse?: ForwardResponse };

function forwardChannel(
  event: StoredEvent,
  target: ForwardTarget,
  secrets: TargetSecrets,
  deps: ForwardDeps,
): ForwardChannel {
  if (target.kind === 'eventbridge') return busChannel(event, target, deps);
  const channel: ForwardChannel = {
    service: 'http',
    label: 'the forwarding target',
    async send(record) {
      channel.lastResponse = undefined;
      const response = await postWebhook(event, target, secrets, record.webhookId, deps);
      channel.lastResponse = response;
      classifyAnswer(response);
      return { attempts: record.attempts + 1, nextAttemptAt: undefined, ...responseFields(response) };
    },
    wasNotAccepted,
  };
  return channel;
}

/** One signed POST; resolves with the target's answer, whatever it is (classifyAnswer judges it). */
export async function postWebhook(
  event: StoredEvent,
  target: ForwardTarget,
  secrets: TargetSecrets,
  webhookId: string,
  deps: Pick<ForwardDeps, 'webhooks' | 'clock'>,
): Promise<ForwardResponse> {
  const content = forwardBody(event, target);
  const headers = {
    ...senderHeaders(event),
    ...webhookHeaders(secrets, webhookId, content, deps.clock.now()),
  };
  return deps.webhooks.post({ url: target.url ?? '', headers, body: content.body });
}

/** 2xx delivered; 408, 429 and 5xx retried; a redirect (not followed) and other 4xx are final. */
export function classifyAnswer(response: ForwardResponse): void {
  const { statusCode } = response;
  if (statusCode >= 200 && statusCode < 300) return;
  const retryable = statusCode === 408 || statusCode === 429 || statusCode >= 500;
  const what = statusCode >= 300 && statusCode < 400 ? 'redirected (redirects are not followed)' : 'answered';
  throw new DownstreamError('http', `the target ${what} ${statusCode}`, {
    retryable,
    status: statusCode,
    retryAfterSeconds: response.retryAfterSeconds,
  });
}

/** An answer, a refused connection or a refused address proves the target did not take the event. */
function wasNotAccepted(error: unknown): boolean {
  if (error instanceof UrlNotAllowedError) return true;
  return error instanceof DownstreamError && (error.status !== undefined || error.code === 'ECONNREFUSED');
}

function busChannel(event: StoredEvent, target: ForwardTarget, deps: ForwardDeps): ForwardChannel {
  return {
    service: 'eventbridge',
    label: 'EventBridge',
    async send(record) {
      await deps.bus.publish({
        eventBusArn: target.eventBusArn ?? '',
        source: `fineract.${event.tenantId}`,
        detailType: `${event.entity}.${event.action}`,
        detail: forwardBody(event, { ...target, format: 'envelope' }).body.toString('utf8'),
      });
      return { attempts: record.attempts + 1, nextAttemptAt: undefined };
    },
    // A failed entry was not put on the bus; anything else may have been: EventBridge is at least once anyway.
    wasNotAccepted: (error) => error instanceof DownstreamError && error.code === 'FailedEntry',
  };
}
