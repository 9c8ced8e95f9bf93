import { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import { createLogger, createMetrics, flushMetrics, loggerPort, metricsPort } from '../../adapters/observability';
import { createDocumentClient } from '../../adapters/dynamodb-client';
import { countRequests } from '../../adapters/request-counter';
import { SqsWorkQueue } from '../../adapters/sqs-work-queue';
import { systemClock } from '../../core/clock';
import type { Clock, Logger, Metrics } from '../../core/ports';
import { clientConfigFor, type FunctionName } from './sdk-budgets';

/** The Powertools pair a Lambda function logs and counts with; its middleware needs them, so do the deps. */
export interface LambdaObservability {
  logger: PowertoolsLogger;
  metrics: PowertoolsMetrics;
}

/**
 * A function's AWS handler: `makeHandler` given a getter of deps built by `buildDeps` on the first invocation
 * (once per container; a missing setting then fails that invocation naming the variable, and init stays small),
 * inside the middy chain every function shares.
 */
export function awsLambda<D, E, R>(
  makeHandler: (getDeps: () => D) => (event: E) => Promise<R>,
  buildDeps: (observability: LambdaObservability) => D,
) {
  const logger = createLogger(undefined, { lambda: true });
  const metrics = createMetrics();
  let deps: D | undefined;
  const getDeps = () => {
    deps ??= buildDeps({ logger, metrics });
    return deps;
  };
  return middy(makeHandler(getDeps))
    .use(injectLambdaContext(logger))
    .use(apiRequestId(logger))
    .use(flushMetrics(metrics));
}

/**
 * Every line logged for an API Gateway request carries its request id (`apiRequestId`), the id a sender or the API
 * access log shows, so one request can be found in the functions' logs. Events without one (SQS, schedule) add none.
 */
export function apiRequestId(logger: PowertoolsLogger) {
  const clear = async () => {
    logger.removeKeys(['apiRequestId']);
  };
  return {
    before: async (request: { event: unknown }) => {
      const id = (request.event as { requestContext?: { requestId?: unknown } } | undefined)?.requestContext?.requestId;
      if (typeof id === 'string' && id) logger.appendKeys({ apiRequestId: id });
    },
    after: clear,
    onError: clear,
  };
}

/** What every function's deps share: the system clock, the logger and metrics behind the core's ports, settings. */
export function basePorts<S>(
  observability: LambdaObservability,
  settings: S,
): { clock: Clock; logger: Logger; metrics: Metrics; settings: S } {
  return {
    clock: systemClock,
    logger: loggerPort(observability.logger),
    metrics: metricsPort(observability.metrics),
    settings,
  };
}

export function createSqsQueue(fn: FunctionName, queueUrl: string, deadLetterQueueUrl?: string): SqsWorkQueue {
  return new SqsWorkQueue(
    countRequests(new SQSClient(clientConfigFor(fn, 'sqs')), 'SQS'),
    queueUrl,
    deadLetterQueueUrl,
  );
}

/** The document client of one function, with that function's timeouts and attempts. */
export function createFunctionDocumentClient(fn: FunctionName): DynamoDBDocumentClient {
  return createDocumentClient(clientConfigFor(fn, 'dynamodb'), fn);
}
