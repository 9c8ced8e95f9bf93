/**
 * The DynamoDB stores with the data key, on the embedded engine: business ids as top-level attributes, bodies and
 * recipients sealed at rest (and opened on read), the status and provider histories, and both searches with their
 * cursors.
 */
import { randomBytes } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { DataKeyring, DataProtection, newDataKeyDocument } from '../../lambdas/adapters/data-protection';
import { DynamoDbEventStore } from '../../lambdas/adapters/dynamodb-event-store';
import { DynamoDbMessageStore } from '../../lambdas/adapters/dynamodb-message-store';
import { EVENT_SK, eventPk } from '../../lambdas/adapters/table-schema';
import { InvalidCursorError } from '../../lambdas/core/errors';
import type { MessageRecord, StoredEvent } from '../../lambdas/core/model';
import { startTestDynamo, type TestDynamo, type TestStores } from '../helpers/dynamo';
import { rejectionOf } from '../helpers/errors';
import { aStoredEvent } from '../helpers/stored-events';
import { loadDelivery } from '../helpers/fixtures';
import { itemSize } from '../../bench/item-size';

const NUMBER = '+254712345678';
const SINCE = '2024-10-01T00:00:00.000Z';

let dynamo: TestDynamo;
let s: TestStores;
let events: DynamoDbEventStore;
let messages: DynamoDbMessageStore;
let keyDocument: string;
let counter = 0;
let tenant: string;

beforeAll(async () => {
  dynamo = await startTestDynamo();
  s = await dynamo.createStores('search');
  keyDocument = newDataKeyDocument();
  const protection = new DataProtection({ load: async () => keyDocument });
  events = new DynamoDbEventStore(dynamo.doc, s.tables.eventsTable, 90, protection);
  messages = new DynamoDbMessageStore(dynamo.doc, s.tables.eventsTable, 90, protection);
});

afterAll(async () => {
  await dynamo.close();
});

beforeEach(() => {
  tenant = `t${++counter}`;
});

function storedEvent(minute: number, ids: StoredEvent['ids'], rawBody = `{"mobileNo":"254712345678"}`): StoredEvent {
  const at = new Date(Date.parse('2024-10-24T09:00:00.000Z') + minute * 60_000).toISOString();
  return aStoredEvent(tenant, {
    eventId: randomBytes(11).toString('hex'),
    ids,
    rawBody,
    receivedAt: at,
    updatedAt: at,
  });
}

function message(event: StoredEvent, to = NUMBER): MessageRecord {
  return {
    tenantId: event.tenantId,
    messageId: `${event.eventId}.CLIENT.CREATE`,
    eventId: event.eventId,
    templateKey: 'CLIENT.CREATE',
    status: 'pending',
    to,
    body: 'Hello Jane Doe, welcome!',
    encoding: 'GSM-7',
    segments: 1,
    createdAt: event.receivedAt,
    updatedAt: event.receivedAt,
  };
}

