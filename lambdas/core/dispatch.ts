import { NotFoundError } from './errors';
import { type HttpRequest, type HttpResponse, jsonResponse, toErrorResponse } from './http';
import type { Logger } from './ports';
import { canonicalPath, matchRoute, type Operation } from './routes';

export type OperationHandlers = Partial<
  Record<Operation, (request: HttpRequest) => Promise<HttpResponse> | HttpResponse>
>;

/**
 * Routes one request to the operations this function serves. Anything unknown, unserved or failing is turned
 * into a JSON error here, so every function answers errors the same way.
 */
export async function dispatchHttp(
  request: HttpRequest,
  handlers: OperationHandlers,
  logger: Logger,
): Promise<HttpResponse> {
  try {
    const { route, params } = matchRoute(request.method, request.path);
    const handle = handlers[route.operation];
    if (!handle) {
      // A path variant API Gateway could not route (`//configuration`): send the sender to the canonical URL.
      const canonical = canonicalPath(request.path);
      if (canonical !== request.path) return jsonResponse(308, { location: canonical }, { location: canonical });
      throw new NotFoundError(`Nothing is served at ${request.path} by this function.`);
    }
    const response = await handle({ ...request, params: { ...request.params, ...params } });
    if (request.method.toUpperCase() === 'HEAD') return { ...response, body: '' };
    return response;
  } catch (error) {
    return toErrorResponse(error, logger);
  }
}
