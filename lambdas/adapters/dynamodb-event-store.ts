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
import { IN_FLIGHT_STATUSES, isClaimable, isFinal } from '../core/lifecycle';
import type { DueEvent, EventClaim, EventPage, EventSearch, EventStore, SearchPage } from '../core/ports';
import { type EventFilter, type EventHistoryEntry, SEARCH_ID_FIELDS, type StoredEvent } from '../core/model';
import type { DataProtection } from './data-protection';
import { isConditionFailed } from './dynamodb-client';
import {
  BY_DUE,
  BY_PHONE,
  BY_TENANT_TIME,
  duePartitions,
  duePk,
  EVENT_BUSINESS_IDS,
  EVENT_SK,
  eventPk,
  PK,
  phonePk,
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

/** Sorts before every receivedAt (ISO 8601): a search from here reads a tenant's whole history. */
const BEFORE_ANY_EVENT = '0';

/** Index items one search request reads at most before it answers with what it found (and a cursor). */
const SEARCH_READ_BUDGET = 1000;

export class DynamoDbEventStore implements EventStore, EventSearch {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly retentionDays = 90,
    /** Seals the raw body at rest; without it (tests of other concerns) bodies are stored as they came. */
    private readonly protection?: DataProtection,
  ) {}

  private async toItem(event: StoredEvent): Promise<Record<string, unknown>> {
    return toItem(event, this.protection && (await this.protection.keyring()));
  }

  private async fromItem(item: Record<string, unknown>): Promise<StoredEvent> {
    const sealed = item.rawBodySealed ?? item.rawBodyGzSealed;
    return fromItem(item, sealed !== undefined && this.protection ? await this.protection.keyring() : undefined);
  }

  async putIfAbsent(event: StoredEvent): Promise<'stored' | 'duplicate'> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: await this.toItem(event),
          ConditionExpression: `attribute_not_exists(${PK})`,
        }),
      );
      return 'stored';
    } catch (error) {
      if (isConditionFailed(error)) return 'duplicate';
      throw error;
    }
  }

  async get(tenantId: string, eventId: string, options?: { consistent?: boolean }): Promise<StoredEvent | undefined> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.table,
        Key: eventKey(tenantId, eventId),
        ConsistentRead: options?.consistent !== false,
      }),
    );
    return out.Item ? this.fromItem(out.Item) : undefined;
  }

  /**
   * Newest first across the tenant's byTenantTimeV2 shards: a search without a filter over the whole history, so
   * the listing and `events find` share one shard merge and one cursor. The cursor is the last index sort key handed
   * out, so the next page starts strictly after it.
   */
  async listByTenant(tenantId: string, options: { limit: number; cursor?: string }): Promise<EventPage> {
    return this.findByIds(tenantId, {}, { since: BEFORE_ANY_EVENT, limit: options.limit, cursor: options.cursor });
  }

  /**
   * The worker's claim as one UpdateItem returning the new item (no read before it). With `keepDueFrom` the claim
   * keeps a stored due time far enough ahead (the normal path: one write, no due-index write); a refused claim (a
   * redelivered final event, an early copy, a missing event, a due time too close) costs a read, to tell the worker
   * which, and only the last of those a second write that moves the due time.
   */
  async claim(
    tenantId: string,
    eventId: string,
    at: { updatedAt: string; dueAt: string; dueBy: string; keepDueFrom?: string },
  ): Promise<EventClaim> {
    if (at.keepDueFrom !== undefined) {
      const kept = await this.claimWrite(tenantId, eventId, at, at.keepDueFrom);
      if (kept) return { claimed: true, event: kept };
      const current = await this.get(tenantId, eventId);
      if (!current || !isClaimable(current, at.dueBy)) return { claimed: false, event: current };
    }
    const moved = await this.claimWrite(tenantId, eventId, at);
    if (moved) return { claimed: true, event: moved };
    return { claimed: false, event: await this.get(tenantId, eventId) };
  }

  /** The claim's UpdateItem: undefined when its condition did not hold. `keepDueFrom`: keep a due time at or after it. */
  private async claimWrite(
    tenantId: string,
    eventId: string,
    at: { updatedAt: string; dueAt: string; dueBy: string },
    keepDueFrom?: string,
  ): Promise<StoredEvent | undefined> {
    const statuses = Object.fromEntries(IN_FLIGHT_STATUSES.map((status, i) => [`:st${i}`, status]));
    const keep = keepDueFrom !== undefined;
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: eventKey(tenantId, eventId),
          UpdateExpression:
            `SET #status = :processing, #updatedAt = :at, ${keep ? '' : '#dueAt = :due, #duePk = :duePk, '}` +
            '#attempts = if_not_exists(#attempts, :zero) + :one, ' +
            // The story `events trace` tells: each claim opens an attempt.
            '#history = list_append(if_not_exists(#history, :noHistory), :historyEntry) REMOVE #ttl',
          ConditionExpression:
            `attribute_exists(${PK}) AND #status IN (${Object.keys(statuses).join(', ')}) AND ` +
            '(#status <> :retrying OR attribute_not_exists(#next) OR #next <= :dueBy)' +
            (keep ? ' AND #dueAt >= :keepDueFrom' : ''),
          ExpressionAttributeNames: {
            '#status': 'status',
            '#updatedAt': 'updatedAt',
            '#dueAt': DUE_AT_ATTR,
            ...(keep ? {} : { '#duePk': DUE_PK_ATTR }),
            '#attempts': 'attempts',
            '#ttl': TTL,
            '#next': 'nextAttemptAt',
            '#history': 'history',
          },
          ExpressionAttributeValues: {
            ...statuses,
            ':noHistory': [],
            ':historyEntry': [{ at: at.updatedAt, status: 'processing' } satisfies EventHistoryEntry],
            ':processing': 'processing',
            ':retrying': 'retrying',
            ':at': at.updatedAt,
            ...(keep ? { ':keepDueFrom': keepDueFrom } : { ':due': at.dueAt, ':duePk': duePk(eventId) }),
            ':dueBy': at.dueBy,
            ':zero': 0,
            ':one': 1,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return await this.fromItem(out.Attributes!);
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      return undefined;
    }
  }

  /**
   * byTenantTimeV2 from `since`, newest first, filtered on the business ids (top-level attributes written at
   * creation and projected into the index), then the page's events read whole (BatchGetItem). Each shard is read
   * newest first within its share of the read budget; a shard that spends it before `since` sets a floor, and the
   * page holds only matches above every floor, so the cursor (the last sort key handed out, or the floor) never
   * skips a match in a shard that was not read to the end.
   */
  async findByIds(tenantId: string, filter: EventFilter, page: SearchPage): Promise<EventPage> {
    const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor, tenantId);
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const conditions: string[] = [];
    for (const field of SEARCH_ID_FIELDS) {
      const value = filter[field];
      if (value === undefined) continue;
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      conditions.push(`#${field} = :${field}`);
    }
    const partitions = tenantTimePartitions(tenantId);
    const budget = Math.ceil(SEARCH_READ_BUDGET / partitions.length);
    const perShard = await Promise.all(
      partitions.map((partition) =>
        this.matchesIn(partition, { since: page.since, after, conditions, names, values }, page.limit + 1, budget),
      ),
    );
    const floors = perShard.flatMap((shard) => (shard.floor === undefined ? [] : [shard.floor]));
    // The highest floor (sort keys compare as strings): below it some shard was not read.
    const floor = floors.sort().at(-1);
    const merged = perShard
      .flatMap((shard) => shard.entries)
      .filter((entry) => floor === undefined || entry.sortKey > floor)
      .sort((a, b) => (a.sortKey < b.sortKey ? 1 : a.sortKey > b.sortKey ? -1 : 0));
    const found = merged.slice(0, page.limit);
    const last = found.at(-1);
    const full = merged.length > page.limit && last !== undefined;
    const nextCursor = full ? last.sortKey : floor;
    return {
      items: await this.batchGet(found.map((entry) => entry.key)),
      nextCursor: nextCursor === undefined ? undefined : encodeCursor(tenantId, nextCursor),
    };
  }

  /**
   * Matches of one byTenantTimeV2 shard between `since` and (strictly before) `after`, newest first: up to `want`,
   * reading at most `budget` index items; `floor` is the last sort key read when the budget ran out first.
   */
  private async matchesIn(
    partition: string,
    query: {
      since: string;
      after?: string;
      conditions: string[];
      names: Record<string, string>;
      values: Record<string, unknown>;
    },
    want: number,
    budget: number,
  ): Promise<{ entries: { sortKey: string; key: Record<string, unknown> }[]; floor?: string }> {
    const entries: { sortKey: string; key: Record<string, unknown> }[] = [];
    let start: Record<string, unknown> | undefined;
    let read = 0;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: BY_TENANT_TIME.indexName,
          // BETWEEN is inclusive: the `after` entry itself (already handed out) is dropped below.
          KeyConditionExpression:
            query.after === undefined ? '#p = :p AND #s >= :since' : '#p = :p AND #s BETWEEN :since AND :after',
          FilterExpression: query.conditions.length ? query.conditions.join(' AND ') : undefined,
          ExpressionAttributeNames: { '#p': GSI1_PK, '#s': GSI1_SK, ...query.names },
          ExpressionAttributeValues: {
            ':p': partition,
            ':since': query.since,
            ...(query.after === undefined ? {} : { ':after': query.after }),
            ...query.values,
          },
          ScanIndexForward: false,
          Limit: Math.min(200, budget - read),
          ExclusiveStartKey: start,
        }),
      );
      read += out.ScannedCount ?? out.Items?.length ?? 0;
      for (const item of out.Items ?? []) {
        const sortKey = String(item[GSI1_SK]);
        if (sortKey === query.after) continue;
        entries.push({ sortKey, key: { [PK]: item[PK], [SK]: item[SK] } });
        if (entries.length === want) return { entries };
      }
      start = out.LastEvaluatedKey;
    } while (start && read < budget);
    return { entries, floor: start ? String(start[GSI1_SK]) : undefined };
  }

  /** byPhone (keys only) → the message records' event ids → the events, newest message first. */
  async findByPhoneHash(tenantId: string, phoneHash: string, page: SearchPage): Promise<EventPage> {
    const partition = phonePk(tenantId, phoneHash);
    const found = await this.searchIndex(
      {
        IndexName: BY_PHONE.indexName,
        KeyConditionExpression: `${BY_PHONE.partitionKey.name} = :pk AND ${BY_PHONE.sortKey.name} >= :since`,
        ExpressionAttributeValues: { ':pk': partition, ':since': page.since },
      },
      [PK, SK, BY_PHONE.partitionKey.name, BY_PHONE.sortKey.name],
      partition,
      page,
    ).catch((error: unknown) => {
      // Local data made before byPhone existed: the embedded engine cannot add an index to a table.
      if (error instanceof Error && /specified index/i.test(error.message)) {
        throw new Error(
          `the events table has no ${BY_PHONE.indexName} index yet (local data older than it: start on a new DATA_DIR)`,
        );
      }
      throw error;
    });
    const messages = await this.batchGetRaw(found.keys, 'eventId, tenantId');
    const eventIds = [...new Set(messages.filter((m) => m.tenantId === tenantId).map((m) => String(m.eventId)))];
    const events = await this.batchGet(eventIds.map((id) => eventKey(tenantId, id)));
    return { items: events, nextCursor: found.nextCursor };
  }

  /**
   * Reads an index newest first until `limit` items matched or the read budget is spent. The cursor is the index
   * key of the last item returned (or of the last read, when the budget ran out first).
   */
  private async searchIndex(
    query: {
      IndexName: string;
      KeyConditionExpression: string;
      FilterExpression?: string;
      ExpressionAttributeNames?: Record<string, string>;
      ExpressionAttributeValues: Record<string, unknown>;
    },
    cursorNames: string[],
    partition: string,
    page: SearchPage,
  ): Promise<{ keys: Record<string, unknown>[]; nextCursor?: string }> {
    const keys: Record<string, unknown>[] = [];
    let start = page.cursor ? decodeSearchCursor(page.cursor, cursorNames, partition) : undefined;
    let read = 0;
    while (read < SEARCH_READ_BUDGET) {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          ...query,
          ScanIndexForward: false,
          Limit: Math.min(200, SEARCH_READ_BUDGET - read),
          ExclusiveStartKey: start,
        }),
      );
      read += out.ScannedCount ?? out.Items?.length ?? 0;
      for (const item of out.Items ?? []) {
        keys.push({ [PK]: item[PK], [SK]: item[SK] });
        if (keys.length === page.limit) {
          const last = Object.fromEntries(cursorNames.map((n) => [n, item[n]]));
          return { keys, nextCursor: encodeKeyCursor(last) };
        }
      }
      start = out.LastEvaluatedKey;
      if (!start) return { keys };
    }
    return { keys, nextCursor: start ? encodeKeyCursor(start) : undefined };
  }

  private async batchGet(keys: Record<string, unknown>[]): Promise<StoredEvent[]> {
    const items = await this.batchGetRaw(keys);
    const byKey = new Map(items.map((item) => [`${item[PK]}|${item[SK]}`, item]));
    // BatchGetItem answers in any order: back to the index's order, newest first.
    const ordered = keys.map((k) => byKey.get(`${k[PK]}|${k[SK]}`)).filter((i) => i !== undefined);
    return Promise.all(ordered.map((item) => this.fromItem(item)));
  }

  /** BatchGetItem in chunks of 100, re-asking for unprocessed keys. */
  private async batchGetRaw(keys: Record<string, unknown>[], projection?: string): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    const unique = [...new Map(keys.map((k) => [`${k[PK]}|${k[SK]}`, k])).values()];
    for (let i = 0; i < unique.length; i += BATCH_GET_MAX) {
      let pending: Record<string, unknown>[] = unique.slice(i, i + BATCH_GET_MAX);
      for (let round = 0; pending.length > 0; round++) {
        // A page must never silently miss events: keys still unprocessed after the last round are an error.
        if (round === BATCH_GET_ROUNDS) throw new Error(`BatchGetItem left ${pending.length} keys unprocessed`);
        if (round > 0) await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** (round - 1)));
        const answer = await this.doc.send(
          new BatchGetCommand({
            RequestItems: {
              [this.table]: { Keys: pending, ConsistentRead: true, ProjectionExpression: projection },
            },
          }),
        );
        out.push(...(answer.Responses?.[this.table] ?? []));
        pending = (answer.UnprocessedKeys?.[this.table]?.Keys ?? []) as Record<string, unknown>[];
      }
    }
    return out;
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
    if (patch.status !== undefined) {
      // The story `events trace` tells: every status change, when, and why.
      const entry: EventHistoryEntry = { at: patch.updatedAt ?? new Date().toISOString(), status: patch.status };
      if (patch.lastError !== undefined) entry.error = patch.lastError;
      names['#history'] = 'history';
      sets.push('#history = list_append(if_not_exists(#history, :noHistory), :historyEntry)');
      values[':noHistory'] = [];
      values[':historyEntry'] = [entry];
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
      return await this.fromItem(out.Attributes!);
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

/** Associated data of a sealed body: an envelope moved to another attribute does not open. */
const BODY_CONTEXT = 'event.rawBody';

/** The body sealed (personal data: it holds `mobileNo`), gzipped first when large; as received without a keyring. */
type Keyring = Awaited<ReturnType<DataProtection['keyring']>>;

function toItem(event: StoredEvent, keyring: Keyring | undefined): Record<string, unknown> {
  const { rawBody, ...rest } = event;
  const item: Record<string, unknown> = {
    ...eventKey(event.tenantId, event.eventId),
    [GSI1_PK]: tenantTimePk(event.tenantId, event.eventId),
    [GSI1_SK]: tenantTimeSk(event.receivedAt, event.eventId),
    ...businessIds(event),
    ...rest,
  };
  // The headers as sent, when they only repeat the upper-cased names (they nearly always do): fromItem restores them.
  if (event.entityRaw === event.entity) delete item.entityRaw;
  if (event.actionRaw === event.action) delete item.actionRaw;
  if (event.dueAt) item[DUE_PK_ATTR] = duePk(event.eventId);
  const large = Buffer.byteLength(rawBody) > COMPRESS_ABOVE;
  const body = large ? gzipSync(rawBody) : undefined;
  if (body && body.length > MAX_STORED_BODY) throw new PayloadTooLargeError(MAX_STORED_BODY);
  // A typical body is a few hundred bytes: compressed with the hook-body dictionary (when that makes it smaller),
  // the event item stays under 1 KB, one write unit for each of its writes instead of two.
  if (keyring) {
    item[large ? 'rawBodyGzSealed' : 'rawBodySealed'] = large
      ? keyring.seal(body!, BODY_CONTEXT)
      : keyring.seal(rawBody, BODY_CONTEXT, 'deflate-hook-body-v1');
  } else if (body) item.rawBodyGz = body;
  else item.rawBody = rawBody;
  return item;
}

/**
 * The business ids as top-level strings, fixed at creation and projected into byTenantTimeV2 for listings that
 * filter on them (`events find`); `ids` keeps the values as received.
 */
function businessIds(event: StoredEvent): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of EVENT_BUSINESS_IDS) {
    const value = event.ids?.[name];
    if (value !== undefined && value !== null && value !== '') out[name] = String(value);
  }
  return out;
}

