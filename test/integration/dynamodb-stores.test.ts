import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  BY_DUE,
  BY_TENANT_TIME,
  duePk,
  EVENT_SK,
  eventPk,
  messageSk,
  tenantTimePartitions,
  tenantTimePk,
} from '../../lambdas/adapters/table-schema';
import { randomBytes } from 'node:crypto';
import { ConditionFailedError, InvalidCursorError, PayloadTooLargeError } from '../../lambdas/core/errors';
import type { ApiKeyRecord, MessageRecord, StoredEvent, TenantConfig } from '../../lambdas/core/model';
import { DynamoDbForwardDeliveryStore, DynamoDbMessageStore } from '../../lambdas/adapters/dynamodb-message-store';
import { startTestDynamo, type TestDynamo, type TestStores } from '../helpers/dynamo';
import { rejectionOf } from '../helpers/errors';
import { aStoredEvent } from '../helpers/stored-events';

let dynamo: TestDynamo;
let s: TestStores;
let counter = 0;
let tenant: string;

beforeAll(async () => {
  dynamo = await startTestDynamo();
  s = await dynamo.createStores('stores');
});

afterAll(async () => {
  await dynamo.close();
});

beforeEach(() => {
  tenant = `t${++counter}`;
});

function storedEvent(overrides: Partial<StoredEvent> = {}): StoredEvent {
  return aStoredEvent(tenant, {
    entity: 'LOAN',
    action: 'REPAYMENT',
    ids: { clientId: 42, loanId: 7 },
    rawBody: '{"clientId":42,"loanId":7}',
    contentType: 'application/json; charset=UTF-8',
    dueAt: '2024-10-24T09:05:00.000Z',
    ...overrides,
  });
}

/** The error a promise rejects with (awaited at once, so later steps run strictly after it). */
const eventKey = (e: Pick<StoredEvent, 'tenantId' | 'eventId'>) => [eventPk(e.tenantId, e.eventId), EVENT_SK] as const;

async function dueIdsOf(before: string): Promise<string[]> {
  return (await s.events.listDue(before, 10_000)).filter((e) => e.tenantId === tenant).map((e) => e.eventId);
}

