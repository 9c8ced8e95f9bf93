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
import { maskPhone } from '../core/redaction';
import type { DataProtection } from './data-protection';
import { isConditionFailed } from './dynamodb-client';
import {
  BY_PHONE,
  eventIdOfRecord,
  eventPk,
  FORWARD_SK_PREFIX,
  forwardSk,
  MESSAGE_SK_PREFIX,
  messageSk,
  PK,
  phonePk,
  PROVIDER_ID_SK,
  providerIdPk,
  SK,
  TTL,
} from './table-schema';

/** How a record becomes an item and back: the SMS records seal their recipient; forward records are stored as is. */
interface RecordCodec<R> {
  toItem(record: R): Promise<Record<string, unknown>>;
  fromItem(item: Record<string, unknown>): Promise<R>;
  /** What an update's patch sets, sealed likewise. */
  patchItem(patch: Record<string, unknown>): Promise<Record<string, unknown>>;
}

const plainCodec = <R>(): RecordCodec<R> => ({
  toItem: async (record) => ({ ...(record as Record<string, unknown>) }),
  fromItem: async (item) => item as unknown as R,
  patchItem: async (patch) => patch,
});

/**
 * SMS message records live in the events table in their event's item collection (its partition key, `M#` sort
 * keys), so one Query lists an event's messages. Every transition is a conditional update on the current status:
 * that condition is what makes a send at most once.
 */
class DeliveryRecordTable<R extends DeliveryState> {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly sortKey: (id: string) => string,
    private readonly sortKeyPrefix: string,
    /** As the events': a record holds an E.164 number or a payload, so it must not outlive its event for long. */
    private readonly retentionDays = 90,
    private readonly codec: RecordCodec<R> = plainCodec<R>(),
  ) {}

  /** A record found by its id alone (a status callback carries no more): the event id is the id's first part. */
  private key(tenantId: string, messageId: string): Record<string, string> {
    return { [PK]: eventPk(tenantId, eventIdOfRecord(messageId)), [SK]: this.sortKey(messageId) };
  }

  /** Each write pushes the expiry to `retentionDays` after it (a late status callback keeps the record). */
  private expiry(): number {
    return Math.floor(Date.now() / 1000) + this.retentionDays * 86400;
  }

  async createIfAbsent(record: R): Promise<R> {
    return (await this.createClaimed(record)).record;
  }

  /** One conditional put; only a lost race reads the record that won. */
  async createClaimed(record: R): Promise<{ created: boolean; record: R }> {
    // get() and transition() find the record from its id alone: the id must name the event it is stored under.
    if (eventIdOfRecord(record.messageId) !== record.eventId) {
      throw new Error(`record id ${record.messageId} does not start with its event id ${record.eventId}`);
    }
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            [PK]: eventPk(record.tenantId, record.eventId),
            [SK]: this.sortKey(record.messageId),
            ...(await this.codec.toItem(record)),
            [TTL]: this.expiry(),
          },
          ConditionExpression: `attribute_not_exists(${PK})`,
        }),
      );
      return { created: true, record };
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      const existing = await this.get(record.tenantId, record.messageId);
      if (!existing) throw error;
      return { created: false, record: existing };
    }
  }

  async get(tenantId: string, messageId: string): Promise<R | undefined> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.table,
        Key: this.key(tenantId, messageId),
        ConsistentRead: true,
      }),
    );
    return out.Item ? this.codec.fromItem(strip(out.Item)) : undefined;
  }

  async transition(
    tenantId: string,
    messageId: string,
    from: R['status'][],
    patch: Partial<Omit<R, 'tenantId' | 'messageId'>>,
    expect: Partial<Record<string, string>> = {},
    options: { keepStored?: string[] } = {},
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
    const providerStatus = (patch as { providerStatus?: unknown }).providerStatus;
    if (typeof providerStatus === 'string') {
      // What the provider said and when (the send's answer, each delivery report), for `events trace`.
      const errorCode = (patch as { errorCode?: unknown }).errorCode;
      const entry = {
        at: String((patch as { updatedAt?: unknown }).updatedAt ?? new Date().toISOString()),
        status: providerStatus,
        ...(typeof errorCode === 'string' && errorCode ? { errorCode } : {}),
      };
      names['#providerHistory'] = 'providerHistory';
      values[':noHistory'] = [];
      values[':historyEntry'] = [entry];
      sets.push('#providerHistory = list_append(if_not_exists(#providerHistory, :noHistory), :historyEntry)');
    }
    for (const [key, value] of Object.entries(await this.codec.patchItem(patch as Record<string, unknown>))) {
      if (value === undefined) continue;
      names[`#${key}`] = key;
      values[`:${key}`] = value;
      sets.push(options.keepStored?.includes(key) ? `#${key} = if_not_exists(#${key}, :${key})` : `#${key} = :${key}`);
    }
    const froms = from.map((s, i) => {
      values[`:from${i}`] = s;
      return `:from${i}`;
    });
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: this.key(tenantId, messageId),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: [`attribute_exists(${PK}) AND #status IN (${froms.join(', ')})`, ...conditions].join(
            ' AND ',
          ),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return await this.codec.fromItem(strip(out.Attributes!));
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
        ExpressionAttributeValues: { ':pk': eventPk(tenantId, eventId), ':p': this.sortKeyPrefix },
        ConsistentRead: true,
      }),
    );
    return Promise.all((out.Items ?? []).map((item) => this.codec.fromItem(strip(item))));
  }
}

