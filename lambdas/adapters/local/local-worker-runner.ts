import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { LocalDelivery, LocalQueue } from './local-queue';

type BatchHandler = (event: SQSEvent, context: never) => Promise<SQSBatchResponse | undefined>;

/**
 * Plays the part of Lambda's SQS event source in local mode: receives batches from the local queue, calls the very
 * same worker handler, deletes what succeeded and leaves the reported failures to their visibility timeout.
 * Wakes on every enqueue, so a hook reaches the worker in milliseconds.
 *
 * In AWS ingest and worker are separate functions; here they share one event loop. So while hook requests are
 * being answered (`busy()`), the worker steps aside and takes one message at most every `busyIntervalMs`: a burst of
 * hooks is acknowledged at the speed of the store, and the queue drains as soon as the burst is over.
 */
export class LocalWorkerRunner {
  private active = 0;
  private stopped = false;
  private readonly idleWaiters: (() => void)[] = [];
  private readonly unsubscribe: () => void;
  private lastStart = 0;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly queue: LocalQueue,
    private readonly handler: BatchHandler,
    private readonly options: {
      concurrency: number;
      batchSize: number;
      onError?: (error: unknown) => void;
      busy?: () => boolean;
      busyIntervalMs?: number;
    },
  ) {
    this.unsubscribe = queue.onReady(() => this.pump());
  }

  pump(): void {
    while (!this.stopped && this.active < this.options.concurrency) {
      const busy = this.options.busy?.() ?? false;
      if (busy) {
        const wait = this.lastStart + (this.options.busyIntervalMs ?? 1000) - Date.now();
        if (this.active > 0 || wait > 0) {
          this.retryLater(Math.max(wait, 50));
          break;
        }
      }
      // Under a burst of hooks: one message at a time, so the queue keeps moving without slowing the answers.
      const batch = this.queue.receive(busy ? 1 : this.options.batchSize);
      if (batch.length === 0) break;
      this.lastStart = Date.now();
      this.active++;
      void this.run(batch).finally(() => {
        this.active--;
        if (this.active === 0) for (const w of this.idleWaiters.splice(0)) w();
        this.pump();
      });
    }
  }

  private retryLater(ms: number): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.pump();
    }, ms);
    this.retryTimer.unref();
  }

  /** Stops taking new batches and waits for the running ones. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
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
