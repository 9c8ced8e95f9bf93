import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { LocalDelivery, LocalQueue } from '../local-queue';

type BatchHandler = (event: SQSEvent, context: never) => Promise<SQSBatchResponse | undefined>;

/**
 * Plays the part of Lambda's SQS event source in local mode: receives batches from the local queue, calls the very
 * same worker handler, deletes what succeeded and leaves the reported failures to their visibility timeout.
 * Wakes on every enqueue, so a hook reaches the worker in milliseconds.
 */
export class LocalWorkerRunner {
  private active = 0;
  private stopped = false;
  private readonly idleWaiters: (() => void)[] = [];
  private readonly unsubscribe: () => void;

  constructor(
    private readonly queue: LocalQueue,
    private readonly handler: BatchHandler,
    private readonly options: { concurrency: number; batchSize: number; onError?: (error: unknown) => void },
  ) {
    this.unsubscribe = queue.onReady(() => this.pump());
  }

  pump(): void {
    while (!this.stopped && this.active < this.options.concurrency) {
      const batch = this.queue.receive(this.options.batchSize);
      if (batch.length === 0) break;
      this.active++;
      void this.run(batch).finally(() => {
        this.active--;
        if (this.active === 0) for (const w of this.idleWaiters.splice(0)) w();
        this.pump();
      });
    }
  }

  /** Stops taking new batches and waits for the running ones. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    if (this.active > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private async run(batch: LocalDelivery[]): Promise<void> {
    const event: SQSEvent = { Records: batch.map(toRecord) };
    let failed = new Set<string>();
    try {
      const result = await this.handler(event, undefined as never);
      failed = new Set((result?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch (error) {
      // Lambda semantics: a thrown batch is retried whole after the visibility timeout.
      this.options.onError?.(error);
      return;
    }
    for (const delivery of batch) if (!failed.has(delivery.messageId)) this.queue.delete(delivery.receiptHandle);
  }
}

function toRecord(delivery: LocalDelivery): SQSRecord {
  return {
    messageId: delivery.messageId,
    receiptHandle: delivery.receiptHandle,
    body: delivery.body,
    attributes: {
      ApproximateReceiveCount: String(delivery.receiveCount),
      SentTimestamp: String(delivery.sentAt),
      SenderId: 'local',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:local:000000000000:work',
    awsRegion: 'local',
  };
}
