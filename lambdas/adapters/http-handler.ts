import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { type OperationHandlers, dispatchHttp } from '../core/dispatch';
import type { Logger, Metrics } from '../core/ports';
import { fromApiGatewayEvent, toApiGatewayResult } from './apigw';

/** API Gateway v2 event → the operations one function serves → API Gateway result. */
export function createHttpHandler<D extends { logger: Logger; metrics?: Metrics }>(
  getDeps: () => D,
  operations: (deps: D) => OperationHandlers,
): (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2> {
  return async (event) => {
    const deps = getDeps();
    return toApiGatewayResult(
      await dispatchHttp(fromApiGatewayEvent(event), operations(deps), deps.logger, deps.metrics),
    );
  };
}