describe('DynamoDbEventStore', () => {
  test('putIfAbsent stores once; the same event id again is a duplicate and does not overwrite', async () => {
    // Prepare
    const first = storedEvent({ eventId: 'evt-dup' });
    const second = storedEvent({ eventId: 'evt-dup', rawBody: '{"changed":true}', status: 'sent' });

    // Act
    const a = await s.events.putIfAbsent(first);
    const b = await s.events.putIfAbsent(second);

    // Assess
    expect([a, b]).toEqual(['stored', 'duplicate']);
    expect(await s.events.get(tenant, 'evt-dup')).toEqual(first);
  });

  test('scanInFlight finds an in-flight event the due index lost (a torn index write), and no final one', async () => {
    // Prepare
    const torn = storedEvent({ eventId: 'evt-torn', status: 'processing', dueAt: '2024-10-24T09:00:00.000Z' });
    const done = storedEvent({ eventId: 'evt-done', status: 'received', dueAt: '2024-10-24T09:00:00.000Z' });
    await s.events.putIfAbsent(torn);
    await s.events.putIfAbsent(done);
    await s.events.update(tenant, 'evt-done', { status: 'sent', updatedAt: '2024-10-24T09:01:00.000Z' });
    // As the embedded engine leaves it after a kill -9 between the item write and the index write.
    await dynamo.doc.send(
      new UpdateCommand({
        TableName: s.tables.eventsTable,
        Key: { pk: eventPk(tenant, 'evt-torn'), sk: EVENT_SK },
        UpdateExpression: 'REMOVE duePk, dueAt',
      }),
    );

    // Act
    const due = await s.events.listDue('9999', 1000);
    const inFlight = await s.events.scanInFlight();

    // Assess
    expect(due.filter((e) => e.tenantId === tenant)).toEqual([]);
    expect(inFlight.filter((e) => e.tenantId === tenant)).toEqual([{ tenantId: tenant, eventId: 'evt-torn' }]);
  });

  test('listDue merges the due shards, oldest due first', async () => {
    // Prepare
    const ids = ['evt-s1', 'evt-s2', 'evt-s3', 'evt-s4', 'evt-s5'];
    for (const [i, eventId] of ids.entries()) {
      await s.events.putIfAbsent(storedEvent({ eventId, dueAt: `2024-10-24T08:0${9 - i}:00.000Z` }));
    }

    // Act
    const due = (await s.events.listDue('2024-10-24T09:00:00.000Z', 1000)).filter((e) => e.tenantId === tenant);

    // Assess
    expect(new Set(ids.map(duePk)).size).toBeGreaterThan(1);
    expect(due.map((e) => e.eventId)).toEqual(['evt-s5', 'evt-s4', 'evt-s3', 'evt-s2', 'evt-s1']);
  });

  test('concurrent putIfAbsent of one event: exactly one is stored', async () => {
    // Prepare
    const event = storedEvent({ eventId: 'evt-race' });

    // Act
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => s.events.putIfAbsent(event)));

    // Assess
    expect(outcomes.filter((o) => o === 'stored')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(9);
  });

  test('the same event id under another tenant is a different event', async () => {
    // Prepare
    await s.events.putIfAbsent(storedEvent({ eventId: 'evt-shared' }));

    // Act
    const other = await s.events.putIfAbsent(storedEvent({ eventId: 'evt-shared', tenantId: `${tenant}-other` }));

    // Assess
    expect(other).toBe('stored');
  });

  test('get of an unknown event is undefined', async () => {
    // Prepare
    const eventId = 'never-stored';

    // Act
    const found = await s.events.get(tenant, eventId);

    // Assess
    expect(found).toBeUndefined();
  });

  test('update with ifStatusIn applies only from the listed statuses', async () => {
    // Prepare
    const event = storedEvent();
    await s.events.putIfAbsent(event);

    // Act
    const claimed = await s.events.update(
      tenant,
      event.eventId,
      { status: 'processing', updatedAt: '2024-10-24T09:00:01.000Z' },
      { ifStatusIn: ['received', 'retrying'], incrementAttempts: true },
    );
    const again = await rejectionOf(
      s.events.update(tenant, event.eventId, { status: 'processing' }, { ifStatusIn: ['received', 'retrying'] }),
    );

    // Assess
    expect(claimed).toMatchObject({ status: 'processing', attempts: 1, updatedAt: '2024-10-24T09:00:01.000Z' });
    expect(again).toBeInstanceOf(ConditionFailedError);
    expect((await s.events.get(tenant, event.eventId))?.attempts).toBe(1);
  });

  test('update of a missing event fails with ConditionFailedError and creates nothing', async () => {
    // Prepare
    const eventId = 'missing-event';

    // Act
    const update = s.events.update(tenant, eventId, { status: 'sent' });

    // Assess
    await expect(update).rejects.toBeInstanceOf(ConditionFailedError);
    expect(await s.rawItem(s.tables.eventsTable, eventPk(tenant, eventId), EVENT_SK)).toBeUndefined();
  });

  test('incrementAttempts counts up; resetAttempts sets back to zero; undefined fields are removed', async () => {
    // Prepare
    const event = storedEvent({ lastError: 'old error' });
    await s.events.putIfAbsent(event);

    // Act
    await s.events.update(tenant, event.eventId, { status: 'retrying' }, { incrementAttempts: true });
    const twice = await s.events.update(tenant, event.eventId, { status: 'retrying' }, { incrementAttempts: true });
    const reset = await s.events.update(
      tenant,
      event.eventId,
      { status: 'received', lastError: undefined },
      { resetAttempts: true },
    );

    // Assess
    expect(twice.attempts).toBe(2);
    expect(reset.attempts).toBe(0);
    expect(reset).not.toHaveProperty('lastError');
  });

  test('the due index: an in-flight event appears when due, leaves when final, comes back when re-driven', async () => {
    // Prepare
    const event = storedEvent({ dueAt: '2024-10-24T09:05:00.000Z' });
    await s.events.putIfAbsent(event);

    // Act
    const beforeDue = await dueIdsOf('2024-10-24T09:04:59.999Z');
    const atDue = await dueIdsOf('2024-10-24T09:05:00.000Z');
    await s.events.update(tenant, event.eventId, { status: 'sent', dueAt: '2024-10-24T10:00:00.000Z' });
    const afterFinal = await dueIdsOf('2030-01-01T00:00:00.000Z');
    const finalItem = await s.rawItem(s.tables.eventsTable, ...eventKey(event));
    await s.events.update(tenant, event.eventId, { status: 'received', dueAt: '2024-10-24T11:00:00.000Z' });
    const redriven = await dueIdsOf('2024-10-24T11:00:00.000Z');
    const redrivenItem = await s.rawItem(s.tables.eventsTable, ...eventKey(event));

    // Assess
    expect(beforeDue).toEqual([]);
    expect(atDue).toEqual([event.eventId]);
    expect(afterFinal).toEqual([]);
    expect(finalItem).not.toHaveProperty('duePk');
    expect(finalItem).not.toHaveProperty('dueAt');
    expect(finalItem?.ttl).toEqual(expect.any(Number));
    expect(redriven).toEqual([event.eventId]);
    expect(redrivenItem).not.toHaveProperty('ttl');
  });

  test('the due index: moving dueAt later hides the event until then; removeDue takes it out', async () => {
    // Prepare
    const event = storedEvent({ dueAt: '2024-10-24T09:05:00.000Z' });
    await s.events.putIfAbsent(event);

    // Act
    await s.events.update(tenant, event.eventId, {
      status: 'retrying',
      dueAt: '2024-10-24T09:30:00.000Z',
      nextAttemptAt: '2024-10-24T09:29:00.000Z',
    });
    const at0910 = await dueIdsOf('2024-10-24T09:10:00.000Z');
    const at0930 = await dueIdsOf('2024-10-24T09:30:00.000Z');
    await s.events.update(tenant, event.eventId, { status: 'processing' }, { removeDue: true });
    const afterRemove = await dueIdsOf('2030-01-01T00:00:00.000Z');

    // Assess
    expect(at0910).toEqual([]);
    expect(at0930).toEqual([event.eventId]);
    expect(afterRemove).toEqual([]);
    expect(await s.events.get(tenant, event.eventId)).not.toHaveProperty('dueAt');
  });

  test('an event stored without dueAt is never in the due index', async () => {
    // Prepare
    const event = storedEvent({ dueAt: undefined });

    // Act
    await s.events.putIfAbsent(event);

    // Assess
    expect(await dueIdsOf('2030-01-01T00:00:00.000Z')).toEqual([]);
  });

  test('listDue stops at the limit across pages, oldest due first', async () => {
    // Prepare
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const e = storedEvent({ dueAt: `1999-01-01T00:00:0${i}.000Z` });
      ids.push(e.eventId);
      await s.events.putIfAbsent(e);
    }

    // Act
    const due = await s.events.listDue('1999-01-01T00:00:09.000Z', 3);

    // Assess
    expect(due.map((e) => e.eventId)).toEqual(ids.slice(0, 3));
  });

  test('byTenantTimeV2 lists a tenant newest first, paginates with a cursor, and never shows other tenants', async () => {
    // Prepare
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const e = storedEvent({ receivedAt: `2024-10-24T09:00:0${i}.000Z` });
      ids.push(e.eventId);
      await s.events.putIfAbsent(e);
    }
    await s.events.putIfAbsent(storedEvent({ tenantId: `${tenant}x`, receivedAt: '2024-10-24T09:00:05.500Z' }));
    const pages: string[][] = [];
    let cursor: string | undefined;

    // Act
    do {
      const page = await s.events.listByTenant(tenant, { limit: 3, cursor });
      pages.push(page.items.map((e) => e.eventId));
      cursor = page.nextCursor;
    } while (cursor);

    // Assess
    expect(pages[0]).toEqual(ids.slice(4).reverse());
    expect(pages.flat()).toEqual([...ids].reverse());
    expect(pages.every((p) => p.length <= 3)).toBe(true);
  });

  test('a cursor that this query did not produce is refused with InvalidCursorError', async () => {
    // Prepare
    await s.events.putIfAbsent(storedEvent());
    const foreign = Buffer.from(JSON.stringify({ pk: 'T#zz', sk: 'E#1', gsi1pk: 'T#zz', gsi1sk: 'x' })).toString(
      'base64url',
    );

    await s.events.putIfAbsent(storedEvent({ tenantId: `${tenant}x` }));
    await s.events.putIfAbsent(storedEvent({ tenantId: `${tenant}x` }));
    const othersCursor = (await s.events.listByTenant(`${tenant}x`, { limit: 1 })).nextCursor;

    // Act
    const garbage = s.events.listByTenant(tenant, { limit: 2, cursor: 'garbage!' });
    const v1Key = s.events.listByTenant(tenant, { limit: 2, cursor: foreign });
    const otherTenant = s.events.listByTenant(tenant, { limit: 2, cursor: othersCursor });

    // Assess
    expect(othersCursor).toEqual(expect.any(String));
    await expect(garbage).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(v1Key).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(otherTenant).rejects.toBeInstanceOf(InvalidCursorError);
  });

  test('a body over 32 KB is stored gzipped and read back byte for byte (get and list)', async () => {
    // Prepare
    const rawBody = JSON.stringify({ clientId: 42, note: `héllo ✓ ${randomBytes(30 * 1024).toString('base64')}` });
    const event = storedEvent({ rawBody });

    // Act
    await s.events.putIfAbsent(event);
    const item = await s.rawItem(s.tables.eventsTable, ...eventKey(event));
    const got = await s.events.get(tenant, event.eventId);
    const listed = await s.events.listByTenant(tenant, { limit: 1 });

    // Assess
    expect(Buffer.byteLength(rawBody)).toBeGreaterThan(32 * 1024);
    expect(item?.rawBodyGz).toBeInstanceOf(Uint8Array);
    expect(item).not.toHaveProperty('rawBody');
    expect(got?.rawBody).toBe(rawBody);
    expect(listed.items[0]?.rawBody).toBe(rawBody);
    expect(got).not.toHaveProperty('rawBodyGz');
  });

  test('a body up to 32 KB is stored as text', async () => {
    // Prepare
    const rawBody = 'x'.repeat(32 * 1024);
    const event = storedEvent({ rawBody });

    // Act
    await s.events.putIfAbsent(event);
    const item = await s.rawItem(s.tables.eventsTable, ...eventKey(event));

    // Assess
    expect(item?.rawBody).toBe(rawBody);
    expect(item).not.toHaveProperty('rawBodyGz');
  });

  test('a body that stays too large after gzip is refused with PayloadTooLargeError, nothing stored', async () => {
    // Prepare
    const event = storedEvent({ rawBody: randomBytes(600 * 1024).toString('base64') });

    // Act
    const put = s.events.putIfAbsent(event);

    // Assess
    await expect(put).rejects.toBeInstanceOf(PayloadTooLargeError);
    expect(await s.events.get(tenant, event.eventId)).toBeUndefined();
  });

  test('stored items carry the table layout keys, which get() strips again', async () => {
    // Prepare
    const event = storedEvent();

    // Act
    await s.events.putIfAbsent(event);
    const item = await s.rawItem(s.tables.eventsTable, ...eventKey(event));

    // Assess
    expect(item).toMatchObject({
      pk: `T#${tenant}#E#${event.eventId}`,
      sk: 'EVENT',
      gsi1pk: tenantTimePk(tenant, event.eventId),
      gsi1sk: `${event.receivedAt}#${event.eventId}`,
      // The business ids as top-level strings, for listings that filter on them in the tenant index.
      clientId: '42',
      loanId: '7',
      // The due index is sharded by event id (table-schema.ts).
      duePk: duePk(event.eventId),
      dueAt: event.dueAt,
    });
    expect(Object.keys((await s.events.get(tenant, event.eventId))!).sort()).toEqual(Object.keys(event).sort());
  });
});

