/**
 * The two DynamoDB tables, described once as plain data. The CDK stack (lib/storage.ts), the embedded engine's
 * CreateTable (local/embedded-dynamodb.ts) and the stores all read it, so a key or index cannot drift between
 * the cloud, local mode and the code that queries it. Every name here is stored data or an IAM resource: renaming
 * one is a migration, not a refactor. No SDK import: the CDK app loads this file too.
 *
 * Tenants table (pk, sk):
 *   T#{tenant}   CONFIG        tenant config (no secrets)
 *   T#{tenant}   KEY#{sha256}  API key record (hash only; ttl once it expires)
 *   T#{tenant}   TPL#{E.A}     Mustache template override
 *   T#{tenant}   ENROLL        operator enrollment
 *   T#{tenant}   TARGET#{id}   forwarding target (no secrets: those are in the secret store)
 *   LOCK#{name}  LOCK          registration lease (ttl)
 *   CONSOLE#{sha256}  LINK     web console one-time sign-in link (token hash only; ttl)
 *   CONSOLE#{sha256}  SESSION  web console session (token hash only; ttl)
 *
 * Events table, layout v2 (pk, sk): one item collection per event, so one event's writes (about six on the happy
 * path) land on its own partition key and a tenant's traffic spreads over as many keys as it has events. A single
 * tenant (one MFI, the common case) is then no hotter than many.
 *   T#{tenant}#E#{eventId}   EVENT           the event; ttl once final
 *   T#{tenant}#E#{eventId}   M#{messageId}   an SMS message record, messageId = {eventId}.{ENTITY.ACTION}
 *   T#{tenant}#E#{eventId}   F#{deliveryId}  a forward delivery record, deliveryId = {eventId}.F.{targetId}
 *   T#{tenant}#PID#{id}      PID             which message a provider's message id is (Africa's Talking reports
 *                                            carry only theirs); ttl as the message record's
 * Indexes:
 *   byTenantTimeV2  T#{tenant}#{0..3} / {receivedAt}#{eventId}: a tenant's events newest first. Written once, when
 *                   the event is stored: it projects only attributes that never change, so status updates do not
 *                   touch it; listings read the rest from the table (BatchGetItem).
 *   byDueV2         DUE#{0..15} / dueAt: sparse, only while not final; the sweeper's work list (ids only).
 *   byPhone         P#{tenant}#{keyed hash of the number} / createdAt: sparse, on SMS message records only (keys
 *                   only): `events find --phone` without the number stored anywhere in the clear.
 * Layout v1 (before this build) keyed every item of a tenant by `T#{tenant}` and projected whole items into
 * `byTenantTime` and `byDue`: one tenant's events shared one partition (about 166 events/s). A v1 table cannot be
 * read by this build; it must be replaced (README, Deploy).
 */

export type KeyAttributeType = 'S' | 'N' | 'B';

export interface KeyAttribute {
  readonly name: string;
  readonly type: KeyAttributeType;
}

/**
 * What an index copies from the item besides the keys. An index is rewritten whenever one of its key or projected
 * attributes changes, so projecting only what never changes (or nothing) keeps it out of the item's later writes.
 */
export type IndexProjection =
  | { readonly type: 'ALL' }
  | { readonly type: 'KEYS_ONLY' }
  | { readonly type: 'INCLUDE'; readonly attributes: readonly string[] };

export interface IndexSchema {
  readonly indexName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey: KeyAttribute;
  readonly projection: IndexProjection;
}

export interface TableSchema {
  readonly partitionKey: KeyAttribute;
  readonly sortKey: KeyAttribute;
  /** Epoch seconds; DynamoDB deletes the item some time after. */
  readonly ttlAttribute: string;
  readonly indexes: readonly IndexSchema[];
}

/** The primary key of both tables. */
export const PK = 'pk';
export const SK = 'sk';
export const TTL = 'ttl';

/**
 * The business ids an event item carries as top-level string attributes (copied from `ids` when it is stored), so
 * a listing can filter on them in the tenant index without reading the items.
 */
export const EVENT_BUSINESS_IDS = ['commandId', 'clientId', 'loanId', 'savingsId'] as const;

/**
 * A tenant's events, newest first (admin listing, resend, find). Only attributes fixed at creation are projected:
 * the index item is written once per event, never by a status change.
 */
export const BY_TENANT_TIME = {
  indexName: 'byTenantTimeV2',
  partitionKey: { name: 'gsi1pk', type: 'S' },
  sortKey: { name: 'gsi1sk', type: 'S' },
  projection: {
    type: 'INCLUDE',
    attributes: ['tenantId', 'eventId', 'entity', 'action', 'receivedAt', ...EVENT_BUSINESS_IDS],
  },
} as const satisfies IndexSchema;

/**
 * Sparse list of events not yet final, sharded (`duePk`). The sweeper needs only which event is due: the ids are
 * projected (never the raw body), and it reads the item itself through its conditional update.
 */
export const BY_DUE = {
  indexName: 'byDueV2',
  partitionKey: { name: 'duePk', type: 'S' },
  sortKey: { name: 'dueAt', type: 'S' },
  projection: { type: 'INCLUDE', attributes: ['tenantId', 'eventId'] },
} as const satisfies IndexSchema;

/**
 * SMS message records by the keyed hash of their recipient's number (`events find --phone`): sparse (only message
 * records carry `phonePk`), newest first by `createdAt`. Keys only: the search reads the records it found.
 */
