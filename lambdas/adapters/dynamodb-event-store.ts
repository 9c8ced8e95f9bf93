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
import type { EventPage, EventSearch, EventStore, SearchPage } from '../core/ports';
import { type EventFilter, type EventHistoryEntry, SEARCH_ID_FIELDS, type StoredEvent } from '../core/model';
import type { DataProtection } from './data-protection';
import { isConditionFailed } from './dynamodb-client';
import {
  BY_DUE,
  BY_PHONE,
  BY_TENANT_TIME,
  duePartitions,
  duePk,
  eventSk,
  PK,
  phonePk,
  SK,
  TTL,
  tenantPk,
} from './table-schema';

/** The event items of the events table (layout in table-schema.ts); its message records are DynamoDbMessageStore's. */
const GSI1_PK = BY_TENANT_TIME.partitionKey.name;
const GSI1_SK = BY_TENANT_TIME.sortKey.name;
const DUE_PK_ATTR = BY_DUE.partitionKey.name;
const DUE_AT_ATTR = BY_DUE.sortKey.name;
/** Bodies above this are stored gzipped: hook envelopes compress ~10x and items are capped at 400 KB. */
const COMPRESS_ABOVE = 32 * 1024;
const MAX_STORED_BODY = 350 * 1024;

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

  async get(tenantId: string, eventId: string): Promise<StoredEvent | undefined> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.table,
        Key: { [PK]: tenantPk(tenantId), [SK]: eventSk(eventId) },
        ConsistentRead: true,
      }),
    );
    return out.Item ? this.fromItem(out.Item) : undefined;
  }

  async listByTenant(tenantId: string, options: { limit: number; cursor?: string }): Promise<EventPage> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: BY_TENANT_TIME.indexName,
        KeyConditionExpression: `${GSI1_PK} = :pk`,
        ExpressionAttributeValues: { ':pk': tenantPk(tenantId) },
        ScanIndexForward: false,
        Limit: options.limit,
        ExclusiveStartKey: options.cursor ? decodeCursor(options.cursor, tenantPk(tenantId)) : undefined,
      }),
    );
    return {
      items: await Promise.all((out.Items ?? []).map((item) => this.fromItem(item))),
      nextCursor: out.LastEvaluatedKey ? encodeCursor(out.LastEvaluatedKey) : undefined,
    };
  }

  /**
   * byTenantTime from `since`, newest first, filtered on the business ids (top-level attributes written at
   * creation, projected into the index), then the page's events read whole (BatchGetItem). The filter reads only
   * keys and those ids, so it works whatever else the index projects.
   */
  async findByIds(tenantId: string, filter: EventFilter, page: SearchPage): Promise<EventPage> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':pk': tenantPk(tenantId), ':since': page.since };
    const conditions: string[] = [];
    for (const field of SEARCH_ID_FIELDS) {
      const value = filter[field];
      if (value === undefined) continue;
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      conditions.push(`#${field} = :${field}`);
    }
    const found = await this.searchIndex(
      {
        IndexName: BY_TENANT_TIME.indexName,
        KeyConditionExpression: `${GSI1_PK} = :pk AND ${GSI1_SK} >= :since`,
        FilterExpression: conditions.length ? conditions.join(' AND ') : undefined,
        ExpressionAttributeNames: conditions.length ? names : undefined,
        ExpressionAttributeValues: values,
      },
      [PK, SK, GSI1_PK, GSI1_SK],
      tenantPk(tenantId),
      page,
    );
    const events = await this.batchGet(found.keys);
    return { items: events, nextCursor: found.nextCursor };
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
    const events = await this.batchGet(eventIds.map((id) => ({ [PK]: tenantPk(tenantId), [SK]: eventSk(id) })));
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
          return { keys, nextCursor: encodeCursor(last) };
        }
      }
      start = out.LastEvaluatedKey;
      if (!start) return { keys };
    }
    return { keys, nextCursor: start ? encodeCursor(start) : undefined };
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
    for (let i = 0; i < unique.length; i += 100) {
      let request: Record<string, unknown>[] | undefined = unique.slice(i, i + 100);
      for (let round = 0; request?.length && round < 10; round++) {
        if (round > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** round));
        const answer = await this.doc.send(
          new BatchGetCommand({
            RequestItems: {
              [this.table]: { Keys: request, ConsistentRead: true, ProjectionExpression: projection },
            },
          }),
        );
        out.push(...(answer.Responses?.[this.table] ?? []));
        request = answer.UnprocessedKeys?.[this.table]?.Keys as Record<string, unknown>[] | undefined;
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
          Key: { [PK]: tenantPk(tenantId), [SK]: eventSk(eventId) },
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
          Key: { [PK]: tenantPk(tenantId), [SK]: eventSk(eventId) },
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
          FilterExpression: `begins_with(${SK}, :e) AND #status IN (${Object.keys(statuses).join(', ')})`,
          ProjectionExpression: 'tenantId, eventId',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':e': 'E#', ...statuses },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) out.push({ tenantId: String(item.tenantId), eventId: String(item.eventId) });
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }

  /** The due entries of every byDue partition, merged oldest due first. */
  async listDue(before: string, limit: number): Promise<StoredEvent[]> {
    const perShard = await Promise.all(duePartitions().map((partition) => this.listDueIn(partition, before, limit)));
    return perShard
      .flat()
      .sort((a, b) => (a.dueAt ?? '').localeCompare(b.dueAt ?? ''))
      .slice(0, limit);
  }

  private async listDueIn(partition: string, before: string, limit: number): Promise<StoredEvent[]> {
    const items: StoredEvent[] = [];
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
      for (const item of out.Items ?? []) items.push(await this.fromItem(item));
      start = out.LastEvaluatedKey;
    } while (start && items.length < limit);
    return items;
  }
}