describe('sealed at rest', () => {
  test('the event item holds the business ids as strings and the body sealed; reading opens it', async () => {
    // Prepare
    const event = storedEvent(0, { clientId: 42, loanId: '7001', commandId: 9 });

    // Act
    await events.putIfAbsent(event);
    const item = await s.rawItem(s.tables.eventsTable, eventPk(tenant, event.eventId), EVENT_SK);
    const read = await events.get(tenant, event.eventId);

    // Assess
    expect(item).toMatchObject({ clientId: '42', loanId: '7001', commandId: '9' });
    expect(item).not.toHaveProperty('savingsId');
    expect(item).not.toHaveProperty('rawBody');
    expect(Buffer.from(item!.rawBodySealed as Uint8Array).toString('latin1')).not.toContain('254712345678');
    expect(read).toEqual(event);
  });

  test('a Fineract envelope’s event item stays under 1 KB from stored to final: one write unit per write', async () => {
    // Prepare
    const fixture = loadDelivery('fineract-sms-client-create-envelope');
    const event = aStoredEvent(tenant, {
      dedupKey: `${tenant}|CLIENT|CREATE|body:${'0'.repeat(64)}|w:2954070`,
      rawBody: fixture.body,
      contentType: 'application/json; charset=UTF-8',
      ids: { officeId: 1, clientId: 1000, resourceId: 1000 },
      registrationId: 'reg-1',
      dueAt: '2024-10-24T09:05:00.000Z',
    });
    await events.putIfAbsent(event);
    const key = [eventPk(tenant, event.eventId), EVENT_SK] as const;
    const stored = itemSize((await s.rawItem(s.tables.eventsTable, ...key))!);

    // Act
    await events.claim(tenant, event.eventId, {
      updatedAt: '2024-10-24T09:00:01.000Z',
      dueAt: '2024-10-24T09:05:01.000Z',
      dueBy: '2024-10-24T09:00:02.000Z',
    });
    await events.update(
      tenant,
      event.eventId,
      {
        status: 'sent',
        updatedAt: '2024-10-24T09:00:02.000Z',
        outcome: {
          messageId: `${event.eventId}.CLIENT.CREATE`,
          sid: `SM${'0'.repeat(32)}`,
          segments: 1,
          encoding: 'GSM-7',
          callbacks: [],
        },
      },
      { ifStatusIn: ['processing'] },
    );
    const final = itemSize((await s.rawItem(s.tables.eventsTable, ...key))!);

    // Assess
    expect(Buffer.byteLength(fixture.body)).toBeGreaterThan(400);
    expect(stored).toBeLessThanOrEqual(1024);
    expect(final).toBeLessThanOrEqual(1024);
    expect((await events.get(tenant, event.eventId))?.rawBody).toBe(fixture.body);
  });

  test('items written before compression and before the raw headers were elided still read', async () => {
    // Prepare
    const event = storedEvent(0, { clientId: 42 });
    const { rawBody, ...rest } = event;
    await dynamo.doc.send(
      new PutCommand({
        TableName: s.tables.eventsTable,
        Item: {
          pk: eventPk(tenant, event.eventId),
          sk: EVENT_SK,
          ...rest,
          rawBodySealed: new DataKeyring(keyDocument).seal(rawBody, 'event.rawBody'),
        },
      }),
    );

    // Act
    const read = await events.get(tenant, event.eventId);

    // Assess
    expect(read).toEqual(event);
  });

  test('raw headers that differ from the upper-cased names are kept', async () => {
    // Prepare
    const event = { ...storedEvent(0, { clientId: 42 }), entityRaw: 'client', actionRaw: 'Create' };

    // Act
    await events.putIfAbsent(event);
    const item = await s.rawItem(s.tables.eventsTable, eventPk(tenant, event.eventId), EVENT_SK);

    // Assess
    expect(item).toMatchObject({ entityRaw: 'client', actionRaw: 'Create' });
    expect(await events.get(tenant, event.eventId)).toEqual(event);
  });

  test('a large body is gzipped, then sealed', async () => {
    // Prepare
    const event = storedEvent(
      0,
      { clientId: 1 },
      JSON.stringify({ mobileNo: '254712345678', pad: 'x'.repeat(40_000) }),
    );

    // Act
    await events.putIfAbsent(event);
    const item = await s.rawItem(s.tables.eventsTable, eventPk(tenant, event.eventId), EVENT_SK);

    // Assess
    expect(item).toHaveProperty('rawBodyGzSealed');
    expect((await events.get(tenant, event.eventId))?.rawBody).toBe(event.rawBody);
  });

  test('the message item keeps the number masked, sealed and hashed; the worker still reads the full number', async () => {
    // Prepare
    const event = storedEvent(0, { clientId: 42 });
    const hash = new DataKeyring(keyDocument).hashPhone(NUMBER);

    // Act
    await messages.createIfAbsent(message(event));
    const item = await s.rawItem(
      s.tables.eventsTable,
      eventPk(tenant, event.eventId),
      `M#${event.eventId}.CLIENT.CREATE`,
    );
    const read = await messages.get(tenant, `${event.eventId}.CLIENT.CREATE`);

    // Assess
    expect(item).toMatchObject({ to: '+254*******78', toHash: hash, phonePk: `P#${tenant}#${hash}` });
    expect(JSON.stringify(item)).not.toContain('254712345678');
    expect(read).toMatchObject({ to: NUMBER, toHash: hash });
    expect(read).not.toHaveProperty('toSealed');
  });

  test('records written before sealing are read as they are', async () => {
    // Prepare: the stores without a data key, as before this change
    const event = storedEvent(0, { clientId: 42 });
    await s.events.putIfAbsent(event);
    await s.messages.createIfAbsent(message(event));

    // Act
    const read = await events.get(tenant, event.eventId);
    const record = await messages.get(tenant, `${event.eventId}.CLIENT.CREATE`);

    // Assess
    expect(read?.rawBody).toBe(event.rawBody);
    expect(record?.to).toBe(NUMBER);
  });
});

