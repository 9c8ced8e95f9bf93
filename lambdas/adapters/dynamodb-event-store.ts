import { gunzipSync, gzipSync } from 'node:zlib';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { ConditionFailedError, InvalidCursorError, PayloadTooLargeError } from '../core/errors';
import { IN_FLIGHT_STATUSES, isFinal } from '../core/lifecycle';
import type { DueEvent, EventClaim, EventPage, EventStore } from '../core/ports';
import type { StoredEvent } from '../core/model';
import { isConditionFailed } from './dynamodb-client';
import {
  BY_DUE,
  BY_TENANT_TIME,
  duePartitions,
  duePk,
  EVENT_BUSINESS_IDS,
  EVENT_SK,
  eventPk,
  PK,
  SK,
  TTL,
  tenantTimePartitions,
  tenantTimePk,
  tenantTimeSk,
} from './table-schema';

/**
 * The event items of the events table (layout v2 in table-schema.ts); its message records are
 * DynamoDbMessageStore's.
 */
const GSI1_PK = BY_TENANT_TIME.partitionKey.name;
const GSI1_SK = BY_TENANT_TIME.sortKey.name;
const DUE_PK_ATTR = BY_DUE.partitionKey.name;
const DUE_AT_ATTR = BY_DUE.sortKey.name;
/** Bodies above this are stored gzipped: hook envelopes compress ~10x and items are capped at 400 KB. */
const COMPRESS_ABOVE = 32 * 1024;
const MAX_STORED_BODY = 350 * 1024;
/** BatchGetItem takes at most 100 keys. */
const BATCH_GET_MAX = 100;
/** Rounds for keys BatchGetItem leaves unprocessed (throttling); the delay doubles from 25 ms. */
const BATCH_GET_ROUNDS = 6;