describe('events table layout v2: per-event partitions, a sharded tenant index written once, a lean due index', () => {
  test('listing merges the tenant shards newest first; cursors page through every event exactly once', async () => {
    // Prepare: 24 events, two of them at the same instant (the event id orders those).
    const events = Array.from({ length: 24 }, (_, i) =>
      storedEvent({ receivedAt: `2024-10-24T09:${String(Math.min(i, 22)).padStart(2, '0')}:00.000Z` }),
    );
    for (const e of events) await s.events.putIfAbsent(e);
    const newestFirst = [...events]
      .sort((a, b) => `${a.receivedAt}#${a.eventId}`.localeCompare(`${b.receivedAt}#${b.eventId}`))
      .reverse()
      .map((e) => e.eventId);
    const pages: string[][] = [];
    let cursor: string | undefined;

    // Act
    do {
      const page = await s.events.listByTenant(tenant, { limit: 5, cursor });
      pages.push(page.items.map((e) => e.eventId));
      cursor = page.nextCursor;
    } while (cursor);
    const whole = await s.events.listByTenant(tenant, { limit: 100 });

    // Assess
    expect(new Set(events.map((e) => tenantTimePk(tenant, e.eventId)))).toEqual(new Set(tenantTimePartitions(tenant)));
    expect(pages.map((p) => p.length)).toEqual([5, 5, 5, 5, 4]);
    expect(pages.flat()).toEqual(newestFirst);
    expect(whole.items.map((e) => e.eventId)).toEqual(newestFirst);
    expect(whole.nextCursor).toBeUndefined();
    expect(whole.items[0]).toEqual(events.find((e) => e.eventId === newestFirst[0]));
  });

  test('a listing shows the current status, read from the table (the index does not hold it)', async () => {
    // Prepare
    const event = storedEvent();
    await s.events.putIfAbsent(event);

    // Act
    await s.events.update(tenant, event.eventId, { status: 'sent', updatedAt: '2024-10-24T09:01:00.000Z' });
    const page = await s.events.listByTenant(tenant, { limit: 10 });

    // Assess
    expect(page.items).toEqual([
      expect.objectContaining({ eventId: event.eventId, status: 'sent', rawBody: event.rawBody }),
    ]);
  });

  test('status updates never rewrite the tenant index item; it holds only what never changes', async () => {
    // Prepare
    const event = storedEvent({ ids: { commandId: 9, clientId: 42, loanId: 7, officeId: 1 } });
    await s.events.putIfAbsent(event);
    const shard = tenantTimePk(tenant, event.eventId);
    const before = await s.indexItems(s.tables.eventsTable, BY_TENANT_TIME, shard);

    // Act
    await s.events.update(
      tenant,
      event.eventId,
      { status: 'processing', updatedAt: '2024-10-24T09:00:01.000Z', dueAt: '2024-10-24T09:10:00.000Z' },
      { incrementAttempts: true },
    );
    await s.events.update(tenant, event.eventId, { status: 'sent', updatedAt: '2024-10-24T09:00:02.000Z' });
    const after = await s.indexItems(s.tables.eventsTable, BY_TENANT_TIME, shard);

    // Assess
    expect(after).toEqual(before);
    expect(before).toEqual([
      {
        pk: eventPk(tenant, event.eventId),
        sk: EVENT_SK,
        gsi1pk: shard,
        gsi1sk: `${event.receivedAt}#${event.eventId}`,
        tenantId: tenant,
        eventId: event.eventId,
        entity: 'LOAN',
        action: 'REPAYMENT',
        receivedAt: event.receivedAt,
        commandId: '9',
        clientId: '42',
        loanId: '7',
      },
    ]);
  });

  test('the due index item holds the ids and the due time only, never the raw body', async () => {
    // Prepare
    const event = storedEvent({ rawBody: '{"clientId":42,"secretish":"x"}' });

    // Act
    await s.events.putIfAbsent(event);
    const items = await s.indexItems(s.tables.eventsTable, BY_DUE, duePk(event.eventId));
    const due = (await s.events.listDue('2030-01-01T00:00:00.000Z', 1000)).filter((e) => e.tenantId === tenant);

    // Assess
    expect(items.filter((i) => i.tenantId === tenant)).toEqual([
      {
        pk: eventPk(tenant, event.eventId),
        sk: EVENT_SK,
        duePk: duePk(event.eventId),
        dueAt: event.dueAt,
        tenantId: tenant,
        eventId: event.eventId,
      },
    ]);
    expect(due).toEqual([{ tenantId: tenant, eventId: event.eventId, dueAt: event.dueAt }]);
  });

  test("an event's messages and deliveries share its partition; each listByEvent is one Query", async () => {
    // Prepare
    const sent: string[] = [];
    const counting = {
      send: (command: { constructor: { name: string } }) => {
        sent.push(command.constructor.name);
        return dynamo.doc.send(command as never);
      },
    } as unknown as typeof dynamo.doc;
    const messages = new DynamoDbMessageStore(counting, s.tables.eventsTable);
    const deliveries = new DynamoDbForwardDeliveryStore(counting, s.tables.eventsTable);
    const event = storedEvent();
    await s.events.putIfAbsent(event);
    const base = {
      tenantId: tenant,
      eventId: event.eventId,
      createdAt: '2024-10-24T09:00:00.000Z',
      updatedAt: '2024-10-24T09:00:00.000Z',
    };
    await messages.createIfAbsent({
      ...base,
      messageId: `${event.eventId}.LOAN.REPAYMENT`,
      templateKey: 'LOAN.REPAYMENT',
      status: 'pending',
      to: '+254712345678',
      body: 'Payment received',
      encoding: 'GSM-7',
      segments: 1,
    });
    await deliveries.createIfAbsent({
      ...base,
      messageId: `${event.eventId}.F.tgt1`,
      targetId: 'tgt1',
      status: 'pending',
      webhookId: 'msg_1',
      attempts: 0,
    });
    sent.length = 0;

    // Act
    const listedMessages = await messages.listByEvent(tenant, event.eventId);
    const listedDeliveries = await deliveries.listByEvent(tenant, event.eventId);
    const collection = (await s.scan(s.tables.eventsTable)).filter((i) => i.pk === eventPk(tenant, event.eventId));

    // Assess
    expect(sent).toEqual(['QueryCommand', 'QueryCommand']);
    expect(listedMessages.map((m) => m.messageId)).toEqual([`${event.eventId}.LOAN.REPAYMENT`]);
    expect(listedDeliveries.map((d) => d.messageId)).toEqual([`${event.eventId}.F.tgt1`]);
    expect(collection.map((i) => i.sk).sort()).toEqual(
      ['EVENT', `F#${event.eventId}.F.tgt1`, `M#${event.eventId}.LOAN.REPAYMENT`].sort(),
    );
  });

  test('a record whose id does not start with its event id is refused (it could not be found again)', async () => {
    // Act
    const created = s.messages.createIfAbsent({
      tenantId: tenant,
      messageId: 'other.CLIENT.CREATE',
      eventId: 'evt1',
      templateKey: 'CLIENT.CREATE',
      status: 'pending',
      to: '+254712345678',
      body: 'x',
      encoding: 'GSM-7',
      segments: 1,
      createdAt: '2024-10-24T09:00:00.000Z',
      updatedAt: '2024-10-24T09:00:00.000Z',
    });

    // Assess
    await expect(created).rejects.toThrow(/does not start with its event id/);
  });
});