describe('histories', () => {
  test('every status change is appended to the event with its time and error', async () => {
    // Prepare
    const event = storedEvent(0, { clientId: 42 });
    await events.putIfAbsent(event);

    // Act
    await events.update(tenant, event.eventId, { status: 'processing', updatedAt: '2024-10-24T09:00:01.000Z' });
    await events.update(tenant, event.eventId, {
      status: 'retrying',
      lastError: 'Twilio answered 500',
      updatedAt: '2024-10-24T09:00:02.000Z',
    });
    const updated = await events.update(tenant, event.eventId, { nextAttemptAt: '2024-10-24T09:01:00.000Z' });

    // Assess
    expect(updated.history).toEqual([
      { at: '2024-10-24T09:00:01.000Z', status: 'processing' },
      { at: '2024-10-24T09:00:02.000Z', status: 'retrying', error: 'Twilio answered 500' },
    ]);
  });

  test('every provider status of a message is appended, with its error code', async () => {
    // Prepare
    const event = storedEvent(0, { clientId: 42 });
    const id = `${event.eventId}.CLIENT.CREATE`;
    await messages.createIfAbsent(message(event));

    // Act
    await messages.transition(tenant, id, ['pending'], { status: 'sent', providerStatus: 'queued', updatedAt: 'a' });
    const last = await messages.transition(tenant, id, ['sent'], {
      status: 'undelivered',
      providerStatus: 'undelivered',
      errorCode: '30003',
      updatedAt: 'b',
    });

    // Assess
    expect(last.providerHistory).toEqual([
      { at: 'a', status: 'queued' },
      { at: 'b', status: 'undelivered', errorCode: '30003' },
    ]);
    expect(last.to).toBe(NUMBER);
  });
});

describe('searches', () => {
  test('findByIds: newest first, within the window, filtered on every given id, paged by cursor', async () => {
    // Prepare
    const old = storedEvent(-60 * 24 * 30, { clientId: 42 });
    const a = storedEvent(1, { clientId: 42, loanId: 7 });
    const other = storedEvent(2, { clientId: 43 });
    const b = storedEvent(3, { clientId: 42 });
    for (const e of [old, a, other, b]) await events.putIfAbsent(e);

    // Act
    const first = await events.findByIds(tenant, { clientId: '42' }, { since: SINCE, limit: 1 });
    const second = await events.findByIds(
      tenant,
      { clientId: '42' },
      { since: SINCE, limit: 1, cursor: first.nextCursor },
    );
    const both = await events.findByIds(tenant, { clientId: '42', loanId: '7' }, { since: SINCE, limit: 10 });

    // Assess
    expect(first.items.map((e) => e.eventId)).toEqual([b.eventId]);
    expect(second.items.map((e) => e.eventId)).toEqual([a.eventId]);
    // Every shard was read to the window's start: no cursor, nothing more to ask for.
    expect(second.nextCursor).toBeUndefined();
    expect(both.items).toEqual([a]);
  });

  test('findByPhoneHash: the events whose SMS went to that number, and only this tenant’s', async () => {
    // Prepare
    const a = storedEvent(1, { clientId: 42 });
    const b = storedEvent(2, { clientId: 43 });
    for (const e of [a, b]) await events.putIfAbsent(e);
    await messages.createIfAbsent(message(a));
    await messages.createIfAbsent(message(b, '+254712345679'));
    const hash = new DataKeyring(keyDocument).hashPhone(NUMBER);

    // Act
    const found = await events.findByPhoneHash(tenant, hash, { since: SINCE, limit: 10 });
    const elsewhere = await events.findByPhoneHash(`${tenant}x`, hash, { since: SINCE, limit: 10 });

    // Assess
    expect(found.items).toEqual([a]);
    expect(elsewhere.items).toEqual([]);
  });

  test('a cursor the search did not produce is an InvalidCursorError', async () => {
    // Prepare
    const forged = Buffer.from(JSON.stringify({ pk: 'T#other', sk: 'E#1', gsi1pk: 'T#other', gsi1sk: 'x' })).toString(
      'base64url',
    );

    // Act
    const error = await rejectionOf(
      events.findByIds(tenant, { clientId: '1' }, { since: SINCE, limit: 1, cursor: forged }),
    );

    // Assess
    expect(error).toBeInstanceOf(InvalidCursorError);
  });
});