export class DynamoDbEventStore implements EventStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly retentionDays = 90,
  ) {}

  async putIfAbsent(event: StoredEvent): Promise<'stored' | 'duplicate'> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: toItem(event),
          ConditionExpression: `attribute_not_exists(${PK})`,
        }),
      );
      return 'stored';
    } catch (error) {
      if (isConditionFailed(error)) return 'duplicate';
      throw error;
    }
  }

  async get(tenantId: string, eventId: string): Promise<StoredEvent | undefined> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.table,
        Key: eventKey(tenantId, eventId),
        ConsistentRead: true,
      }),
    );
    return out.Item ? fromItem(out.Item) : undefined;
  }

  /**
   * Newest first across the tenant's byTenantTimeV2 shards: each shard is read newest first from the cursor on, the
   * merge keeps the `limit` newest, and their items (status and the rest are not in the index) come from the table in
   * one BatchGetItem. The cursor is the last index sort key handed out, so the next page starts strictly after it.
   */
  async listByTenant(tenantId: string, options: { limit: number; cursor?: string }): Promise<EventPage> {
    const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor, tenantId);
    const perShard = await Promise.all(
      tenantTimePartitions(tenantId).map((partition) => this.newestIn(partition, options.limit + 1, after)),
    );
    const merged = perShard.flat().sort((a, b) => (a.sortKey < b.sortKey ? 1 : a.sortKey > b.sortKey ? -1 : 0));
    const page = merged.slice(0, options.limit);
    const items = await this.batchGet(page.map((entry) => entry.key));
    const last = page.at(-1);
    return {
      // An index entry whose item is gone (expired, not yet dropped from the index) is skipped.
      items: page.flatMap((entry) => {
        const item = items.get(String(entry.key[PK]));
        return item ? [fromItem(item)] : [];
      }),
      nextCursor: merged.length > options.limit && last ? encodeCursor(tenantId, last.sortKey) : undefined,
    };
  }

  /** Up to `want` index entries of one shard, newest first, strictly older than `after`. */
  private async newestIn(
    partition: string,
    want: number,
    after: string | undefined,
  ): Promise<{ sortKey: string; key: Record<string, unknown> }[]> {
    const entries: { sortKey: string; key: Record<string, unknown> }[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: BY_TENANT_TIME.indexName,
          KeyConditionExpression: after === undefined ? '#p = :p' : '#p = :p AND #s < :after',
          ExpressionAttributeNames: { '#p': GSI1_PK, ...(after === undefined ? {} : { '#s': GSI1_SK }) },
          ExpressionAttributeValues: { ':p': partition, ...(after === undefined ? {} : { ':after': after }) },
          ProjectionExpression: `${PK}, ${SK}, ${GSI1_SK}`,
          ScanIndexForward: false,
          Limit: want - entries.length,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) {
        entries.push({ sortKey: String(item[GSI1_SK]), key: { [PK]: item[PK], [SK]: item[SK] } });
      }
      start = out.LastEvaluatedKey;
    } while (start && entries.length < want);
    return entries;
  }

  /** The items of these keys, by partition key; keys left unprocessed (throttled) are asked again with backoff. */
  private async batchGet(keys: Record<string, unknown>[]): Promise<Map<string, Record<string, unknown>>> {
    const found = new Map<string, Record<string, unknown>>();
    for (let i = 0; i < keys.length; i += BATCH_GET_MAX) {
      let pending: Record<string, unknown>[] = keys.slice(i, i + BATCH_GET_MAX);
      for (let round = 0; pending.length > 0; round++) {
        if (round === BATCH_GET_ROUNDS) throw new Error(`BatchGetItem left ${pending.length} keys unprocessed`);
        if (round > 0) await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** (round - 1)));
        const out = await this.doc.send(new BatchGetCommand({ RequestItems: { [this.table]: { Keys: pending } } }));
        for (const item of out.Responses?.[this.table] ?? []) found.set(String(item[PK]), item);
        pending = (out.UnprocessedKeys?.[this.table]?.Keys ?? []) as Record<string, unknown>[];
      }
    }
    return found;
  }

  /**
   * The worker's claim as one UpdateItem returning the new item (no read before it). Only a refused claim (a
   * redelivered final event, an early copy, a missing event) costs a read, to tell the worker which.
   */
  async claim(
    tenantId: string,
    eventId: string,
    at: { updatedAt: string; dueAt: string; dueBy: string },
  ): Promise<EventClaim> {
    const statuses = Object.fromEntries(IN_FLIGHT_STATUSES.map((status, i) => [`:st${i}`, status]));
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: eventKey(tenantId, eventId),
          UpdateExpression:
            'SET #status = :processing, #updatedAt = :at, #dueAt = :due, #duePk = :duePk, ' +
            '#attempts = if_not_exists(#attempts, :zero) + :one REMOVE #ttl',
          ConditionExpression:
            `attribute_exists(${PK}) AND #status IN (${Object.keys(statuses).join(', ')}) AND ` +
            '(#status <> :retrying OR attribute_not_exists(#next) OR #next <= :dueBy)',
          ExpressionAttributeNames: {
            '#status': 'status',
            '#updatedAt': 'updatedAt',
            '#dueAt': DUE_AT_ATTR,
            '#duePk': DUE_PK_ATTR,
            '#attempts': 'attempts',
            '#ttl': TTL,
            '#next': 'nextAttemptAt',
          },
          ExpressionAttributeValues: {
            ...statuses,
            ':processing': 'processing',
            ':retrying': 'retrying',
            ':at': at.updatedAt,
            ':due': at.dueAt,
            ':duePk': duePk(eventId),
            ':dueBy': at.dueBy,
            ':zero': 0,
            ':one': 1,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { claimed: true, event: fromItem(out.Attributes!) };
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      return { claimed: false, event: await this.get(tenantId, eventId) };
    }
  }

  async addSmsChannel(
    tenantId: string,
    eventId: string,
    seen: StoredEvent['status'],
    at: string,
    reopen?: { dueAt: string },
  ): Promise<boolean> {
    const names: Record<string, string> = { '#sms': 'sms', '#status': 'status', '#updatedAt': 'updatedAt' };
    const values: Record<string, unknown> = { ':true': true, ':seen': seen, ':at': at };
    const sets = ['#sms = :true', '#updatedAt = :at'];
    const removes: string[] = [];
    if (reopen) {
      Object.assign(names, {
        '#dueAt': DUE_AT_ATTR,
        '#duePk': DUE_PK_ATTR,
        '#attempts': 'attempts',
        '#ttl': TTL,
        '#next': 'nextAttemptAt',
      });
      Object.assign(values, { ':received': 'received', ':due': reopen.dueAt, ':duePk': duePk(eventId), ':zero': 0 });
      sets.push('#status = :received', '#dueAt = :due', '#duePk = :duePk', '#attempts = :zero');
      removes.push('#ttl', '#next');
    }
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: eventKey(tenantId, eventId),
          UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression: `attribute_exists(${PK}) AND attribute_not_exists(#sms) AND #status = :seen`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  async update(
    tenantId: string,
    eventId: string,
    patch: Partial<Pick<StoredEvent, 'status' | 'lastError' | 'nextAttemptAt' | 'dueAt' | 'outcome' | 'updatedAt'>>,
    options: {
      incrementAttempts?: boolean;
      resetAttempts?: boolean;
      removeDue?: boolean;
      ifStatusIn?: StoredEvent['status'][];
    } = {},
  ): Promise<StoredEvent> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const sets: string[] = [];
    const removes: string[] = [];
    const final = patch.status !== undefined && isFinal(patch.status);
    // A final event leaves the sweeper's index; an in-flight one gets (or keeps) its place in it.
    const dropDue = options.removeDue || final;
    for (const [key, value] of Object.entries(patch)) {
      if (key === DUE_AT_ATTR && dropDue) continue;
      names[`#${key}`] = key;
      if (value === undefined) removes.push(`#${key}`);
      else {
        sets.push(`#${key} = :${key}`);
        values[`:${key}`] = value;
      }
    }
    names['#duePk'] = DUE_PK_ATTR;
    if (dropDue) {
      names['#dueAt'] = DUE_AT_ATTR;
      removes.push('#duePk', '#dueAt');
    } else if (patch.dueAt !== undefined) {
      sets.push('#duePk = :duePk');
      values[':duePk'] = duePk(eventId);
    } else {
      delete names['#duePk'];
    }
    names['#ttl'] = TTL;
    if (final) {
      sets.push('#ttl = :ttl');
      values[':ttl'] = Math.floor(Date.now() / 1000) + this.retentionDays * 86400;
    } else if (patch.status !== undefined) {
      removes.push('#ttl');
    } else {
      delete names['#ttl'];
    }
    if (options.incrementAttempts) {
      names['#attempts'] = 'attempts';
      sets.push('#attempts = if_not_exists(#attempts, :zero) + :one');
      values[':zero'] = 0;
      values[':one'] = 1;
    } else if (options.resetAttempts) {
      names['#attempts'] = 'attempts';
      sets.push('#attempts = :zero');
      values[':zero'] = 0;
    }
    let condition = `attribute_exists(${PK})`;
    if (options.ifStatusIn && options.ifStatusIn.length > 0) {
      names['#status'] = 'status';
      const keys = options.ifStatusIn.map((s, i) => {
        values[`:st${i}`] = s;
        return `:st${i}`;
      });
      condition += ` AND #status IN (${keys.join(', ')})`;
    }
    const expression = [
      sets.length ? `SET ${sets.join(', ')}` : '',
      removes.length ? `REMOVE ${removes.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join(' ');
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: eventKey(tenantId, eventId),
          UpdateExpression: expression,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: Object.keys(values).length ? values : undefined,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return fromItem(out.Attributes!);
    } catch (error) {
      if (isConditionFailed(error)) throw new ConditionFailedError(`event ${eventId} is not in an expected state`);
      throw error;
    }
  }

  /**
   * Every event still in flight, read from the table itself (a Scan of the keys and status only). The local
   * start-up recovery uses it: the embedded engine writes an item and its index entries separately, so after a
   * kill -9 the due index may miss an event the table holds. Not for AWS, where a Scan of the table would be costly
   * and DynamoDB keeps its indexes whole.
   */
  async scanInFlight(): Promise<Pick<StoredEvent, 'tenantId' | 'eventId'>[]> {
    const out: Pick<StoredEvent, 'tenantId' | 'eventId'>[] = [];
    let start: Record<string, unknown> | undefined;
    const statuses = Object.fromEntries(IN_FLIGHT_STATUSES.map((status, i) => [`:s${i}`, status]));
    do {
      const page = await this.doc.send(
        new ScanCommand({
          TableName: this.table,
          FilterExpression: `${SK} = :e AND #status IN (${Object.keys(statuses).join(', ')})`,
          ProjectionExpression: 'tenantId, eventId',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':e': EVENT_SK, ...statuses },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) out.push({ tenantId: String(item.tenantId), eventId: String(item.eventId) });
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }

  /** The due entries of every byDueV2 shard, merged oldest due first: ids and due time only (the index projects no more). */
  async listDue(before: string, limit: number): Promise<DueEvent[]> {
    const perShard = await Promise.all(duePartitions().map((partition) => this.listDueIn(partition, before, limit)));
    return perShard
      .flat()
      .sort((a, b) => (a.dueAt ?? '').localeCompare(b.dueAt ?? ''))
      .slice(0, limit);
  }

  private async listDueIn(partition: string, before: string, limit: number): Promise<DueEvent[]> {
    const items: DueEvent[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: BY_DUE.indexName,
          KeyConditionExpression: `${DUE_PK_ATTR} = :d AND ${DUE_AT_ATTR} <= :b`,
          ExpressionAttributeValues: { ':d': partition, ':b': before },
          Limit: Math.min(limit - items.length, 100),
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) {
        items.push({
          tenantId: String(item.tenantId),
          eventId: String(item.eventId),
          dueAt: String(item[DUE_AT_ATTR]),
        });
      }
      start = out.LastEvaluatedKey;
    } while (start && items.length < limit);
    return items;
  }
}

