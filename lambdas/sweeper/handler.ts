import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { depsProvider } from '../adapters/local-registry';
import { createLogger, createMetrics, flushMetrics } from '../adapters/observability';
import { type SweepResult, type SweeperDeps, sweep } from '../core/sweeper';
import { createSweeperDeps } from './deps';

const logger = createLogger();
const metrics = createMetrics();

/** Scheduled: re-enqueues events stored but never dispatched, and reports how many it found. */
export const createSweeperHandler = (getDeps: () => SweeperDeps) => async (): Promise<SweepResult> => sweep(getDeps());

export const handler = middy(createSweeperHandler(depsProvider('sweeper', () => createSweeperDeps(logger, metrics))))
  .use(injectLambdaContext(logger))
  .use(flushMetrics(metrics));
