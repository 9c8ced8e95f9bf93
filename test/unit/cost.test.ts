import { DynamoDBClient, TransactWriteItemsCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { type OperationCount, RequestCounter, type RequestCounts } from '../../lambdas/adapters/request-counter';
import { COST_ASSUMPTIONS, logUsagePerEvent, smsEventCost, workerDynamoRequests } from '../../bench/cost';
import { lambdaLineOverheadBytes, metricLineBytes } from '../../bench/log-bytes';

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

describe('HTTP API requests and log bytes per SMS event', () => {
  it('prices the hook as the one HTTP API request: delivery reports come through the function URL', () => {
    // Act
    const row = smsEventCost({}, 1);

    // Assess
    expect(COST_ASSUMPTIONS.httpApiRequestsPerDeliveryReport).toBe(0);
    expect(row.usage.httpApiRequests).toBe(1);
    expect(row.perMillion.httpApi).toBeCloseTo(1, 10);
  });

  it('weighs the lines the local server logged, with the keys Powertools adds in Lambda and a metric line per invocation that counted', () => {
    // Prepare
    const logs = { lines: 250, bytes: 49_000, byMessage: { 'event accepted': 100 } };
    const overhead = lambdaLineOverheadBytes();
    const m = COST_ASSUMPTIONS.metricsPerInvocation;
    const metricBytes = metricLineBytes(m.ingest) + metricLineBytes(m.worker) / 10 + metricLineBytes(m.twilioStatus);

    // Act
    const measured = logUsagePerEvent(100, logs);
    const assumed = logUsagePerEvent(100);

    // Assess: 2.5 application lines and 2.1 metric lines (ingest, a tenth of a batch, the final report: a "sent"
    // report counts nothing); no platform lines
    expect(measured.measured).toBe(true);
    expect(measured.lines).toBeCloseTo(2.5 + 2.1, 10);
    expect(measured.bytes).toBeCloseTo(490 + 2.5 * overhead + metricBytes, 6);
    expect(assumed.measured).toBe(false);
    expect(assumed.bytes).toBeCloseTo(2 * (COST_ASSUMPTIONS.appLogBytesPerLine + overhead) + metricBytes, 6);
    expect(smsEventCost({}, 100, undefined, logs)).toMatchObject({ logBytes: measured.bytes, logsMeasured: true });
  });

  it('measures what Lambda adds: the context keys on every line, a metric line that grows with its names', () => {
    // Act
    const overhead = lambdaLineOverheadBytes();
    const one = metricLineBytes({ EventAccepted: 1 });
    const two = metricLineBytes({ EventAccepted: 1, SmsSent: 1 });

    // Assess
    expect(overhead).toBeGreaterThan(50);
    expect(one).toBeGreaterThan(100);
    expect(two).toBeGreaterThan(one);
  });
});
