/**
 * "Did client 42 get the SMS?": find a tenant's events by business id or phone number, and tell the whole story of
 * one event. Used by the CLI (`events find`, `events trace`) and the tenant API (`GET /tenants/{t}/events…`). Phone
 * numbers are searched by their keyed hash only, and shown masked.
 */
import { BadRequestError } from './errors';
import {
  type EventFilter,
  type ForwardDelivery,
  type HookIds,
  type MessageRecord,
  SEARCH_ID_FIELDS,
  type StoredEvent,
} from './model';
import type { Clock, EventSearch, EventStore, ForwardDeliveryStore, MessageStore, PhoneHasher } from './ports';
import { toE164 } from './phone';
import { maskPhone } from './redaction';

export interface EventSearchDeps {
  search: EventSearch;
  phones: PhoneHasher;
  messages: Pick<MessageStore, 'listByEvent'>;
  deliveries: Pick<ForwardDeliveryStore, 'listByEvent'>;
  clock: Clock;
}

export interface FindEventsQuery extends EventFilter {
  /** E.164, normalised from what was given. */
  phone?: string;
  since: string;
  entity?: string;
  action?: string;
  limit: number;
  cursor?: string;
}

/** The query parameters (API) and options (CLI) a search takes, by their API names. */
export const FIND_PARAMETERS = [...SEARCH_ID_FIELDS, 'phone', 'since', 'entity', 'action', 'limit', 'cursor'] as const;
export type FindParameters = Partial<Record<(typeof FIND_PARAMETERS)[number], string>>;

