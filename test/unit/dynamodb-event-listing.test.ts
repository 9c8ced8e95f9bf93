import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDbEventStore } from '../../lambdas/adapters/dynamodb-event-store';
import { EVENT_SK, eventPk, tenantTimePk, tenantTimeSk } from '../../lambdas/adapters/table-schema';

const TABLE = 'events';
const doc = DynamoDBDocumentClient.from(
  new DynamoDBClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
);
const ddb = mockClient(doc);

afterEach(() => {
  ddb.reset();
});

/** Two events of tenant t in (most likely) different shards, as the index and the table hold them. */
const events = ['evt-a', 'evt-b'].map((eventId, i) => {
  const receivedAt = `2024-10-24T09:00:0${i}.000Z`;
  const key = { pk: eventPk('t', eventId), sk: EVENT_SK };
  return {
    eventId,
    index: { ...key, gsi1pk: tenantTimePk('t', eventId), gsi1sk: tenantTimeSk(receivedAt, eventId) },
    item: { ...key, tenantId: 't', eventId, receivedAt, status: 'sent', rawBody: '{}' },
  };
});

function indexAnswers(): void {
  ddb.on(QueryCommand).callsFake((input: { ExpressionAttributeValues: Record<string, string> }) => ({
    Items: events.filter((e) => e.index.gsi1pk === input.ExpressionAttributeValues[':p']).map((e) => e.index),
  }));
}

describe('DynamoDbEventStore.listByTenant: the page items come from BatchGetItem', () => {
  test('keys BatchGetItem leaves unprocessed are asked again, and the page keeps newest-first order', async () => {
    // Prepare
    indexAnswers();
    const [a, b] = events;
    ddb
      .on(BatchGetCommand)
      .resolvesOnce({
        Responses: { [TABLE]: [a!.item] },
        UnprocessedKeys: { [TABLE]: { Keys: [{ pk: b!.item.pk, sk: b!.item.sk }] } },
      })
      .resolvesOnce({ Responses: { [TABLE]: [b!.item] } });
    const store = new DynamoDbEventStore(doc, TABLE);

    // Act
    const page = await store.listByTenant('t', { limit: 10 });

    // Assess
    expect(page.items.map((e) => e.eventId)).toEqual(['evt-b', 'evt-a']);
    const batches = ddb.commandCalls(BatchGetCommand).map((c) => c.args[0].input.RequestItems?.[TABLE]?.Keys);
    expect(batches).toEqual([
      [
        { pk: b!.item.pk, sk: EVENT_SK },
        { pk: a!.item.pk, sk: EVENT_SK },
      ],
      [{ pk: b!.item.pk, sk: EVENT_SK }],
    ]);
  });

  test('a page whose keys stay unprocessed fails instead of silently dropping events', async () => {
    // Prepare
    indexAnswers();
    const [a] = events;
    ddb.on(BatchGetCommand).resolves({
      Responses: { [TABLE]: [] },
      UnprocessedKeys: { [TABLE]: { Keys: [{ pk: a!.item.pk, sk: a!.item.sk }] } },
    });
    const store = new DynamoDbEventStore(doc, TABLE);

    // Act
    const listing = store.listByTenant('t', { limit: 1 });

    // Assess
    await expect(listing).rejects.toThrow(/unprocessed/);
  });
});
