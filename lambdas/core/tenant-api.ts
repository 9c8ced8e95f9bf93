/**
 * The tenant HTTP API for forwarding: targets (create, list, delete, rotate the secret, send a test) and one
 * event with its deliveries. The tenant's own admin key in X-Fineract-API-Key, X-Mifos-API-Key or
 * `Authorization: Bearer`; an ingest-only key is refused (403), another tenant's key is not found (401).
 */
import { randomBytes } from 'node:crypto';
import type { Authenticator } from './api-keys';
import { type Access, authoriseTenantRequest } from './console-session';
import { BadRequestError, DownstreamError, NotFoundError } from './errors';
import { isFinalDelivery } from './forward';
import { EVENT_FILTER_PATTERN, newWebhookSecret, webhookHeaders } from './forward-message';
import { header, type HttpRequest, type HttpResponse, jsonResponse } from './http';
import { HEADERS } from './hook-parser';
import type { ForwardDelivery, ForwardTarget, MessageRecord, StoredEvent } from './model';
import type {
  Clock,
  ConsoleSessionStore,
  EventBusPublisher,
  EventStore,
  ForwardDeliveryStore,
  Logger,
  MessageStore,
  TargetSecretStore,
  TargetStore,
  WebhookSender,
} from './ports';
import { maskPhone } from './redaction';
import { checkTargetUrl } from './url-policy';
import { type EventSearchDeps, type FindParameters, findEvents, parseFindQuery, traceEvent } from './event-search';

export interface TenantApiDeps extends EventSearchDeps {
  auth: Authenticator;
  events: EventStore;
  messages: MessageStore;
  targets: TargetStore;
  targetSecrets: TargetSecretStore;
  deliveries: ForwardDeliveryStore;
  webhooks: WebhookSender;
  bus: EventBusPublisher;
  clock: Clock;
  logger: Logger;
  settings: { allowPrivateEndpoints: boolean };
  /** Web console sessions; without them only the admin key is accepted. */
  sessions?: ConsoleSessionStore;
}

/** How long the previous secret keeps signing after a rotation. */
export const ROTATION_OVERLAP_MS = 24 * 3600 * 1000;
const EVENT_BUS_ARN = /^arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus\/[A-Za-z0-9._\-/]{1,256}$/;
const TARGET_ID = /^tgt_[0-9a-f]{16}$/;

/**
 * The tenant's admin key, or a web console session (console-session.ts): a viewer reads, an editor changes; every
 * handler that changes something says 'write'.
 */
async function authorise(request: HttpRequest, deps: TenantApiDeps, access: Access = 'read'): Promise<string> {
  const bearer = /^Bearer\s+(.+)$/i.exec(header(request, 'authorization') ?? '')?.[1];
  return authoriseTenantRequest(request, deps, header(request, ...HEADERS.apiKey) ?? bearer, access);
}

async function findTarget(request: HttpRequest, tenantId: string, deps: TenantApiDeps): Promise<ForwardTarget> {
  const targetId = request.params.targetId ?? '';
  const target = TARGET_ID.test(targetId) ? await deps.targets.getTarget(tenantId, targetId) : undefined;
  if (!target) throw new NotFoundError(`Tenant "${tenantId}" has no target "${targetId}".`);
  return target;
}

export function targetView(target: ForwardTarget) {
  return {
    targetId: target.targetId,
    kind: target.kind,
    ...(target.url ? { url: target.url } : {}),
    ...(target.eventBusArn ? { eventBusArn: target.eventBusArn } : {}),
    events: target.events,
    includeFailed: target.includeFailed,
    format: target.format,
    status: target.status,
    disabledReason: target.disabledReason ?? null,
    createdAt: target.createdAt,
  };
}

interface TargetInput {
  url?: unknown;
  eventBusArn?: unknown;
  events?: unknown;
  includeFailed?: unknown;
  format?: unknown;
}

/** Checks a new target without any network request: shape, scheme, IP-literal addresses, filters. */
export function parseTargetInput(
  body: Buffer,
  allowPrivate: boolean,
): Omit<ForwardTarget, 'tenantId' | 'targetId' | 'status' | 'createdAt' | 'updatedAt'> {
  let input: TargetInput;
  try {
    input = JSON.parse(body.toString('utf8')) as TargetInput;
  } catch {
    throw new BadRequestError('The body must be JSON: {"url": …, "events": […], "includeFailed": …, "format": …}.');
  }
  if (!input || typeof input !== 'object') throw new BadRequestError('The body must be a JSON object.');
  const events = input.events ?? [];
  if (!Array.isArray(events) || !events.every((e) => typeof e === 'string' && EVENT_FILTER_PATTERN.test(e))) {
    throw new BadRequestError('"events" must be a list like ["LOAN.REPAYMENT", "LOAN.*", "*.CREATE"].');
  }
  const format = input.format ?? 'envelope';
  if (format !== 'envelope' && format !== 'original')
    throw new BadRequestError('"format" is "envelope" or "original".');
  if (input.includeFailed !== undefined && typeof input.includeFailed !== 'boolean') {
    throw new BadRequestError('"includeFailed" must be true or false.');
  }
  const common = {
    events: (events as string[]).map((e) => e.toUpperCase()),
    includeFailed: input.includeFailed === true,
    format: format as ForwardTarget['format'],
  };
  if (typeof input.eventBusArn === 'string' && input.url === undefined) {
    if (!EVENT_BUS_ARN.test(input.eventBusArn)) throw new BadRequestError('"eventBusArn" is not an event bus ARN.');
    return { kind: 'eventbridge', eventBusArn: input.eventBusArn, ...common };
  }
  if (typeof input.url !== 'string') throw new BadRequestError('Give either "url" or "eventBusArn".');
  checkTargetUrl(input.url, allowPrivate);
  return { kind: 'https', url: input.url, ...common };
}

