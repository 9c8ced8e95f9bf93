import type { WorkMessage } from '../../lambdas/core/model';
import type { Queue } from '../../lambdas/core/ports';

export interface Enqueued {
  message: WorkMessage;
  delaySeconds?: number;
}

/** The one in-memory Queue: records what was enqueued (copies) and fails on demand. */
export class MemoryQueue implements Queue {
  /** It stands in for SQS: ingest may fall back to it when the events table refuses a put. */
  readonly durable = true;
  readonly enqueued: Enqueued[] = [];
  private failures: Error[] = [];
  private failure?: Error;

  /** The messages enqueued so far, in order. */
  get messages(): WorkMessage[] {
    return this.enqueued.map((e) => e.message);
  }

  /** The next `count` enqueues throw `error` (and record nothing). */
  failNext(count: number, error: Error = new Error('queue unavailable')): void {
    for (let i = 0; i < count; i++) this.failures.push(error);
  }

  /** Every enqueue throws `error` from now on; `undefined` ends that. */
  failAlways(error: Error | undefined): void {
    this.failure = error;
  }

  async enqueue(message: WorkMessage, delaySeconds?: number): Promise<void> {
    const failure = this.failures.shift() ?? this.failure;
    if (failure) throw failure;
    this.enqueued.push({ message: structuredClone(message), delaySeconds });
  }

  /** Removes and returns everything enqueued so far. */
  drain(): WorkMessage[] {
    return this.enqueued.splice(0).map((e) => e.message);
  }

  /** Forgets what was enqueued and every pending failure. */
  reset(): void {
    this.enqueued.length = 0;
    this.failures = [];
    this.failure = undefined;
  }
}