export class DynamoDbMessageStore extends DeliveryRecordTable<MessageRecord> implements MessageStore {
  /** With `protection`, the recipient is sealed at rest and findable by its keyed hash (byPhone). */
  constructor(
    private readonly messagesDoc: DynamoDBDocumentClient,
    private readonly messagesTable: string,
    private readonly messageRetentionDays = 90,
    protection?: DataProtection,
  ) {
    super(
      messagesDoc,
      messagesTable,
      messageSk,
      MESSAGE_SK_PREFIX,
      messageRetentionDays,
      protection ? sealedRecipientCodec(protection) : undefined,
    );
  }

  /**
   * A plain put: the same provider id always names the same message, so a repeated link changes nothing. Its own
   * partition key per provider id, like the events' (layout v2): no tenant-wide hot key.
   */
  async linkProviderId(tenantId: string, providerMessageId: string, messageId: string): Promise<void> {
    await this.messagesDoc.send(
      new PutCommand({
        TableName: this.messagesTable,
        Item: {
          [PK]: providerIdPk(tenantId, providerMessageId),
          [SK]: PROVIDER_ID_SK,
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
        Key: { [PK]: providerIdPk(tenantId, providerMessageId), [SK]: PROVIDER_ID_SK },
      }),
    );
    const messageId = out.Item?.messageId;
    return typeof messageId === 'string' ? messageId : undefined;
  }
}

/** Associated data of a sealed recipient. */
const TO_CONTEXT = 'message.to';

/**
 * The item keeps the number masked in `to` (what listings show), sealed in `toSealed` (what the worker sends to and
 * a resend looks up at Twilio), and as a keyed hash in `toHash` with its byPhone partition. Records written
 * before sealing existed hold the number in `to` and are read as they are.
 */
function sealedRecipientCodec(protection: DataProtection): RecordCodec<MessageRecord> {
  const sealTo = async (to: string) => {
    const keyring = await protection.keyring();
    return { to: maskPhone(to), toSealed: keyring.seal(to, TO_CONTEXT), toHash: keyring.hashPhone(to) };
  };
  return {
    async toItem(record) {
      const sealed = await sealTo(record.to);
      return { ...record, ...sealed, [BY_PHONE.partitionKey.name]: phonePk(record.tenantId, sealed.toHash) };
    },
    async fromItem(item) {
      const { toSealed, [BY_PHONE.partitionKey.name]: _phonePk, ...rest } = item;
      if (!(toSealed instanceof Uint8Array)) return rest as unknown as MessageRecord;
      const to = (await protection.keyring()).open(toSealed, TO_CONTEXT).toString('utf8');
      return { ...(rest as unknown as MessageRecord), to };
    },
    async patchItem(patch) {
      if (typeof patch.to !== 'string') return patch;
      const { toHash: _h, ...sealed } = await sealTo(patch.to);
      // The hash (and its byPhone partition) stay those of the first recipient: a record is one message.
      return { ...patch, ...sealed };
    },
  };
}

/** Forward delivery records: `F#` sort keys in the event's item collection, the same conditional transitions. */
export class DynamoDbForwardDeliveryStore extends DeliveryRecordTable<ForwardDelivery> implements ForwardDeliveryStore {
  constructor(doc: DynamoDBDocumentClient, table: string, retentionDays?: number) {
    super(doc, table, forwardSk, FORWARD_SK_PREFIX, retentionDays);
  }
}

function strip(item: Record<string, unknown>): Record<string, unknown> {
  const { [PK]: _pk, [SK]: _sk, [TTL]: _ttl, ...rest } = item;
  return rest;
}
