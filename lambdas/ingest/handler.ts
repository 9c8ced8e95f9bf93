import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { createHttpHandler } from '../adapters/http-handler';
import { depsProvider } from '../adapters/local-registry';
import { createLogger, createMetrics, flushMetrics } from '../adapters/observability';
import { handleHookEvent, handlePing, type IngestDeps } from '../core/ingest';
import { createIngestDeps } from './deps';

const logger = createLogger();
const metrics = createMetrics();

export const createIngestHandler = (getDeps: () => IngestDeps) =>
  createHttpHandler(getDeps, (d) => ({ ping: handlePing, ingest: (request) => handleHookEvent(request, d) }));

export const handler = middy(createIngestHandler(depsProvider('ingest', () => createIngestDeps(logger, metrics))))
  .use(injectLambdaContext(logger))
  .use(flushMetrics(metrics));
