import { GetQueueAttributesCommand, SQSClient, StartMessageMoveTaskCommand } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { redriveDeadLetters } from '../../lambdas/adapters/sqs-work-queue';

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/111122223333/work';
const DLQ_URL = 'https://sqs.eu-west-1.amazonaws.com/111122223333/work-dlq';

describe('dlq redrive', () => {
  it('moves the dead letters to the work queue, named as the destination', async () => {
    // Prepare
    const sqs = mockClient(SQSClient);
    sqs.on(GetQueueAttributesCommand, { QueueUrl: QUEUE_URL }).resolves({
      Attributes: { QueueArn: 'arn:aws:sqs:eu-west-1:111122223333:work' },
    });
    sqs.on(GetQueueAttributesCommand, { QueueUrl: DLQ_URL }).resolves({
      Attributes: { QueueArn: 'arn:aws:sqs:eu-west-1:111122223333:work-dlq' },
    });
    sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'task-1' });

    // Act
    const handle = await redriveDeadLetters(new SQSClient({}), { deadLetterQueueUrl: DLQ_URL, queueUrl: QUEUE_URL });

    // Assess
    expect(handle).toBe('task-1');
    expect(sqs.commandCalls(StartMessageMoveTaskCommand).map((c) => c.args[0].input)).toEqual([
      {
        SourceArn: 'arn:aws:sqs:eu-west-1:111122223333:work-dlq',
        DestinationArn: 'arn:aws:sqs:eu-west-1:111122223333:work',
      },
    ]);
    sqs.restore();
  });
});
