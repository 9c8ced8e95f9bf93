import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { fromApiGatewayEvent, toApiGatewayResult } from '../adapters/apigw';
import { localDeps } from '../adapters/local-registry';
import { createLogger, createMetrics } from '../adapters/observability';
import { dispatchHttp } from '../core/dispatch';
import { handleHookEvent, handlePing, type IngestDeps } from '../core/ingest';
import { createIngestDeps } from './deps';

const logger = createLogger();
const metrics = createMetrics();
let deps: IngestDeps | undefined;

export function createIngestHandler(getDeps: () => IngestDeps) {
  return async (event: APIGatewayProxyEventV2) => {
    const d = getDeps();
    const response = await dispatchHttp(
      fromApiGatewayEvent(event),
      { ping: handlePing, ingest: (request) => handleHookEvent(request, d) },
      d.logger,
    );
    return toApiGatewayResult(response);
  };
}

export const handler = middy(
  createIngestHandler(() => (deps ??= localDeps<IngestDeps>() ?? createIngestDeps(logger, metrics))),
)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
