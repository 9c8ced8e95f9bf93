import {
  ChangeMessageVisibilityCommand,
  GetQueueAttributesCommand,
  SendMessageCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import type { Queue, QueueControl } from '../core/ports';
import type { WorkMessage } from '../core/model';

/** SQS longest delay per message; longer backoffs use the visibility timeout of the received message instead. */
const MAX_DELAY_SECONDS = 900;
/** SQS caps a visibility timeout at 12 hours from the receive; the batch handler already asks for less. */
const MAX_VISIBILITY_SECONDS = 43200;

export class SqsWorkQueue implements Queue, QueueControl {
  readonly durable = true;

  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    private readonly deadLetterQueueUrl?: string,
  ) {}

  async enqueue(message: WorkMessage, delaySeconds = 0): Promise<void> {
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(message),
        DelaySeconds: Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.round(delaySeconds))),
      }),
    );
  }

  /** Hides a received message for the backoff delay; the worker then reports it as a batch item failure. */
  async changeVisibility(receiptHandle: string, seconds: number): Promise<void> {
    await this.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.queueUrl,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: Math.min(MAX_VISIBILITY_SECONDS, Math.max(0, Math.round(seconds))),
      }),
    );
  }

  async deadLetter(body: string, reason: string): Promise<void> {
    if (!this.deadLetterQueueUrl) throw new Error('DLQ_URL is not configured');
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.deadLetterQueueUrl,
        MessageBody: body,
        MessageAttributes: { reason: { DataType: 'String', StringValue: reason.slice(0, 256) } },
      }),
    );
  }
}

/**
 * Moves the DLQ's messages to the work queue. The worker dead-letters messages itself (SendMessage, not the
 * queue's redrive policy), so SQS knows no source for them: "back to source" fails, the work queue must be named
 * as the destination.
 */
export async function redriveDeadLetters(
  sqs: SQSClient,
  queues: { deadLetterQueueUrl: string; queueUrl: string },
): Promise<string> {
  const [sourceArn, destinationArn] = await Promise.all([
    queueArn(sqs, queues.deadLetterQueueUrl),
    queueArn(sqs, queues.queueUrl),
  ]);
  const task = await sqs.send(
    new StartMessageMoveTaskCommand({ SourceArn: sourceArn, DestinationArn: destinationArn }),
  );
  return task.TaskHandle ?? 'started';
}

async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  const arn = attrs.Attributes?.QueueArn;
  if (!arn) throw new Error(`The queue ${queueUrl} has no ARN attribute`);
  return arn;
}