const eventKey = (tenantId: string, eventId: string): Record<string, string> => ({
  [PK]: eventPk(tenantId, eventId),
  [SK]: EVENT_SK,
});

function toItem(event: StoredEvent): Record<string, unknown> {
  const { rawBody, ...rest } = event;
  const item: Record<string, unknown> = {
    ...eventKey(event.tenantId, event.eventId),
    [GSI1_PK]: tenantTimePk(event.tenantId, event.eventId),
    [GSI1_SK]: tenantTimeSk(event.receivedAt, event.eventId),
    ...businessIds(event),
    ...rest,
  };
  if (event.dueAt) item[DUE_PK_ATTR] = duePk(event.eventId);
  if (Buffer.byteLength(rawBody) > COMPRESS_ABOVE) {
    const gz = gzipSync(rawBody);
    if (gz.length > MAX_STORED_BODY) throw new PayloadTooLargeError(MAX_STORED_BODY);
    item.rawBodyGz = gz;
  } else {
    item.rawBody = rawBody;
  }
  return item;
}

/**
 * The business ids as top-level strings, fixed at creation and projected into byTenantTimeV2 for listings that
 * filter on them; `ids` keeps the values as received.
 */
function businessIds(event: StoredEvent): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of EVENT_BUSINESS_IDS) {
    const value = event.ids[name];
    if (value !== undefined && value !== null && value !== '') out[name] = String(value);
  }
  return out;
}

