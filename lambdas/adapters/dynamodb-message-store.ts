import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { ConditionFailedError } from '../core/errors';
import type { ForwardDeliveryStore, MessageStore } from '../core/ports';
import type { DeliveryState, ForwardDelivery, MessageRecord } from '../core/model';
import { isConditionFailed } from './dynamodb-client';
import { forwardSk, messageSk, PK, providerIdSk, SK, TTL, tenantPk } from './table-schema';

/**
 * SMS message records live in the events table beside their event (same partition, `M#` sort keys), so one query
 * lists an event's messages. Every transition is a conditional update on the current status: that condition is
 * what makes a send at most once.
 */
class DeliveryRecordTable<R extends DeliveryState> {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly sortKey: (id: string) => string,
    /** As the events': a record holds an E.164 number or a payload, so it must not outlive its event for long. */
    private readonly retentionDays = 90,
  ) {}

  /** Each write pushes the expiry to `retentionDays` after it (a late status callback keeps the record). */
  private expiry(): number {
    return Math.floor(Date.now() / 1000) + this.retentionDays * 86400;
  }

  async createIfAbsent(record: R): Promise<R> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            [PK]: tenantPk(record.tenantId),
            [SK]: this.sortKey(record.messageId),
            ...record,
            [TTL]: this.expiry(),
          },
          ConditionExpression: `attribute_not_exists(${PK})`,
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

  async get(tenantId: string, messageId: string): Promise<R | undefined> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.table,
        Key: { [PK]: tenantPk(tenantId), [SK]: this.sortKey(messageId) },
        ConsistentRead: true,
      }),
    );
    return out.Item ? toRecord<R>(out.Item) : undefined;
  }

  async transition(
    tenantId: string,
    messageId: string,
    from: R['status'][],
    patch: Partial<Omit<R, 'tenantId' | 'messageId'>>,
    expect: Partial<Record<string, string>> = {},
  ): Promise<R> {
    const names: Record<string, string> = { '#status': 'status', '#ttl': TTL };
    const values: Record<string, unknown> = { ':ttl': this.expiry() };
    const conditions: string[] = [];
    for (const [key, value] of Object.entries(expect)) {
      names[`#x_${key}`] = key;
      values[`:x_${key}`] = value;
      conditions.push(`#x_${key} = :x_${key}`);
    }
    const sets: string[] = ['#ttl = :ttl'];
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
          Key: { [PK]: tenantPk(tenantId), [SK]: this.sortKey(messageId) },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: [`attribute_exists(${PK}) AND #status IN (${froms.join(', ')})`, ...conditions].join(
            ' AND ',
          ),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toRecord<R>(out.Attributes!);
    } catch (error) {
      if (isConditionFailed(error)) throw new ConditionFailedError(`message ${messageId} is not in ${from.join('/')}`);
      throw error;
    }
  }

  async listByEvent(tenantId: string, eventId: string): Promise<R[]> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: `${PK} = :pk AND begins_with(${SK}, :p)`,
        ExpressionAttributeValues: { ':pk': tenantPk(tenantId), ':p': this.sortKey(`${eventId}.`) },
        ConsistentRead: true,
      }),
    );
    return (out.Items ?? []).map((item) => toRecord<R>(item));
  }
}

export class DynamoDbMessageStore extends DeliveryRecordTable<MessageRecord> implements MessageStore {
  constructor(
    private readonly messagesDoc: DynamoDBDocumentClient,
    private readonly messagesTable: string,
    private readonly messageRetentionDays = 90,
  ) {
    super(messagesDoc, messagesTable, messageSk, messageRetentionDays);
  }

  /** A plain put: the same provider id always names the same message, so a repeated link changes nothing. */
  async linkProviderId(tenantId: string, providerMessageId: string, messageId: string): Promise<void> {
    await this.messagesDoc.send(
      new PutCommand({
        TableName: this.messagesTable,
        Item: {
          [PK]: tenantPk(tenantId),
          [SK]: providerIdSk(providerMessageId),
          messageId,
          [TTL]: Math.floor(Date.now() / 1000) + this.messageRetentionDays * 86400,
        },
      }),
    );
  }

  async findByProviderId(tenantId: string, providerMessageId: string): Promise<string | undefined> {
    const out = await this.messagesDoc.send(
      new GetCommand({
        TableName: this.messagesTable,
        Key: { [PK]: tenantPk(tenantId), [SK]: providerIdSk(providerMessageId) },
      }),
    );
    const messageId = out.Item?.messageId;
    return typeof messageId === 'string' ? messageId : undefined;
  }
}

/** Forward delivery records: `F#` sort keys beside the event, the same conditional transitions. */
export class DynamoDbForwardDeliveryStore extends DeliveryRecordTable<ForwardDelivery> implements ForwardDeliveryStore {
  constructor(doc: DynamoDBDocumentClient, table: string, retentionDays?: number) {
    super(doc, table, forwardSk, retentionDays);
  }
}

function toRecord<R>(item: Record<string, unknown>): R {
  const { [PK]: _pk, [SK]: _sk, [TTL]: _ttl, ...rest } = item;
  return rest as unknown as R;
}