export async function handleCreateTarget(request: HttpRequest, deps: TenantApiDeps): Promise<HttpResponse> {
  const tenantId = await authorise(request, deps, 'write');
  const input = parseTargetInput(request.body, deps.settings.allowPrivateEndpoints);
  const { target, secret } = await createTarget(tenantId, input, deps);
  deps.logger.info('forwarding target created', { tenantId, targetId: target.targetId, kind: target.kind });
  // The only time the secret is shown.
  return jsonResponse(201, { ...targetView(target), secret });
}

export async function handleListTargets(request: HttpRequest, deps: TenantApiDeps): Promise<HttpResponse> {
  const tenantId = await authorise(request, deps);
  const targets = await deps.targets.listTargets(tenantId);
  return jsonResponse(200, { targets: targets.map(targetView) });
}

export async function handleDeleteTarget(request: HttpRequest, deps: TenantApiDeps): Promise<HttpResponse> {
  const tenantId = await authorise(request, deps, 'write');
  const target = await findTarget(request, tenantId, deps);
  await deps.targets.deleteTarget(tenantId, target.targetId);
  await deps.targetSecrets.deleteTargetSecrets(tenantId, target.targetId);
  deps.logger.info('forwarding target deleted', { tenantId, targetId: target.targetId });
  return { statusCode: 204, headers: { 'cache-control': 'no-store' }, body: '' };
}

export async function handleRotateSecret(request: HttpRequest, deps: TenantApiDeps): Promise<HttpResponse> {
  const tenantId = await authorise(request, deps, 'write');
  const target = await findTarget(request, tenantId, deps);
  const rotated = await rotateTargetSecret(target, deps);
  deps.logger.info('forwarding target secret rotated', { tenantId, targetId: target.targetId });
  return jsonResponse(200, { targetId: target.targetId, ...rotated });
}

/** A signed `webhook.test` event now; answers with what the target said. */
export async function handleTestTarget(request: HttpRequest, deps: TenantApiDeps): Promise<HttpResponse> {
  const tenantId = await authorise(request, deps, 'write');
  const target = await findTarget(request, tenantId, deps);
  return jsonResponse(200, await sendTestEvent(target, deps));
}

/** Sends a `webhook.test` to one target (the API's and the CLI's `test`); never throws for the target's fault. */
export async function sendTestEvent(
  target: ForwardTarget,
  deps: Pick<TenantApiDeps, 'targetSecrets' | 'webhooks' | 'bus' | 'clock'>,
) {
  const { tenantId, targetId } = target;
  const now = deps.clock.now();
  const payload = { type: 'webhook.test', timestamp: now.toISOString(), data: { tenantId, targetId } };
  const body = Buffer.from(JSON.stringify(payload), 'utf8');
  try {
    if (target.kind === 'eventbridge') {
      await deps.bus.publish({
        eventBusArn: target.eventBusArn ?? '',
        source: `fineract.${tenantId}`,
        detailType: 'webhook.test',
        detail: body.toString('utf8'),
      });
      return { targetId, delivered: true };
    }
    const secrets = await deps.targetSecrets.getTargetSecrets(tenantId, targetId);
    if (!secrets) throw new NotFoundError(`Target "${targetId}" has no signing secret; create it again.`);
    const webhookId = `msg_test_${randomBytes(8).toString('hex')}`;
    const headers = webhookHeaders(secrets, webhookId, { body, contentType: 'application/json' }, now);
    const response = await deps.webhooks.post({ url: target.url ?? '', headers, body });
    return {
      targetId,
      delivered: response.statusCode >= 200 && response.statusCode < 300,
      statusCode: response.statusCode,
      latencyMs: response.latencyMs,
      webhookId,
    };
  } catch (error) {
    if (!(error instanceof DownstreamError)) throw error;
    return { targetId, delivered: false, error: error.message };
  }
}