/** Associated data of a sealed body: an envelope moved to another attribute does not open. */
const BODY_CONTEXT = 'event.rawBody';

/** The body sealed (personal data: it holds `mobileNo`), gzipped first when large; as received without a keyring. */
type Keyring = Awaited<ReturnType<DataProtection['keyring']>>;

function toItem(event: StoredEvent, keyring: Keyring | undefined): Record<string, unknown> {
  const { rawBody, ...rest } = event;
  const item: Record<string, unknown> = {
    [PK]: tenantPk(event.tenantId),
    [SK]: eventSk(event.eventId),
    [GSI1_PK]: tenantPk(event.tenantId),
    [GSI1_SK]: `${event.receivedAt}#${event.eventId}`,
    ...rest,
  };
  // The business ids `events find` filters on, as top-level strings (a filter compares types too).
  for (const field of SEARCH_ID_FIELDS) {
    const value = event.ids?.[field];
    if (value !== undefined && value !== null && String(value) !== '') item[field] = String(value);
  }
  if (event.dueAt) item[DUE_PK_ATTR] = duePk(event.eventId);
  const large = Buffer.byteLength(rawBody) > COMPRESS_ABOVE;
  const body = large ? gzipSync(rawBody) : undefined;
  if (body && body.length > MAX_STORED_BODY) throw new PayloadTooLargeError(MAX_STORED_BODY);
  if (keyring) item[large ? 'rawBodyGzSealed' : 'rawBodySealed'] = keyring.seal(body ?? rawBody, BODY_CONTEXT);
  else if (body) item.rawBodyGz = body;
  else item.rawBody = rawBody;
  return item;
}

function fromItem(item: Record<string, unknown>, keyring: Keyring | undefined): StoredEvent {
  const {
    [PK]: _pk,
    [SK]: _sk,
    [GSI1_PK]: _g1,
    [GSI1_SK]: _g2,
    [DUE_PK_ATTR]: _d,
    [TTL]: _t,
    clientId: _c,
    loanId: _l,
    savingsId: _s,
    commandId: _cmd,
    rawBodyGz,
    rawBody,
    rawBodySealed,
    rawBodyGzSealed,
    ...rest
  } = item;
  let body = '';
  if (rawBodySealed instanceof Uint8Array || rawBodyGzSealed instanceof Uint8Array) {
    if (!keyring) throw new Error('a sealed event body and no data key to open it');
    body =
      rawBodySealed instanceof Uint8Array
        ? keyring.open(rawBodySealed, BODY_CONTEXT).toString('utf8')
        : gunzipSync(keyring.open(rawBodyGzSealed as Uint8Array, BODY_CONTEXT)).toString('utf8');
  } else if (rawBodyGz instanceof Uint8Array) body = gunzipSync(rawBodyGz).toString('utf8');
  else if (typeof rawBody === 'string') body = rawBody;
  return { ...(rest as Omit<StoredEvent, 'rawBody'>), rawBody: body };
}

function encodeCursor(key: Record<string, unknown>): string {
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

/** Only a cursor this query could have produced: anything else would be a DynamoDB ValidationException (a 500). */
function decodeCursor(cursor: string, pk: string): Record<string, unknown> {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError();
  }
  const k = key as Record<string, unknown> | null;
  const names = [PK, SK, GSI1_PK, GSI1_SK];
  const valid =
    k !== null &&
    typeof k === 'object' &&
    !Array.isArray(k) &&
    Object.keys(k).length === names.length &&
    names.every((n) => typeof k[n] === 'string') &&
    k[PK] === pk &&
    k[GSI1_PK] === pk;
  if (!valid) throw new InvalidCursorError();
  return k;
}