describe('DynamoDbMessageStore', () => {
  function message(overrides: Partial<MessageRecord> = {}): MessageRecord {
    return {
      tenantId: tenant,
      messageId: 'evt1.CLIENT.CREATE',
      eventId: 'evt1',
      templateKey: 'CLIENT.CREATE',
      status: 'pending',
      to: '+254712345678',
      from: '+15005550006',
      body: 'Hello Jane Doe, welcome!',
      encoding: 'GSM-7',
      segments: 1,
      createdAt: '2024-10-24T09:00:00.000Z',
      updatedAt: '2024-10-24T09:00:00.000Z',
      ...overrides,
    };
  }

  test('createIfAbsent creates once and returns the stored record the second time', async () => {
    // Prepare
    const first = message();

    // Act
    const created = await s.messages.createIfAbsent(first);
    const again = await s.messages.createIfAbsent(message({ body: 'another text', status: 'sent' }));

    // Assess
    expect(created).toEqual(first);
    expect(again).toEqual(first);
    expect(await s.messages.get(tenant, first.messageId)).toEqual(first);
  });

  test('a message record expires with the event retention, counted again from each transition', async () => {
    // Prepare
    const record = message({ messageId: 'evt-ttl.CLIENT.CREATE', eventId: 'evt-ttl' });
    const before = Math.floor(Date.now() / 1000);

    // Act
    await s.messages.createIfAbsent(record);
    const created = await s.rawItem(s.tables.eventsTable, eventPk(tenant, 'evt-ttl'), messageSk(record.messageId));
    const moved = await s.messages.transition(tenant, record.messageId, ['pending'], { status: 'sending' });
    const transitioned = await s.rawItem(s.tables.eventsTable, eventPk(tenant, 'evt-ttl'), messageSk(record.messageId));

    // Assess
    const ninetyDays = 90 * 86400;
    expect(created?.ttl).toBeGreaterThanOrEqual(before + ninetyDays);
    expect(transitioned?.ttl).toBeGreaterThanOrEqual(created?.ttl as number);
    expect(moved).not.toHaveProperty('ttl');
  });

  test('transition moves pending → sending → sent, and refuses from a status not listed', async () => {
    // Prepare
    const m = await s.messages.createIfAbsent(message());

    // Act
    const sending = await s.messages.transition(tenant, m.messageId, ['pending'], {
      status: 'sending',
      leaseUntil: '2024-10-24T09:01:00.000Z',
      attemptStartedAt: '2024-10-24T09:00:00.000Z',
    });
    const wrongFrom = await rejectionOf(s.messages.transition(tenant, m.messageId, ['pending'], { status: 'sending' }));
    const sent = await s.messages.transition(tenant, m.messageId, ['sending'], { status: 'sent', sid: 'SM123' });

    // Assess
    expect(sending).toMatchObject({ status: 'sending', leaseUntil: '2024-10-24T09:01:00.000Z' });
    expect(wrongFrom).toBeInstanceOf(ConditionFailedError);
    expect(sent).toMatchObject({ status: 'sent', sid: 'SM123', body: m.body });
  });

  test('transition with keepStored: a report’s sid fills a record without one and never replaces a stored one', async () => {
    // Prepare
    const withSid = await s.messages.createIfAbsent(message({ status: 'sent', sid: 'SM-sent' }));
    const without = await s.messages.createIfAbsent(
      message({ messageId: 'evt-nosid.CLIENT.CREATE', eventId: 'evt-nosid', status: 'sent' }),
    );

    // Act
    const kept = await s.messages.transition(
      tenant,
      withSid.messageId,
      ['sent'],
      { status: 'delivered', sid: 'SM-report' },
      {},
      { keepStored: ['sid'] },
    );
    const filled = await s.messages.transition(
      tenant,
      without.messageId,
      ['sent'],
      { status: 'delivered', sid: 'SM-report' },
      {},
      { keepStored: ['sid'] },
    );
    const missing = await rejectionOf(
      s.messages.transition(tenant, 'evt-none.CLIENT.CREATE', ['sent'], { status: 'delivered' }, {}, {}),
    );

    // Assess
    expect(kept).toMatchObject({ status: 'delivered', sid: 'SM-sent' });
    expect(filled).toMatchObject({ status: 'delivered', sid: 'SM-report' });
    expect(missing).toBeInstanceOf(ConditionFailedError);
  });

  test('transition with expect: only the holder of the lease (and the right sid) may move the record', async () => {
    // Prepare
    const m = await s.messages.createIfAbsent(message());
    await s.messages.transition(tenant, m.messageId, ['pending'], { status: 'sending', leaseUntil: 'lease-A' });

    // Act
    const stale = await rejectionOf(
      s.messages.transition(
        tenant,
        m.messageId,
        ['sending'],
        { status: 'sent', sid: 'SM-B' },
        { leaseUntil: 'lease-B' },
      ),
    );
    const holder = await s.messages.transition(
      tenant,
      m.messageId,
      ['sending'],
      { status: 'sent', sid: 'SM-A' },
      { leaseUntil: 'lease-A' },
    );
    const wrongSid = await rejectionOf(
      s.messages.transition(tenant, m.messageId, ['sent'], { status: 'delivered' }, { sid: 'SM-B' }),
    );
    const rightSid = await s.messages.transition(
      tenant,
      m.messageId,
      ['sent'],
      { status: 'delivered' },
      { sid: 'SM-A' },
    );

    // Assess
    expect(stale).toBeInstanceOf(ConditionFailedError);
    expect(holder).toMatchObject({ status: 'sent', sid: 'SM-A' });
    expect(wrongSid).toBeInstanceOf(ConditionFailedError);
    expect(rightSid).toMatchObject({ status: 'delivered', sid: 'SM-A' });
  });

  test('transition of a missing message fails and creates nothing', async () => {
    // Prepare
    const messageId = 'nope.CLIENT.CREATE';

    // Act
    const moved = s.messages.transition(tenant, messageId, ['pending'], { status: 'sending' });

    // Assess
    await expect(moved).rejects.toBeInstanceOf(ConditionFailedError);
    expect(await s.messages.get(tenant, messageId)).toBeUndefined();
  });

  test('listByEvent returns the messages of one event only, and does not mix with event items', async () => {
    // Prepare
    await s.events.putIfAbsent(storedEvent({ eventId: 'evt1' }));
    await s.messages.createIfAbsent(message({ messageId: 'evt1.CLIENT.CREATE' }));
    await s.messages.createIfAbsent(message({ messageId: 'evt1.CLIENT.CREATE#2', templateKey: 'X' }));
    await s.messages.createIfAbsent(message({ messageId: 'evt10.CLIENT.CREATE', eventId: 'evt10' }));
    await s.messages.createIfAbsent(message({ messageId: 'evt2.CLIENT.CREATE', eventId: 'evt2' }));

    // Act
    const list = await s.messages.listByEvent(tenant, 'evt1');

    // Assess
    expect(list.map((m) => m.messageId).sort()).toEqual(['evt1.CLIENT.CREATE', 'evt1.CLIENT.CREATE#2']);
    expect(list.every((m) => !('pk' in m) && !('sk' in m))).toBe(true);
  });
});