/** A new signing secret; the current one keeps signing for ROTATION_OVERLAP_MS. */
export async function rotateTargetSecret(
  target: ForwardTarget,
  deps: Pick<TenantApiDeps, 'targetSecrets' | 'clock'>,
): Promise<{ secret: string; previousSecretValidUntil: string | null }> {
  const current = await deps.targetSecrets.getTargetSecrets(target.tenantId, target.targetId);
  const secret = newWebhookSecret();
  const previousUntil = new Date(deps.clock.now().getTime() + ROTATION_OVERLAP_MS).toISOString();
  await deps.targetSecrets.putTargetSecrets(target.tenantId, target.targetId, {
    secret,
    ...(current ? { previousSecret: current.secret, previousUntil } : {}),
  });
  return { secret, previousSecretValidUntil: current ? previousUntil : null };
}

/** Stores a new target and its first secret; returns both (the secret is shown this once). */
export async function createTarget(
  tenantId: string,
  input: ReturnType<typeof parseTargetInput>,
  deps: Pick<TenantApiDeps, 'targets' | 'targetSecrets' | 'clock'>,
): Promise<{ target: ForwardTarget; secret: string }> {
  const now = deps.clock.now().toISOString();
  const target: ForwardTarget = {
    tenantId,
    targetId: `tgt_${randomBytes(8).toString('hex')}`,
    status: 'enabled',
    createdAt: now,
    updatedAt: now,
    ...input,
  };
  const secret = newWebhookSecret();
  // The secret first: a target never exists without one to sign with.
  await deps.targetSecrets.putTargetSecrets(tenantId, target.targetId, { secret });
  await deps.targets.putTarget(target);
  return { target, secret };
}

export function deliveryView(record: ForwardDelivery) {
  return {
    channel: 'forward',
    targetId: record.targetId,
    status: record.status === 'sent' ? 'delivered' : record.status,
    attempts: record.attempts,
    lastStatusCode: record.lastStatusCode ?? null,
    latencyMs: record.latencyMs ?? null,
    nextAttemptAt: isFinalDelivery(record) ? null : (record.nextAttemptAt ?? null),
    error: record.errorMessage ?? null,
    webhookId: record.webhookId,
  };
}

function smsView(record: MessageRecord) {
  return {
    channel: 'sms',
    messageId: record.messageId,
    status: record.status,
    to: maskPhone(record.to),
    segments: record.segments,
    error: record.errorMessage ?? null,
    // Added fields (the console's event view): the provider's message id and status, the text sent.
    templateKey: record.templateKey,
    sid: record.sid ?? null,
    providerStatus: record.providerStatus ?? null,
    encoding: record.encoding,
    text: record.body,
    attemptStartedAt: record.attemptStartedAt ?? null,
    updatedAt: record.updatedAt,
  };
}

export function eventWithDeliveries(event: StoredEvent, messages: MessageRecord[], forwards: ForwardDelivery[]) {
  return {
    eventId: event.eventId,
    tenantId: event.tenantId,
    entity: event.entity,
    action: event.action,
    status: event.status,
    failedCommand: event.failed,
    receivedAt: event.receivedAt,
    attempts: event.attempts,
    nextAttemptAt: event.nextAttemptAt ?? null,
    lastError: event.lastError ?? null,
    // Added fields (the console's event view): how it arrived and when it last changed.
    source: event.source,
    template: event.template,
    shape: event.shape,
    updatedAt: event.updatedAt,
    ids: event.ids,
    deliveries: [...messages.map(smsView), ...forwards.map(deliveryView)],
  };
}

export async function handleGetEvent(request: HttpRequest, deps: TenantApiDeps): Promise<HttpResponse> {
  const tenantId = await authorise(request, deps);
  const eventId = request.params.eventId ?? '';
  const event = /^[A-Za-z0-9_-]{1,128}$/.test(eventId) ? await deps.events.get(tenantId, eventId) : undefined;
  if (!event) throw new NotFoundError(`Tenant "${tenantId}" has no event "${eventId}".`);
  const [messages, forwards] = await Promise.all([
    deps.messages.listByEvent(tenantId, eventId),
    deps.deliveries.listByEvent(tenantId, eventId),
  ]);
  return jsonResponse(200, eventWithDeliveries(event, messages, forwards));
}

/** `GET /tenants/{tenantId}/events?clientId=…|loanId=…|savingsId=…|commandId=…|phone=…&since=7d&limit=&cursor=`. */
export async function handleFindEvents(request: HttpRequest, deps: TenantApiDeps): Promise<HttpResponse> {
  const tenantId = await authorise(request, deps);
  const query = parseFindQuery(request.query as FindParameters, deps.clock.now());
  return jsonResponse(200, await findEvents(tenantId, query, deps));
}

/** `GET /tenants/{tenantId}/events/{eventId}/trace`: the story of one event (events-search.ts traceEvent). */
export async function handleTraceEvent(request: HttpRequest, deps: TenantApiDeps): Promise<HttpResponse> {
  const tenantId = await authorise(request, deps);
  const eventId = request.params.eventId ?? '';
  const trace = /^[A-Za-z0-9_-]{1,128}$/.test(eventId) ? await traceEvent(tenantId, eventId, deps) : undefined;
  if (!trace) throw new NotFoundError(`Tenant "${tenantId}" has no event "${eventId}".`);
  return jsonResponse(200, trace);
}