export const DEFAULT_FIND_SINCE = '7d';
/** Events expire after the retention period (90 days by default): looking further back finds nothing. */
const MAX_SINCE_DAYS = 400;
const ID_VALUE = /^[A-Za-z0-9_.:-]{1,64}$/;
const NAME_VALUE = /^[A-Za-z_]{1,64}$/;
const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `7d`, `24h`, `30m` before now, or an ISO date/time; undefined when it is neither. */
export function parseSince(value: string, now: Date): string | undefined {
  const relative = /^(\d{1,6})([mhd])$/.exec(value.trim());
  if (relative) {
    const ms = Number(relative[1]) * UNITS[relative[2]!]!;
    if (ms > MAX_SINCE_DAYS * UNITS.d!) return undefined;
    return new Date(now.getTime() - ms).toISOString();
  }
  if (!/^\d{4}-\d{2}-\d{2}/.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : new Date(at).toISOString();
}

/**
 * Checks a search before any store sees it: at least one id or a phone number, well-formed values, a window.
 * Throws BadRequestError (a JSON 400 from the API, exit code 2 from the CLI) naming the parameter.
 */
export function parseFindQuery(params: FindParameters, now: Date): FindEventsQuery {
  const unknown = Object.keys(params).filter((k) => !(FIND_PARAMETERS as readonly string[]).includes(k));
  if (unknown.length)
    throw new BadRequestError(`Unknown parameter "${unknown[0]}"; use ${FIND_PARAMETERS.join(', ')}.`);
  const query: FindEventsQuery = { since: '', limit: 25 };
  for (const field of SEARCH_ID_FIELDS) {
    const value = params[field];
    if (value === undefined) continue;
    if (!ID_VALUE.test(value)) throw new BadRequestError(`${field} must be an id like 42 (letters, digits, . _ : -).`);
    // Senders write ids as 42 or 42.0 (form bodies carry Java doubles): the stored id is the parsed number's text.
    query[field] = /^\d+\.0+$/.test(value) ? value.replace(/\.0+$/, '') : value;
  }
  if (params.phone !== undefined) {
    // International, the `+` optional as in the numbers MifosX stores (and a `+` in a URL query arrives as a space).
    const phone = toE164(params.phone.trim());
    if (!phone.ok) throw new BadRequestError('phone must be a number in international format, e.g. +254712345678.');
    query.phone = phone.e164;
  }
  if (!query.phone && !SEARCH_ID_FIELDS.some((f) => query[f] !== undefined)) {
    throw new BadRequestError(`Give at least one of ${[...SEARCH_ID_FIELDS, 'phone'].join(', ')}.`);
  }
  const since = parseSince(params.since ?? DEFAULT_FIND_SINCE, now);
  if (!since)
    throw new BadRequestError(`since is a duration like 7d, 24h, 30m (at most ${MAX_SINCE_DAYS}d) or an ISO date.`);
  query.since = since;
  for (const name of ['entity', 'action'] as const) {
    const value = params[name];
    if (value === undefined) continue;
    if (!NAME_VALUE.test(value)) throw new BadRequestError(`${name} must be a name like LOAN or REPAYMENT.`);
    query[name] = value.toUpperCase();
  }
  if (params.limit !== undefined) {
    const limit = Number(params.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100)
      throw new BadRequestError('limit must be between 1 and 100.');
    query.limit = limit;
  }
  if (params.cursor !== undefined) {
    if (params.cursor.length > 2048 || !/^[A-Za-z0-9_-]+$/.test(params.cursor))
      throw new BadRequestError('cursor must be the nextCursor of an earlier answer.');
    query.cursor = params.cursor;
  }
  return query;
}

/** One SMS of an event as searches and traces show it: the number masked. */
export function smsDeliveryView(record: MessageRecord) {
  return {
    channel: 'sms' as const,
    messageId: record.messageId,
    to: maskPhone(record.to),
    status: record.status,
    sid: record.sid ?? null,
    providerStatus: record.providerStatus ?? null,
    error: record.errorCode ? `${record.errorCode} ${record.errorMessage ?? ''}`.trim() : (record.errorMessage ?? null),
  };
}

export function forwardDeliveryView(record: ForwardDelivery) {
  return {
    channel: 'forward' as const,
    targetId: record.targetId,
    status: record.status === 'sent' ? 'delivered' : record.status,
    attempts: record.attempts,
    lastStatusCode: record.lastStatusCode ?? null,
    error: record.errorMessage ?? null,
  };
}

function searchIds(ids: HookIds | undefined): EventFilter {
  const out: EventFilter = {};
  for (const field of SEARCH_ID_FIELDS) if (ids?.[field] !== undefined) out[field] = String(ids[field]);
  return out;
}

export type FoundEvent = Awaited<ReturnType<typeof foundEventView>>;

async function foundEventView(event: StoredEvent, deps: Pick<EventSearchDeps, 'messages' | 'deliveries'>) {
  const [messages, forwards] = await Promise.all([
    deps.messages.listByEvent(event.tenantId, event.eventId),
    deps.deliveries.listByEvent(event.tenantId, event.eventId),
  ]);
  return {
    eventId: event.eventId,
    receivedAt: event.receivedAt,
    entity: event.entity,
    action: event.action,
    status: event.status,
    attempts: event.attempts,
    ids: searchIds(event.ids),
    deliveries: [...messages.map(smsDeliveryView), ...forwards.map(forwardDeliveryView)],
  };
}

/** One page of a tenant's matching events, newest first, each with its deliveries. */
export async function findEvents(
  tenantId: string,
  query: FindEventsQuery,
  deps: EventSearchDeps,
): Promise<{ tenantId: string; since: string; events: FoundEvent[]; nextCursor: string | null }> {
  const filter: EventFilter = {};
  for (const field of SEARCH_ID_FIELDS) if (query[field] !== undefined) filter[field] = query[field];
  const page = { since: query.since, limit: query.limit, cursor: query.cursor };
  const found = query.phone
    ? await deps.search.findByPhoneHash(tenantId, await deps.phones.hashPhone(query.phone), page)
    : await deps.search.findByIds(tenantId, filter, page);
  // Entity and action are checked on the events read whole: the index need not project them.
  const ids = Object.entries(filter);
  const matching = found.items.filter(
    (e) =>
      (!query.entity || e.entity === query.entity) &&
      (!query.action || e.action === query.action) &&
      e.receivedAt >= query.since &&
      ids.every(([field, value]) => String(e.ids?.[field as keyof HookIds] ?? '') === value),
  );
  const events = await Promise.all(matching.map((e) => foundEventView(e, deps)));
  return { tenantId, since: query.since, events, nextCursor: found.nextCursor ?? null };
}

/** What an event's headers and body tell of its sender (docs/protocol.md §2, §3). */
export function senderVersionOf(event: Pick<StoredEvent, 'source' | 'shape'>): string {
  if (event.source === 'mifosx') return 'MifosX (≤ Jan 2016: X-Mifos-* headers)';
  if (event.shape === 'envelope' || event.shape === 'failed-envelope') return 'Fineract ≥ 1.5 (envelope body)';
  if (event.shape === 'flat') return 'Fineract 1.0–1.4 (flat body)';
  if (event.shape === 'sms-send') return 'Fineract (a user-defined SMS template)';
  return 'Fineract';
}

export type EventTrace = Awaited<ReturnType<typeof traceEvent>>;

/**
 * The whole story of one event: how it arrived, each status change with its error, each SMS (masked number, the
 * rendered text, Twilio's SID and every status it reported), each forward with its status codes.
 */
export async function traceEvent(
  tenantId: string,
  eventId: string,
  deps: { events: Pick<EventStore, 'get'> } & Pick<EventSearchDeps, 'messages' | 'deliveries'>,
) {
  const event = await deps.events.get(tenantId, eventId);
  if (!event) return undefined;
  const [messages, forwards] = await Promise.all([
    deps.messages.listByEvent(tenantId, eventId),
    deps.deliveries.listByEvent(tenantId, eventId),
  ]);
  let attempt = 0;
  return {
    eventId: event.eventId,
    tenantId: event.tenantId,
    event: `${event.entity}.${event.action}`,
    status: event.status,
    failedCommand: event.failed,
    received: {
      at: event.receivedAt,
      hook: event.template === 'sms-bridge' ? 'SMS Bridge' : 'Web',
      smsRequested: event.sms ?? event.template === 'sms-bridge',
      source: event.source,
      senderVersion: senderVersionOf(event),
      body: `${event.shape}, ${event.encoding}`,
      senderEndpoint: event.senderEndpoint ?? null,
    },
    ids: searchIds(event.ids),
    attempts: event.attempts,
    // Each `processing` is one attempt; what follows it is how that attempt ended.
    history: (event.history ?? []).map((h) => ({
      at: h.at,
      attempt: h.status === 'processing' ? ++attempt : attempt || null,
      status: h.status,
      error: h.error ?? null,
    })),
    lastError: event.lastError ?? null,
    nextAttemptAt: event.nextAttemptAt ?? null,
    messages: messages.map((m) => ({
      ...smsDeliveryView(m),
      template: m.templateKey,
      body: m.body,
      encoding: m.encoding,
      segments: m.segments,
      createdAt: m.createdAt,
      updatedAt: m.updatedAt,
      providerHistory: m.providerHistory ?? [],
    })),
    forwards: forwards.map((f) => ({
      ...forwardDeliveryView(f),
      latencyMs: f.latencyMs ?? null,
      nextAttemptAt: f.status === 'sent' || f.status === 'failed' ? null : (f.nextAttemptAt ?? null),
      webhookId: f.webhookId,
      updatedAt: f.updatedAt,
    })),
  };
}
