import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { depsProvider } from '../adapters/local-registry';
import { createLogger, createMetrics, flushMetrics } from '../adapters/observability';
import { describeError } from '../core/http';
import type { QueueControl } from '../core/ports';
import { parseWorkMessage, processWorkMessage, type WorkerDeps } from '../core/worker';
import { createWorkerDeps } from './deps';

export interface WorkerHandlerDeps {
  worker: WorkerDeps;
  control: QueueControl;
}

const logger = createLogger();
const metrics = createMetrics();

/** SQS batch → core, one record at a time in parallel; retries are hidden for their backoff, then reported failed. */
export function createWorkerHandler(getDeps: () => WorkerHandlerDeps) {
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const { worker, control } = getDeps();
    const batchItemFailures: SQSBatchItemFailure[] = [];
    await Promise.all(
      event.Records.map(async (record) => {
        const message = parseWorkMessage(record.body);
        try {
          if (!message) return await control.deadLetter(record.body, 'not a work message');
          const outcome = await processWorkMessage(message, worker);
          if (outcome.action === 'retry') {
            await control.changeVisibility(record.receiptHandle, outcome.delaySeconds);
            batchItemFailures.push({ itemIdentifier: record.messageId });
          } else if (outcome.action === 'dead-letter') {
            await control.deadLetter(record.body, outcome.reason);
          }
        } catch (error) {
          // Unexpected (store unavailable…): the queue's visibility timeout brings it back, its redrive policy ends it.
          worker.logger.error('work message failed', { ...message, error: describeError(error) });
          batchItemFailures.push({ itemIdentifier: record.messageId });
        }
      }),
    );
    return { batchItemFailures };
  };
}

export const handler = middy(createWorkerHandler(depsProvider('worker', () => createWorkerDeps(logger, metrics))))
  .use(injectLambdaContext(logger))
  .use(flushMetrics(metrics));
