import { type Authenticator, scopeOf } from './api-keys';
import { type Access, authoriseTenantRequest } from './console-session';
import { BadRequestError, NotFoundError } from './errors';
import { isFinal, RESENDABLE_STATUSES } from './lifecycle';
import { header, type HttpRequest, type HttpResponse, jsonResponse } from './http';
import { HEADERS } from './hook-parser';
import { assertTenantId } from './identifiers';
import { maskPhone, maskPhonesInPayload, maskSid } from './redaction';
import { RESEND_BOUNDS, type ReplayDeps, replayEventsBounded } from './replay';
import type { ConsoleSessionStore, Logger, Metrics, SecretStore, TenantStore } from './ports';
import type { StoredEvent } from './model';

export interface AdminDeps extends ReplayDeps {
  auth: Authenticator;
  tenants: TenantStore;
  secrets: SecretStore;
  logger: Logger;
  metrics: Metrics;
  /** Web console sessions; without them only the admin key is accepted. */
  sessions?: ConsoleSessionStore;
}

/** The old bridge's admin API (docs/protocol.md §7): the tenant from the path, the key from the usual header. */
async function authorise(request: HttpRequest, deps: AdminDeps, access: Access): Promise<string> {
  // The tenant id is checked before any lookup: an over-long id would exceed DynamoDB's key size (a 500, not an
  // answer). Only admin-scoped keys: a Web hook's key is in its Payload URL, readable by anyone who can see the
  // hook. The web console's session cookie stands in for the key on the listing and resend.
  return authoriseTenantRequest(request, deps, header(request, ...HEADERS.apiKey), access);
}

/** Configuration and its deletion: the admin key only, never a console session. */
async function authoriseKey(request: HttpRequest, deps: AdminDeps): Promise<string> {
  const tenantId = assertTenantId(request.params.tenantId ?? '', 'the path');
  await deps.auth.authenticate(tenantId, header(request, ...HEADERS.apiKey), 'admin');
  return tenantId;
}

export async function handleGetConfig(request: HttpRequest, deps: AdminDeps): Promise<HttpResponse> {
  const tenantId = await authoriseKey(request, deps);
  const config = await deps.tenants.getTenant(tenantId);
  if (!config) throw new NotFoundError(`Tenant "${tenantId}" has no SMS Bridge configuration.`);
  const now = deps.clock.now().getTime();
  const keys = (await deps.tenants.listApiKeys(tenantId))
    .filter((k) => !k.expiresAt || Date.parse(k.expiresAt) > now)
    .map((k) => ({
      fingerprint: k.fingerprint,
      scope: scopeOf(k),
      createdAt: k.createdAt,
      expiresAt: k.expiresAt ?? null,
    }));
  // Never a secret: no token, no mifosToken, the account SID masked.
  return jsonResponse(200, {
    tenantId,
    smsProvider: config.smsProvider,
    phoneNo: config.phoneNo ?? null,
    messagingServiceSid: config.messagingServiceSid ?? null,
    smsProviderAccountId: maskSid(config.accountSid) ?? null,
    endpoint: config.endpoint ?? null,
    defaultCountry: config.defaultCountry ?? null,
    credentialsValid: !config.credentialsInvalidAt,
    createdOn: config.registeredAt,
    lastModifiedOn: config.updatedAt,
    keys,
  });
}

export async function handleDeleteConfig(request: HttpRequest, deps: AdminDeps): Promise<HttpResponse> {
  const tenantId = await authoriseKey(request, deps);
  for (const key of await deps.tenants.listApiKeys(tenantId)) await deps.tenants.deleteApiKey(tenantId, key.keyHash);
  await deps.tenants.deleteTenant(tenantId);
  await deps.secrets.deleteTenantSecret(tenantId);
  deps.auth.forget(tenantId);
  deps.logger.info('tenant configuration deleted', { tenantId });
  return jsonResponse(200, { status: 'deleted', tenantId });
}

export function eventView(event: StoredEvent) {
  return {
    id: event.eventId,
    tenantId: event.tenantId,
    entity: event.entity,
    action: event.action,
    status: event.status,
    attempts: event.attempts,
    lastError: event.lastError ?? null,
    // The old bridge's field names, for scripts written against it.
    processed: isFinal(event.status) && !RESENDABLE_STATUSES.includes(event.status),
    errorMessage: event.lastError ?? null,
    createdOn: event.receivedAt,
    lastModifiedOn: event.updatedAt,
    nextAttemptAt: event.nextAttemptAt ?? null,
    source: event.source,
    shape: event.shape,
    failedCommand: event.failed,
    outcome: event.outcome ?? null,
    payload: maskPhonesInPayload(event.rawBody),
  };
}

export async function handleListEvents(request: HttpRequest, deps: AdminDeps): Promise<HttpResponse> {
  const tenantId = await authorise(request, deps, 'read');
  const limit = request.query.limit === undefined ? 25 : Number(request.query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100)
    throw new BadRequestError('limit must be between 1 and 100.');
  // A cursor the store did not hand out is an InvalidCursorError: a 400 like any other bad parameter.
  const page = await deps.events.listByTenant(tenantId, { limit, cursor: request.query.cursor });
  const keep = listingFilter(request.query);
  // Filters apply to the page read: a page may come back shorter (even empty) with a cursor to the next one.
  const items = page.items.filter(keep);
  // `include=sms` (the web console's rows): each event's SMS, recipient masked, with its delivery status.
  const withSms = request.query.include === 'sms';
  const events = await Promise.all(
    items.map(async (event) => {
      if (!withSms) return eventView(event);
      const messages = await deps.messages.listByEvent(tenantId, event.eventId);
      const sms = messages.map((m) => ({ to: maskPhone(m.to), status: m.status, sid: m.sid ?? null }));
      return { ...eventView(event), sms };
    }),
  );
  return jsonResponse(200, { tenantId, events, nextCursor: page.nextCursor ?? null });
}

export async function handleResend(request: HttpRequest, deps: AdminDeps): Promise<HttpResponse> {
  const tenantId = await authorise(request, deps, 'write');
  const { replayed, more } = await replayEventsBounded(tenantId, RESEND_BOUNDS, deps);
  deps.logger.info('events re-driven', { tenantId, count: replayed.length, more });
  return jsonResponse(200, {
    status: 'resent',
    tenantId,
    count: replayed.length,
    eventIds: replayed.map((e) => e.eventId),
    // Added field: true when this call stopped at its bound; calling `_resend` again re-drives the next ones.
    more,
  });
}

/** Optional listing filters (added for the web console): `status`, `type` (ENTITY.ACTION), `since`, `until`. */
function listingFilter(query: Record<string, string>): (event: StoredEvent) => boolean {
  const statuses = query.status ? query.status.split(',').map((s) => s.trim()) : undefined;
  const type = query.type?.trim().toUpperCase();
  const time = (name: 'since' | 'until') => {
    const value = query[name];
    if (value === undefined || value === '') return undefined;
    const ms = Date.parse(value);
    if (Number.isNaN(ms)) throw new BadRequestError(`${name} must be an ISO-8601 date or time.`);
    return ms;
  };
  const since = time('since');
  const until = time('until');
  return (event) => {
    const at = Date.parse(event.receivedAt);
    return (
      (!statuses || statuses.includes(event.status)) &&
      (!type || `${event.entity}.${event.action}`.toUpperCase() === type) &&
      (since === undefined || at >= since) &&
      (until === undefined || at <= until)
    );
  };
}
