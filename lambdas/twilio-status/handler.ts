import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { createHttpHandler } from '../adapters/http-handler';
import { depsProvider } from '../adapters/local-registry';
import { createLogger, createMetrics, flushMetrics } from '../adapters/observability';
import { handleTwilioStatus, type StatusCallbackDeps } from '../core/status-callback';
import { createStatusDeps } from './deps';

const logger = createLogger();
const metrics = createMetrics();

export const createStatusHandler = (getDeps: () => StatusCallbackDeps) =>
  createHttpHandler(getDeps, (d) => ({ twilioStatus: (request) => handleTwilioStatus(request, d) }));

export const handler = middy(createStatusHandler(depsProvider('twilioStatus', () => createStatusDeps(logger, metrics))))
  .use(injectLambdaContext(logger))
  .use(flushMetrics(metrics));