export const BY_PHONE = {
  indexName: 'byPhone',
  partitionKey: { name: 'phonePk', type: 'S' },
  sortKey: { name: 'createdAt', type: 'S' },
  projection: { type: 'KEYS_ONLY' },
} as const satisfies IndexSchema;

const primaryKey = {
  partitionKey: { name: PK, type: 'S' },
  sortKey: { name: SK, type: 'S' },
  ttlAttribute: TTL,
} as const;

export const TENANTS_TABLE: TableSchema = { ...primaryKey, indexes: [] };
export const EVENTS_TABLE: TableSchema = { ...primaryKey, indexes: [BY_TENANT_TIME, BY_DUE, BY_PHONE] };

/** Every attribute a key of the table or of one of its indexes uses, once each (CreateTable's AttributeDefinitions). */
export function keyAttributes(table: TableSchema): KeyAttribute[] {
  const all = [table.partitionKey, table.sortKey, ...table.indexes.flatMap((i) => [i.partitionKey, i.sortKey])];
  return all.filter((a, i) => all.findIndex((b) => b.name === a.name) === i);
}

/**
 * The attributes an index item holds: its keys, the table's keys and the projected ones; undefined for ALL (the
 * whole item).
 */
export function indexAttributes(table: TableSchema, index: IndexSchema): string[] | undefined {
  if (index.projection.type === 'ALL') return undefined;
  const keys = [index.partitionKey.name, index.sortKey.name, table.partitionKey.name, table.sortKey.name];
  return [...new Set([...keys, ...(index.projection.type === 'INCLUDE' ? index.projection.attributes : [])])];
}

// ---------------------------------------------------------------------------------------------------------------
// Tenants table keys

export const tenantPk = (tenantId: string): string => `T#${tenantId}`;
export const targetSk = (targetId: string): string => `TARGET#${targetId}`;

// ---------------------------------------------------------------------------------------------------------------
// Events table keys (layout v2)

/** The partition of one event's item collection: the event, its SMS message records, its forward deliveries. */
export const eventPk = (tenantId: string, eventId: string): string => `T#${tenantId}#E#${eventId}`;
export const EVENT_SK = 'EVENT';
export const MESSAGE_SK_PREFIX = 'M#';
export const FORWARD_SK_PREFIX = 'F#';
export const messageSk = (messageId: string): string => `${MESSAGE_SK_PREFIX}${messageId}`;
export const forwardSk = (deliveryId: string): string => `${FORWARD_SK_PREFIX}${deliveryId}`;
/** A provider's message id → ours: its own partition per id, so a tenant's sends do not share one key. */
export const providerIdPk = (tenantId: string, providerMessageId: string): string =>
  `T#${tenantId}#PID#${providerMessageId}`;
export const PROVIDER_ID_SK = 'PID';

/** byPhone's partition: the tenant and the keyed hash of a number (never the number). */
export const phonePk = (tenantId: string, phoneHash: string): string => `P#${tenantId}#${phoneHash}`;

/** A web console sign-in link or session, by the SHA-256 of its token (tenants table). */
export const consolePk = (tokenHash: string): string => `CONSOLE#${tokenHash}`;

/**
 * The event a message or delivery id belongs to (`{eventId}.…`; event ids never hold a dot). Only for callers that
 * have the id alone (a status callback, `get`): a record's own `eventId` field is the one to use when present.
 */
export function eventIdOfRecord(recordId: string): string {
  const dot = recordId.indexOf('.');
  return dot < 0 ? recordId : recordId.slice(0, dot);
}

/** FNV-1a of an event id: a stable, even spread over shards (no import: the CDK app loads this file). */
function shardOf(eventId: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < eventId.length; i++) {
    hash ^= eventId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % shards;
}

/**
 * byTenantTimeV2 spreads each tenant over `T#{tenant}#0`…`#3`, the shard chosen from the event id: one write per
 * event on a single value would cap one tenant at 1 000 events/s (DynamoDB's 1 000 WCU/s per partition), with no
 * margin. Four shards carry 4 000; a listing merges four newest-first queries.
 */
export const TENANT_TIME_SHARDS = 4;

export function tenantTimePk(tenantId: string, eventId: string): string {
  return `T#${tenantId}#${shardOf(eventId, TENANT_TIME_SHARDS)}`;
}

/** Every byTenantTimeV2 partition of one tenant. */
export function tenantTimePartitions(tenantId: string): string[] {
  return Array.from({ length: TENANT_TIME_SHARDS }, (_, i) => `T#${tenantId}#${i}`);
}

/** Newest first by arrival; the event id makes the key unique (and a listing cursor exact). */
export const tenantTimeSk = (receivedAt: string, eventId: string): string => `${receivedAt}#${eventId}`;

/**
 * byDueV2 is spread over `DUE#0`…`DUE#15`, the shard chosen from the event id: one event writes the due index
 * twice (stored, final; more when retried), so a single value would cap the deployment near 500 events/s.
 */
export const DUE_SHARDS = 16;

/** The due-index partition of one event. */
export function duePk(eventId: string): string {
  return `DUE#${shardOf(eventId, DUE_SHARDS)}`;
}

/** Every byDueV2 partition the sweeper reads. */
export function duePartitions(): string[] {
  return Array.from({ length: DUE_SHARDS }, (_, i) => `DUE#${i}`);
}
