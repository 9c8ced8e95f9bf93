import { gunzipSync, gzipSync } from 'node:zlib';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { ConditionFailedError, InvalidCursorError, PayloadTooLargeError } from '../core/errors';
import { isFinal } from '../core/lifecycle';
import type { EventPage, EventStore, MessageStore } from '../core/ports';
import type { MessageRecord, MessageStatus, StoredEvent } from '../core/model';
import { isConditionFailed } from './dynamodb-client';

/**
 * Events table layout (pk, sk):
 *   T#{tenant} E#{eventId}     the event; gsi1 (byTenantTime) lists a tenant's events newest first;
 *                               duePk/dueAt (byDue, sparse) is the sweeper's work list while not final
 *   T#{tenant} M#{messageId}   an SMS message record, messageId = {eventId}.{ENTITY.ACTION}
 */
const tenantPk = (tenantId: string) => `T#${tenantId}`;
const DUE_PK = 'DUE';
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
          ConditionExpression: 'attribute_not_exists(pk)',
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
        Key: { pk: tenantPk(tenantId), sk: `E#${eventId}` },
        ConsistentRead: true,
      }),
    );
    return out.Item ? fromItem(out.Item) : undefined;
  }

  async listByTenant(tenantId: string, options: { limit: number; cursor?: string }): Promise<EventPage> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: 'byTenantTime',
        KeyConditionExpression: 'gsi1pk = :pk',
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
      if (key === 'dueAt' && dropDue) continue;
      names[`#${key}`] = key;
      if (value === undefined) removes.push(`#${key}`);
      else {
        sets.push(`#${key} = :${key}`);
        values[`:${key}`] = value;
      }
    }
    names['#duePk'] = 'duePk';
    if (dropDue) {
      names['#dueAt'] = 'dueAt';
      removes.push('#duePk', '#dueAt');
    } else if (patch.dueAt !== undefined) {
      sets.push('#duePk = :duePk');
      values[':duePk'] = DUE_PK;
    } else {
      delete names['#duePk'];
    }
    names['#ttl'] = 'ttl';
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
    let condition = 'attribute_exists(pk)';
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
          Key: { pk: tenantPk(tenantId), sk: `E#${eventId}` },
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

  async listDue(before: string, limit: number): Promise<StoredEvent[]> {
    const items: StoredEvent[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: 'byDue',
          KeyConditionExpression: 'duePk = :d AND dueAt <= :b',
          ExpressionAttributeValues: { ':d': DUE_PK, ':b': before },
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
    pk: tenantPk(event.tenantId),
    sk: `E#${event.eventId}`,
    gsi1pk: tenantPk(event.tenantId),
    gsi1sk: `${event.receivedAt}#${event.eventId}`,
    ...rest,
  };
  if (event.dueAt) item.duePk = DUE_PK;
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
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, duePk: _d, ttl: _t, rawBodyGz, rawBody, ...rest } = item;
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
  const names = ['pk', 'sk', 'gsi1pk', 'gsi1sk'];
  const valid =
    k !== null &&
    typeof k === 'object' &&
    !Array.isArray(k) &&
    Object.keys(k).length === names.length &&
    names.every((n) => typeof k[n] === 'string') &&
    k.pk === pk &&
    k.gsi1pk === pk;
  if (!valid) throw new InvalidCursorError();
  return k;
}

export class DynamoDbMessageStore implements MessageStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async createIfAbsent(record: MessageRecord): Promise<MessageRecord> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: tenantPk(record.tenantId), sk: `M#${record.messageId}`, ...record },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return record;
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      const existing = await this.get(record.tenantId, record.messageId);
      if (!existing) throw error;
      return existing;
    }
  }

  async get(tenantId: string, messageId: string): Promise<MessageRecord | undefined> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.table,
        Key: { pk: tenantPk(tenantId), sk: `M#${messageId}` },
        ConsistentRead: true,
      }),
    );
    if (!out.Item) return undefined;
    const { pk: _pk, sk: _sk, ...rest } = out.Item;
    return rest as MessageRecord;
  }

  async transition(
    tenantId: string,
    messageId: string,
    from: MessageStatus[],
    patch: Partial<Omit<MessageRecord, 'tenantId' | 'messageId'>>,
    expect: Partial<Pick<MessageRecord, 'leaseUntil' | 'sid'>> = {},
  ): Promise<MessageRecord> {
    const names: Record<string, string> = { '#status': 'status' };
    const values: Record<string, unknown> = {};
    const conditions: string[] = [];
    for (const [key, value] of Object.entries(expect)) {
      names[`#x_${key}`] = key;
      values[`:x_${key}`] = value;
      conditions.push(`#x_${key} = :x_${key}`);
    }
    const sets: string[] = [];
    for (const [key, value] of Object.entries(patch)) {
      if (value === undefined) continue;
      names[`#${key}`] = key;
      values[`:${key}`] = value;
      sets.push(`#${key} = :${key}`);
    }
    const froms = from.map((s, i) => {
      values[`:from${i}`] = s;
      return `:from${i}`;
    });
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: tenantPk(tenantId), sk: `M#${messageId}` },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: [`attribute_exists(pk) AND #status IN (${froms.join(', ')})`, ...conditions].join(
            ' AND ',
          ),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      const { pk: _pk, sk: _sk, ...rest } = out.Attributes!;
      return rest as MessageRecord;
    } catch (error) {
      if (isConditionFailed(error)) throw new ConditionFailedError(`message ${messageId} is not in ${from.join('/')}`);
      throw error;
    }
  }

  async listByEvent(tenantId: string, eventId: string): Promise<MessageRecord[]> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
        ExpressionAttributeValues: { ':pk': tenantPk(tenantId), ':p': `M#${eventId}.` },
        ConsistentRead: true,
      }),
    );
    return (out.Items ?? []).map((item) => {
      const { pk: _pk, sk: _sk, ...rest } = item;
      return rest as MessageRecord;
    });
  }
}