const LAYOUT_ATTRIBUTES = new Set<string>([PK, SK, GSI1_PK, GSI1_SK, DUE_PK_ATTR, TTL, ...EVENT_BUSINESS_IDS]);

function fromItem(item: Record<string, unknown>): StoredEvent {
  const { rawBodyGz, rawBody, ...all } = item;
  const rest = Object.fromEntries(Object.entries(all).filter(([name]) => !LAYOUT_ATTRIBUTES.has(name)));
  const body =
    rawBodyGz instanceof Uint8Array
      ? gunzipSync(rawBodyGz).toString('utf8')
      : typeof rawBody === 'string'
        ? rawBody
        : '';
  return { ...(rest as Omit<StoredEvent, 'rawBody'>), rawBody: body };
}

/** The tenant it belongs to and the last index sort key handed out; opaque to callers. */
function encodeCursor(tenantId: string, sortKey: string): string {
  return Buffer.from(JSON.stringify({ t: tenantId, after: sortKey })).toString('base64url');
}

/**
 * Only a cursor this listing could have produced, for this tenant: anything else is refused (as a 400), never
 * passed on to DynamoDB. Returns the sort key to continue after.
 */
function decodeCursor(cursor: string, tenantId: string): string {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError();
  }
  const k = decoded as Record<string, unknown> | null;
  const valid =
    k !== null &&
    typeof k === 'object' &&
    !Array.isArray(k) &&
    Object.keys(k).length === 2 &&
    k.t === tenantId &&
    typeof k.after === 'string' &&
    k.after.length > 0 &&
    k.after.length <= 512;
  if (!valid) throw new InvalidCursorError();
  return k.after as string;
}
