import { AppError, NotFoundError } from './errors';
import { header, type HttpRequest, type HttpResponse, jsonResponse, toErrorResponse } from './http';
import { HEADERS } from './hook-parser';
import { TENANT_ID_PATTERN } from './identifiers';
import type { Logger, Metrics } from './ports';
import { canonicalPath, matchRoute, type Operation, type RouteDef } from './routes';

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
  metrics?: Metrics,
): Promise<HttpResponse> {
  let matched: RouteDef | undefined;
  let tenantParam: string | undefined;
  try {
    const { route, params } = matchRoute(request.method, request.path);
    matched = route;
    tenantParam = params.tenantId;
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
    // Registration audits its own refusals: the tenant it names is in the body, not in the path or a header.
    if (error instanceof AppError && AUDITED.has(error.statusCode) && matched?.operation !== 'register') {
      audit(
        error,
        { ...request, params: { ...request.params, ...(tenantParam ? { tenantId: tenantParam } : {}) } },
        matched,
        logger,
        metrics,
      );
    }
    return toErrorResponse(error, logger);
  }
}

/** Refusals an operator may need to trace to a tenant and a client: bad keys, wrong scope, ownership conflicts. */
const AUDITED = new Set([401, 403, 409]);

/**
 * The audit line of a refusal: tenant, route pattern and source address. Never the raw path (a Web hook's key is
 * a path segment) nor any header value but a well-formed tenant id.
 */
function audit(error: AppError, request: HttpRequest, route: RouteDef | undefined, logger: Logger, metrics?: Metrics) {
  const claimed = request.params.tenantId ?? header(request, ...HEADERS.tenant);
  const tenantId = claimed !== undefined && TENANT_ID_PATTERN.test(claimed) ? claimed : '(none or invalid)';
  logger.warn('request refused', {
    tenantId,
    route: route ? `${route.method} ${route.path}` : request.method,
    sourceIp: request.sourceIp ?? 'unknown',
    statusCode: error.statusCode,
    code: error.code,
  });
  if (error.statusCode === 401 || error.code === 'key_scope_insufficient') metrics?.count('ApiKeyRejected', 1);
}