const LAYOUT_ATTRIBUTES = new Set<string>([PK, SK, GSI1_PK, GSI1_SK, DUE_PK_ATTR, TTL, ...EVENT_BUSINESS_IDS]);

function fromItem(item: Record<string, unknown>, keyring: Keyring | undefined): StoredEvent {
  const { rawBodyGz, rawBody, rawBodySealed, rawBodyGzSealed, ...all } = item;
  const rest = Object.fromEntries(Object.entries(all).filter(([name]) => !LAYOUT_ATTRIBUTES.has(name)));
  let body = '';
  if (rawBodySealed instanceof Uint8Array || rawBodyGzSealed instanceof Uint8Array) {
    if (!keyring) throw new Error('a sealed event body and no data key to open it');
    body =
      rawBodySealed instanceof Uint8Array
        ? keyring.open(rawBodySealed, BODY_CONTEXT).toString('utf8')
        : gunzipSync(keyring.open(rawBodyGzSealed as Uint8Array, BODY_CONTEXT)).toString('utf8');
  } else if (rawBodyGz instanceof Uint8Array) body = gunzipSync(rawBodyGz).toString('utf8');
  else if (typeof rawBody === 'string') body = rawBody;
  const event = rest as Omit<StoredEvent, 'rawBody'>;
  return {
    ...event,
    entityRaw: event.entityRaw ?? event.entity,
    actionRaw: event.actionRaw ?? event.action,
    rawBody: body,
  };
}

/** The tenant it belongs to and the last index sort key handed out; opaque to callers. */
function encodeCursor(tenantId: string, sortKey: string): string {
  return Buffer.from(JSON.stringify({ t: tenantId, after: sortKey })).toString('base64url');
}

/** A phone search's cursor: the index key it stopped at. */
function encodeKeyCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** A search cursor: exactly the index key names, all strings, in the searched partition. */
function decodeSearchCursor(cursor: string, names: string[], partition: string): Record<string, unknown> {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError();
  }
  const k = key as Record<string, unknown> | null;
  const valid =
    k !== null &&
    typeof k === 'object' &&
    !Array.isArray(k) &&
    Object.keys(k).length === names.length &&
    names.every((n) => typeof k[n] === 'string') &&
    k[names[2]!] === partition;
  if (!valid) throw new InvalidCursorError();
  return k;
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
