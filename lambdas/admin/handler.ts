import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { createHttpHandler } from '../adapters/http-handler';
import { depsProvider } from '../adapters/local-registry';
import { createLogger, createMetrics, flushMetrics } from '../adapters/observability';
import { type AdminDeps, handleDeleteConfig, handleGetConfig, handleListEvents, handleResend } from '../core/admin';
import { createAdminDeps } from './deps';

const logger = createLogger();
const metrics = createMetrics();

export const createAdminHandler = (getDeps: () => AdminDeps) =>
  createHttpHandler(getDeps, (d) => ({
    getConfig: (request) => handleGetConfig(request, d),
    deleteConfig: (request) => handleDeleteConfig(request, d),
    listEvents: (request) => handleListEvents(request, d),
    resendEvents: (request) => handleResend(request, d),
  }));

export const handler = middy(createAdminHandler(depsProvider('admin', () => createAdminDeps(logger, metrics))))
  .use(injectLambdaContext(logger))
  .use(flushMetrics(metrics));
