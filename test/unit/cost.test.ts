import { DynamoDBClient, TransactWriteItemsCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { type OperationCount, RequestCounter, type RequestCounts } from '../../lambdas/adapters/request-counter';
import { COST_ASSUMPTIONS, smsEventCost, workerDynamoRequests } from '../../bench/cost';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

/** Answers every command at the build step, so nothing leaves the process. */
function answering(client: DynamoDBClient, output: Record<string, unknown>): DynamoDBClient {
  (client.middlewareStack as { add(m: never, o: never): void }).add(
    (() => async () => ({ output: { $metadata: {}, ...output }, response: {} })) as never,
    { step: 'build', name: 'cannedAnswer' } as never,
  );
  return client;
}

const count = (requests: number, items = requests, wcu = 0, unreported = 0): OperationCount => ({
  requests,
  items,
  readCapacityUnits: 0,
  writeCapacityUnits: wcu,
  unreported,
  requestBytes: 0,
});

describe('request counts per function', () => {
  it('counts a scoped client twice: in the totals and under its function', async () => {
    // Prepare
    const counter = new RequestCounter();
    const client = answering(
      counter.attach(new DynamoDBClient({ region: 'us-east-1', credentials }), 'DynamoDB', 'worker'),
      { ConsumedCapacity: { TableName: 't', CapacityUnits: 1 } },
    );

    // Act
    await client.send(new UpdateItemCommand({ TableName: 't', Key: { pk: { S: 'a' } } }));

    // Assess
    const counts = counter.snapshot();
    expect(counts['DynamoDB.UpdateItem']).toMatchObject({ requests: 1, items: 1, writeCapacityUnits: 1 });
    expect(counts['worker:DynamoDB.UpdateItem']).toMatchObject({ requests: 1, items: 1, writeCapacityUnits: 1 });
  });

  it('counts a transaction as its items', async () => {
    // Prepare
    const counter = new RequestCounter();
    const client = answering(counter.attach(new DynamoDBClient({ region: 'us-east-1', credentials }), 'DynamoDB'), {});
    const update = { Update: { TableName: 't', Key: { pk: { S: 'a' } }, UpdateExpression: 'SET a = :a' } };

    // Act
    await client.send(new TransactWriteItemsCommand({ TransactItems: [update, update] }));

    // Assess
    expect(counter.snapshot()['DynamoDB.TransactWriteItems']).toMatchObject({ requests: 1, items: 2 });
  });
});

describe('workerDynamoRequests', () => {
  it('sums the worker-scoped operations per event, items not requests', () => {
    // Prepare
    const counts: RequestCounts = {
      'DynamoDB.PutItem': count(200),
      'worker:DynamoDB.UpdateItem': count(200),
      'worker:DynamoDB.PutItem': count(100),
      'worker:DynamoDB.TransactWriteItems': count(100, 200),
      'worker:DynamoDB.GetItem': count(10),
    };

    // Act
    const worker = workerDynamoRequests(counts, 100);

    // Assess
    expect(worker).toEqual({
      total: 5.1,
      reads: 0.1,
      writes: 5,
      byOperation: { UpdateItem: 2, PutItem: 1, TransactWriteItems: 2, GetItem: 0.1 },
    });
  });

  it('prices an unreported transaction at twice the units of its items, and does not add the worker copies again', () => {
    // Prepare
    const counts: RequestCounts = {
      'DynamoDB.TransactWriteItems': count(10, 20, 0, 10),
      'worker:DynamoDB.TransactWriteItems': count(10, 20, 0, 10),
    };

    // Act
    const row = smsEventCost(counts, 10);

    // Assess
    // 2 items an event at 2 WRU each, plus the 2 assumed delivery reports' writes.
    // The index writes the engine does not report come on top (COST_ASSUMPTIONS.indexWruPerSmsEvent).
    expect(row.dynamoWru).toBe(4 + 2 + COST_ASSUMPTIONS.indexWruPerSmsEvent);
    expect(row.dynamoWrites).toBe(2 + 2);
  });
});
