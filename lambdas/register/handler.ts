import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { createHttpHandler } from '../adapters/http-handler';
import { depsProvider } from '../adapters/local-registry';
import { createLogger, createMetrics, flushMetrics } from '../adapters/observability';
import { handleRegistration, type RegisterDeps } from '../core/registration';
import { createRegisterDeps } from './deps';

const logger = createLogger();
const metrics = createMetrics();

export const createRegisterHandler = (getDeps: () => RegisterDeps) =>
  createHttpHandler(getDeps, (d) => ({ register: (request) => handleRegistration(request, d) }));

export const handler = middy(createRegisterHandler(depsProvider('register', () => createRegisterDeps(logger, metrics))))
  .use(injectLambdaContext(logger))
  .use(flushMetrics(metrics));