describe('DynamoDbTenantStore', () => {
  function apiKey(overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
    const keyHash = overrides.keyHash ?? randomBytes(32).toString('hex');
    return {
      tenantId: tenant,
      keyHash,
      fingerprint: keyHash.slice(0, 12),
      createdAt: '2024-10-24T09:00:00.000Z',
      ...overrides,
    };
  }

  function config(overrides: Partial<TenantConfig> = {}): TenantConfig {
    return {
      tenantId: tenant,
      smsProvider: 'twilio',
      phoneNo: '+15005550006',
      accountSid: 'AC0123456789abcdef0123456789abcdef',
      endpoint: 'https://fineract.example.org/fineract-provider/api/',
      apiBase: 'https://fineract.example.org/fineract-provider/api/v1/',
      registeredAt: '2024-10-24T09:00:00.000Z',
      updatedAt: '2024-10-24T09:00:00.000Z',
      registrationId: 'reg-1',
      ...overrides,
    };
  }

  test('an API key is found by (tenant, hash) only: never under another tenant', async () => {
    // Prepare
    const record = apiKey({ label: 'registration' });

    // Act
    await s.tenants.putApiKey(record);

    // Assess
    expect(await s.tenants.getApiKey(tenant, record.keyHash)).toEqual(record);
    expect(await s.tenants.getApiKey(`${tenant}-other`, record.keyHash)).toBeUndefined();
    expect(await s.tenants.getApiKey(tenant, 'f'.repeat(64))).toBeUndefined();
  });

  test('listApiKeys lists one tenant keys; deleteApiKey removes one', async () => {
    // Prepare
    const a = apiKey();
    const b = apiKey();
    await s.tenants.putApiKey(a);
    await s.tenants.putApiKey(b);
    await s.tenants.putApiKey(apiKey({ tenantId: `${tenant}-other` }));

    // Act
    const before = await s.tenants.listApiKeys(tenant);
    await s.tenants.deleteApiKey(tenant, a.keyHash);
    const after = await s.tenants.listApiKeys(tenant);

    // Assess
    expect(before.map((k) => k.keyHash).sort()).toEqual([a.keyHash, b.keyHash].sort());
    expect(after).toEqual([b]);
  });

  test('expireApiKey sets or shortens an expiry, never extends it, and never creates a key', async () => {
    // Prepare
    const record = apiKey();
    await s.tenants.putApiKey(record);

    // Act
    await s.tenants.expireApiKey(tenant, record.keyHash, '2024-10-25T09:00:00.000Z');
    const set = await s.tenants.getApiKey(tenant, record.keyHash);
    await s.tenants.expireApiKey(tenant, record.keyHash, '2024-10-30T09:00:00.000Z');
    const notExtended = await s.tenants.getApiKey(tenant, record.keyHash);
    await s.tenants.expireApiKey(tenant, record.keyHash, '2024-10-24T10:00:00.000Z');
    const shortened = await s.tenants.getApiKey(tenant, record.keyHash);
    const item = await s.rawItem(s.tables.tenantsTable, `T#${tenant}`, `KEY#${record.keyHash}`);
    await s.tenants.expireApiKey(tenant, 'a'.repeat(64), '2024-10-25T09:00:00.000Z');

    // Assess
    expect(set?.expiresAt).toBe('2024-10-25T09:00:00.000Z');
    expect(notExtended?.expiresAt).toBe('2024-10-25T09:00:00.000Z');
    expect(shortened?.expiresAt).toBe('2024-10-24T10:00:00.000Z');
    expect(item?.ttl).toBe(Date.parse('2024-10-24T10:00:00.000Z') / 1000 + 3600);
    expect(shortened).not.toHaveProperty('ttl');
    expect(await s.tenants.getApiKey(tenant, 'a'.repeat(64))).toBeUndefined();
  });

  test('tenant config: put, get (no table keys), replace, list sorted, delete', async () => {
    // Prepare
    const other = `${tenant}-a`;
    await s.tenants.putTenant(config());
    await s.tenants.putTenant(config({ tenantId: other }));

    // Act
    await s.tenants.putTenant(config({ phoneNo: '+15005550007', updatedAt: '2024-10-24T10:00:00.000Z' }));
    const got = await s.tenants.getTenant(tenant);
    const listed = (await s.tenants.listTenants()).map((t) => t.tenantId).filter((id) => id.startsWith(tenant));
    await s.tenants.deleteTenant(other);

    // Assess
    expect(got).toEqual(config({ phoneNo: '+15005550007', updatedAt: '2024-10-24T10:00:00.000Z' }));
    expect(listed).toEqual([tenant, other].sort());
    expect(await s.tenants.getTenant(other)).toBeUndefined();
  });

  test('markCredentialsInvalid marks only the registration it was meant for', async () => {
    // Prepare
    await s.tenants.putTenant(config({ registrationId: 'reg-2' }));

    // Act
    await s.tenants.markCredentialsInvalid(tenant, '2024-10-24T11:00:00.000Z', 'reg-1');
    const stale = await s.tenants.getTenant(tenant);
    await s.tenants.markCredentialsInvalid(tenant, '2024-10-24T11:00:00.000Z', 'reg-2');
    const current = await s.tenants.getTenant(tenant);
    await s.tenants.markCredentialsInvalid(`${tenant}-missing`, '2024-10-24T11:00:00.000Z', 'reg-2');

    // Assess
    expect(stale).not.toHaveProperty('credentialsInvalidAt');
    expect(current?.credentialsInvalidAt).toBe('2024-10-24T11:00:00.000Z');
    expect(await s.tenants.getTenant(`${tenant}-missing`)).toBeUndefined();
  });

  test('locks: one holder at a time, others wait for the lease to end; only the owner releases', async () => {
    // Prepare
    const name = `register#${tenant}`;

    // Act
    const a = await s.tenants.acquireLock(name, 'A', '2024-10-24T09:00:30.000Z', '2024-10-24T09:00:00.000Z');
    const bWhileHeld = await s.tenants.acquireLock(name, 'B', '2024-10-24T09:00:40.000Z', '2024-10-24T09:00:10.000Z');
    await s.tenants.releaseLock(name, 'B');
    const bAfterWrongRelease = await s.tenants.acquireLock(
      name,
      'B',
      '2024-10-24T09:00:40.000Z',
      '2024-10-24T09:00:10.000Z',
    );
    const bAfterLease = await s.tenants.acquireLock(name, 'B', '2024-10-24T09:01:31.000Z', '2024-10-24T09:00:31.000Z');
    await s.tenants.releaseLock(name, 'B');
    const cAfterRelease = await s.tenants.acquireLock(
      name,
      'C',
      '2024-10-24T09:01:00.000Z',
      '2024-10-24T09:00:32.000Z',
    );

    // Assess
    expect([a, bWhileHeld, bAfterWrongRelease, bAfterLease, cAfterRelease]).toEqual([true, false, false, true, true]);
  });

  test('concurrent acquireLock: exactly one wins', async () => {
    // Prepare
    const name = `race#${tenant}`;

    // Act
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        s.tenants.acquireLock(name, `owner-${i}`, '2024-10-24T09:00:30.000Z', '2024-10-24T09:00:00.000Z'),
      ),
    );

    // Assess
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  test('templates: put, replace, list per tenant, delete', async () => {
    // Prepare
    await s.tenants.putTemplate(tenant, 'CLIENT.CREATE', 'Hello {{name}}');
    await s.tenants.putTemplate(tenant, 'LOAN.REPAYMENT', 'Paid {{amount}}');
    await s.tenants.putTemplate(`${tenant}-other`, 'CLIENT.CREATE', 'Other');

    // Act
    await s.tenants.putTemplate(tenant, 'CLIENT.CREATE', 'Welcome {{name}}');
    const both = await s.tenants.getTemplates(tenant);
    await s.tenants.deleteTemplate(tenant, 'LOAN.REPAYMENT');
    const one = await s.tenants.getTemplates(tenant);

    // Assess
    expect(both).toEqual({ 'CLIENT.CREATE': 'Welcome {{name}}', 'LOAN.REPAYMENT': 'Paid {{amount}}' });
    expect(one).toEqual({ 'CLIENT.CREATE': 'Welcome {{name}}' });
    expect(await s.tenants.getTemplates(`${tenant}-none`)).toEqual({});
  });

  test('enrollment: put, get, delete; it is not a tenant config', async () => {
    // Prepare
    const enrollment = {
      tenantId: tenant,
      endpointPrefix: 'https://fineract.example.org/',
      enrolledAt: '2024-10-24T09:00:00.000Z',
    };

    // Act
    await s.tenants.putEnrollment(enrollment);
    const got = await s.tenants.getEnrollment(tenant);
    const asTenant = await s.tenants.getTenant(tenant);
    await s.tenants.deleteEnrollment(tenant);

    // Assess
    expect(got).toEqual(enrollment);
    expect(asTenant).toBeUndefined();
    expect(await s.tenants.getEnrollment(tenant)).toBeUndefined();
  });
});
