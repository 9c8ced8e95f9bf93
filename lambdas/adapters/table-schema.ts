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
 *
 * Events table (pk, sk):
 *   T#{tenant}   E#{eventId}     the event; byTenantTime lists a tenant's events newest first; byDue (sparse, only
 *                                while not final) is the sweeper's work list; ttl once final
 *   T#{tenant}   M#{messageId}   an SMS message record, messageId = {eventId}.{ENTITY.ACTION}
 *   T#{tenant}   F#{deliveryId}  a forward delivery record, deliveryId = {eventId}.F.{targetId}
 *   T#{tenant}   PID#{providerId} which message a provider's message id is (Africa's Talking reports carry only
 *                                theirs); ttl as the message record's
 */

export type KeyAttributeType = 'S' | 'N' | 'B';

export interface KeyAttribute {
  readonly name: string;
  readonly type: KeyAttributeType;
}

export interface IndexSchema {
  readonly indexName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey: KeyAttribute;
  /** ALL everywhere: the readers of both indexes use the whole item and a second read would cost a round trip. */
  readonly projection: 'ALL';
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

/** A tenant's events, newest first (admin listing, resend). */
export const BY_TENANT_TIME = {
  indexName: 'byTenantTime',
  partitionKey: { name: 'gsi1pk', type: 'S' },
  sortKey: { name: 'gsi1sk', type: 'S' },
  projection: 'ALL',
} as const satisfies IndexSchema;

/** Sparse list of events not yet final, sharded (`duePk`): the sweeper re-enqueues straight from the index item. */
export const BY_DUE = {
  indexName: 'byDue',
  partitionKey: { name: 'duePk', type: 'S' },
  sortKey: { name: 'dueAt', type: 'S' },
  projection: 'ALL',
} as const satisfies IndexSchema;

const primaryKey = {
  partitionKey: { name: PK, type: 'S' },
  sortKey: { name: SK, type: 'S' },
  ttlAttribute: TTL,
} as const;

export const TENANTS_TABLE: TableSchema = { ...primaryKey, indexes: [] };
export const EVENTS_TABLE: TableSchema = { ...primaryKey, indexes: [BY_TENANT_TIME, BY_DUE] };

/** Every attribute a key of the table or of one of its indexes uses, once each (CreateTable's AttributeDefinitions). */
export function keyAttributes(table: TableSchema): KeyAttribute[] {
  const all = [table.partitionKey, table.sortKey, ...table.indexes.flatMap((i) => [i.partitionKey, i.sortKey])];
  return all.filter((a, i) => all.findIndex((b) => b.name === a.name) === i);
}

export const tenantPk = (tenantId: string): string => `T#${tenantId}`;
export const eventSk = (eventId: string): string => `E#${eventId}`;
export const messageSk = (messageId: string): string => `M#${messageId}`;
export const forwardSk = (deliveryId: string): string => `F#${deliveryId}`;
export const providerIdSk = (providerMessageId: string): string => `PID#${providerMessageId}`;
export const targetSk = (targetId: string): string => `TARGET#${targetId}`;
/**
 * byDue's partition before it was sharded: items written then still carry it, so the sweeper reads it too (and it
 * empties as those events finish).
 */
export const DUE_PK = 'DUE';

/**
 * byDue is spread over `DUE#0`…`DUE#15`, the shard chosen from the event id: one partition value took every
 * in-flight event's index writes, about 1 000 WCU/s at most, whatever the table's capacity.
 */
export const DUE_SHARDS = 16;

/** The due-index partition of one event (FNV-1a of its id: no import, the CDK app loads this file). */
export function duePk(eventId: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < eventId.length; i++) {
    hash ^= eventId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `DUE#${hash % DUE_SHARDS}`;
}

/** Every byDue partition the sweeper reads: the shards, and the pre-shard one. */
export function duePartitions(): string[] {
  return [DUE_PK, ...Array.from({ length: DUE_SHARDS }, (_, i) => `DUE#${i}`)];
}
