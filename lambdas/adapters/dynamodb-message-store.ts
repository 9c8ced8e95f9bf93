import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { ConditionFailedError } from '../core/errors';
import type { MessageStore } from '../core/ports';
import type { MessageRecord, MessageStatus } from '../core/model';
import { isConditionFailed } from './dynamodb-client';
import { messageSk, PK, SK, TTL, tenantPk } from './table-schema';

/**
 * SMS message records live in the events table beside their event (same partition, `M#` sort keys), so one query
 * lists an event's messages. Every transition is a conditional update on the current status: that condition is
 * what makes a send at most once.
 */
export class DynamoDbMessageStore implements MessageStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
    /** As the events': a record holds an E.164 number and the text, so it must not outlive its event for long. */
    private readonly retentionDays = 90,
  ) {}

  /** Each write pushes the expiry to `retentionDays` after it (a late status callback keeps the record). */
  private expiry(): number {
    return Math.floor(Date.now() / 1000) + this.retentionDays * 86400;
  }

  async createIfAbsent(record: MessageRecord): Promise<MessageRecord> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            [PK]: tenantPk(record.tenantId),
            [SK]: messageSk(record.messageId),
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

  async get(tenantId: string, messageId: string): Promise<MessageRecord | undefined> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.table,
        Key: { [PK]: tenantPk(tenantId), [SK]: messageSk(messageId) },
        ConsistentRead: true,
      }),
    );
    return out.Item ? toRecord(out.Item) : undefined;
  }

  async transition(
    tenantId: string,
    messageId: string,
    from: MessageStatus[],
    patch: Partial<Omit<MessageRecord, 'tenantId' | 'messageId'>>,
    expect: Partial<Pick<MessageRecord, 'leaseUntil' | 'sid'>> = {},
  ): Promise<MessageRecord> {
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
          Key: { [PK]: tenantPk(tenantId), [SK]: messageSk(messageId) },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: [`attribute_exists(${PK}) AND #status IN (${froms.join(', ')})`, ...conditions].join(
            ' AND ',
          ),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toRecord(out.Attributes!);
    } catch (error) {
      if (isConditionFailed(error)) throw new ConditionFailedError(`message ${messageId} is not in ${from.join('/')}`);
      throw error;
    }
  }

  async listByEvent(tenantId: string, eventId: string): Promise<MessageRecord[]> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: `${PK} = :pk AND begins_with(${SK}, :p)`,
        ExpressionAttributeValues: { ':pk': tenantPk(tenantId), ':p': messageSk(`${eventId}.`) },
        ConsistentRead: true,
      }),
    );
    return (out.Items ?? []).map(toRecord);
  }
}

function toRecord(item: Record<string, unknown>): MessageRecord {
  const { [PK]: _pk, [SK]: _sk, [TTL]: _ttl, ...rest } = item;
  return rest as unknown as MessageRecord;
}
