import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { diffCounts, RequestCounter, requestCounterFromEnv } from '../../lambdas/adapters/request-counter';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

/** Answers every command at the build step with a canned output, so nothing leaves the process. */
function answering<C extends DynamoDBClient | SQSClient>(
  client: C,
  output: Record<string, unknown>,
  seen?: unknown[],
): C {
  (client.middlewareStack as { add(m: never, o: never): void }).add(
    (() => async (args: { input: unknown }) => {
      seen?.push(args.input);
      return { output: { $metadata: {}, ...output }, response: {} };
    }) as never,
    { step: 'build', name: 'cannedAnswer' } as never,
  );
  return client;
}

describe('RequestCounter', () => {
  it('counts DynamoDB requests per operation with the capacity the engine reports', async () => {
    // Prepare
    const counter = new RequestCounter();
    const seen: unknown[] = [];
    const client = answering(
      counter.attach(new DynamoDBClient({ region: 'us-east-1', credentials }), 'DynamoDB'),
      { ConsumedCapacity: { TableName: 't', CapacityUnits: 3 } },
      seen,
    );

    // Act
    await client.send(new PutItemCommand({ TableName: 't', Item: { pk: { S: 'a' } } }));
    await client.send(new PutItemCommand({ TableName: 't', Item: { pk: { S: 'b' } } }));
    await client.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'a' } } }));

    // Assess
    const counts = counter.snapshot();
    expect(counts['DynamoDB.PutItem']).toMatchObject({ requests: 2, writeCapacityUnits: 6, readCapacityUnits: 0 });
    expect(counts['DynamoDB.GetItem']).toMatchObject({ requests: 1, readCapacityUnits: 3, writeCapacityUnits: 0 });
    expect(seen[0]).toMatchObject({ ReturnConsumedCapacity: 'TOTAL' });
  });

  it('counts SQS requests and marks responses without capacity as unreported', async () => {
    // Prepare
    const counter = new RequestCounter();
    const client = answering(
      counter.attach(new SQSClient({ region: 'us-east-1', credentials, md5: false }), 'SQS'),
      {},
    );

    // Act
    await client.send(
      new SendMessageCommand({ QueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/q', MessageBody: 'x' }),
    );

    // Assess
    expect(counter.snapshot()['SQS.SendMessage']).toMatchObject({ requests: 1, unreported: 1 });
  });

  it('subtracts an earlier snapshot and drops operations that did not run in between', () => {
    // Prepare
    const counter = new RequestCounter();
    counter.recordCapacity('DynamoDB.PutItem', { CapacityUnits: 1 });
    const before = counter.snapshot();
    counter.recordCapacity('DynamoDB.GetItem', { CapacityUnits: 0.5 });

    // Act
    const after = counter.snapshot();
    after['DynamoDB.GetItem']!.requests = 1;
    const diff = diffCounts(after, before);

    // Assess
    expect(Object.keys(diff)).toEqual(['DynamoDB.GetItem']);
    expect(diff['DynamoDB.GetItem']?.readCapacityUnits).toBe(0.5);
  });

  it('is off unless COUNT_AWS_REQUESTS=1', () => {
    expect(requestCounterFromEnv({})).toBeUndefined();
    expect(requestCounterFromEnv({ COUNT_AWS_REQUESTS: '1' })).toBeInstanceOf(RequestCounter);
  });
});
