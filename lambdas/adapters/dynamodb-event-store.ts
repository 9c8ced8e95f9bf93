import { gunzipSync, gzipSync } from 'node:zlib';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { ConditionFailedError, InvalidCursorError, PayloadTooLargeError } from '../core/errors';
import { IN_FLIGHT_STATUSES, isFinal } from '../core/lifecycle';
import type { EventClaim, EventPage, EventStore } from '../core/ports';
import type { StoredEvent } from '../core/model';
import { isConditionFailed } from './dynamodb-client';
import { BY_DUE, BY_TENANT_TIME, duePartitions, duePk, eventSk, PK, SK, TTL, tenantPk } from './table-schema';

/** The event items of the events table (layout in table-schema.ts); its message records are DynamoDbMessageStore's. */
const GSI1_PK = BY_TENANT_TIME.partitionKey.name;
const GSI1_SK = BY_TENANT_TIME.sortKey.name;
const DUE_PK_ATTR = BY_DUE.partitionKey.name;
const DUE_AT_ATTR = BY_DUE.sortKey.name;
/** Bodies above this are stored gzipped: hook envelopes compress ~10x and items are capped at 400 KB. */
const COMPRESS_ABOVE = 32 * 1024;
const MAX_STORED_BODY = 350 * 1024;

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
        Key: { [PK]: tenantPk(tenantId), [SK]: eventSk(eventId) },
        ConsistentRead: true,
      }),
    );
    return out.Item ? fromItem(out.Item) : undefined;
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
      items: (out.Items ?? []).map(fromItem),
      nextCursor: out.LastEvaluatedKey ? encodeCursor(out.LastEvaluatedKey) : undefined,
    };
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
          Key: { [PK]: tenantPk(tenantId), [SK]: eventSk(eventId) },
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
      for (const item of out.Items ?? []) items.push(fromItem(item));
      start = out.LastEvaluatedKey;
    } while (start && items.length < limit);
    return items;
  }
}

function toItem(event: StoredEvent): Record<string, unknown> {
  const { rawBody, ...rest } = event;
  const item: Record<string, unknown> = {
    [PK]: tenantPk(event.tenantId),
    [SK]: eventSk(event.eventId),
    [GSI1_PK]: tenantPk(event.tenantId),
    [GSI1_SK]: `${event.receivedAt}#${event.eventId}`,
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

function fromItem(item: Record<string, unknown>): StoredEvent {
  const {
    [PK]: _pk,
    [SK]: _sk,
    [GSI1_PK]: _g1,
    [GSI1_SK]: _g2,
    [DUE_PK_ATTR]: _d,
    [TTL]: _t,
    rawBodyGz,
    rawBody,
    ...rest
  } = item;
  const body =
    rawBodyGz instanceof Uint8Array
      ? gunzipSync(rawBodyGz).toString('utf8')
      : typeof rawBody === 'string'
        ? rawBody
        : '';
  return { ...(rest as Omit<StoredEvent, 'rawBody'>), rawBody: body };
}

function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
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
