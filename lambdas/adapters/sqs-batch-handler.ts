import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { describeError } from '../core/http';
import type { QueueControl } from '../core/ports';
import { processWorkMessage, type WorkerDeps } from '../core/worker';
import { parseWorkMessage } from '../core/work-message';

/**
 * SQS refuses a visibility timeout ending more than 12 hours after the receive, and this invocation started some
 * time after it (batching window, a slow batch): hide for at most 11 h 45 min. A longer backoff is carried by the
 * event's `nextAttemptAt`: the message comes back early, is "not due yet" and hides again for what is left.
 */
export const MAX_HIDE_SECONDS = 43_200 - 900;

export interface WorkBatchDeps {
  worker: WorkerDeps;
  control: QueueControl;
}

/**
 * SQS batch → the core, one record at a time in parallel; retries are hidden for their backoff, then reported as
 * batch item failures. The SQS counterpart of `createHttpHandler`.
 */
export function createWorkBatchHandler(getDeps: () => WorkBatchDeps): (event: SQSEvent) => Promise<SQSBatchResponse> {
  return async (event) => {
    const { worker, control } = getDeps();
    const batchItemFailures: SQSBatchItemFailure[] = [];
    await Promise.all(
      event.Records.map(async (record) => {
        const message = parseWorkMessage(record.body);
        try {
          if (!message) return await control.deadLetter(record.body, 'not a work message');
          const outcome = await processWorkMessage(message, worker);
          if (outcome.action === 'retry') {
            await control.changeVisibility(record.receiptHandle, Math.min(outcome.delaySeconds, MAX_HIDE_SECONDS));
            batchItemFailures.push({ itemIdentifier: record.messageId });
          } else if (outcome.action === 'dead-letter') {
            await control.deadLetter(record.body, outcome.reason);
          }
        } catch (error) {
          // Unexpected (store unavailable…): the queue's visibility timeout brings it back, its redrive policy ends it.
          // The ids only: a message may carry a whole event (phone numbers, texts).
          worker.logger.error('work message failed', {
            tenantId: message?.tenantId,
            eventId: message?.eventId,
            error: describeError(error),
          });
          batchItemFailures.push({ itemIdentifier: record.messageId });
        }
      }),
    );
    return { batchItemFailures };
  };
}
