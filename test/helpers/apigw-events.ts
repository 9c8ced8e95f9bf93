import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { type FunctionKey, matchRoute } from '../../lambdas/core/routes';
import type { Delivery } from './fixtures';

export interface ApiEventOptions {
  /**
   * Send the body base64-encoded with `isBase64Encoded: true`. Default: what API Gateway HTTP APIs do, i.e. text
   * for JSON and plain text, base64 for anything else (form bodies included).
   */
  base64?: boolean;
  /** Keep header names exactly as given instead of lower-casing them (API Gateway always lower-cases). */
  keepHeaderCase?: boolean;
  /** Raw bytes to send instead of `delivery.body` (e.g. a body in another charset). */
  bodyBytes?: Buffer;
}

/** Content types API Gateway passes as text; everything else arrives base64-encoded. */
function isTextual(contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return type === '' || type.startsWith('text/') || type === 'application/json' || type.endsWith('+json');
}

/**
 * The routing API Gateway does before it invokes a function: the route table picks the function and fills
 * `routeKey` and `pathParameters`; anything unmatched (404 / 405) goes to `$default`, served by the ingest function.
 */
export function routeOf(
  method: string,
  rawPath: string,
): { fn: FunctionKey; routeKey: string; pathParameters?: Record<string, string> } {
  try {
    const match = matchRoute(method, rawPath);
    return { fn: match.route.fn, routeKey: `${match.route.method} ${match.route.path}`, pathParameters: match.params };
  } catch {
    return { fn: 'ingest', routeKey: '$default' };
  }
}

/**
 * An API Gateway HTTP API (payload format 2.0) event for a recorded delivery, shaped like the real thing:
 * lower-cased header names (repeats joined with commas), `rawPath` / `rawQueryString`, `requestContext.http`,
 * and a body that is text or base64 with `isBase64Encoded`.
 */
export function toApiGatewayEvent(
  delivery: Pick<Delivery, 'method' | 'path' | 'headers' | 'body'>,
  options: ApiEventOptions = {},
): APIGatewayProxyEventV2 {
  const [rawPath = '/', rawQueryString = ''] = delivery.path.split('?', 2);
  const method = delivery.method.toUpperCase();
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(delivery.headers)) {
    const key = options.keepHeaderCase ? name : name.toLowerCase();
    headers[key] = headers[key] === undefined ? value : `${headers[key]},${value}`;
  }
  headers.host ??= 'hooks.example.org';
  headers['user-agent'] ??= 'Apache-HttpClient/4.5.13 (Java/17.0.8)';
  const contentType = Object.entries(delivery.headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1];

  const bytes = options.bodyBytes ?? Buffer.from(delivery.body ?? '', 'utf8');
  const base64 = options.base64 ?? !isTextual(contentType);
  const hasBody = bytes.length > 0 && method !== 'GET' && method !== 'HEAD';

  const query: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(rawQueryString)) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
  const route = routeOf(method, rawPath);
  const now = Date.now();
  const requestId = randomUUID();
  return {
    version: '2.0',
    routeKey: route.routeKey,
    rawPath,
    rawQueryString,
    headers,
    queryStringParameters: Object.keys(query).length > 0 ? query : undefined,
    pathParameters: route.pathParameters,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123defg',
      domainName: headers.host,
      domainPrefix: 'hooks',
      http: {
        method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.10',
        userAgent: headers['user-agent'],
      },
      requestId,
      routeKey: route.routeKey,
      stage: '$default',
      time: apiGatewayTime(new Date(now)),
      timeEpoch: now,
    },
    body: hasBody ? (base64 ? bytes.toString('base64') : bytes.toString('utf8')) : undefined,
    isBase64Encoded: hasBody && base64,
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `requestContext.time` as API Gateway writes it: `24/Oct/2024:09:12:33 +0000`. */
function apiGatewayTime(d: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

/** A hand-written request as an API Gateway event (for error cases no fixture covers). */
export function apiEvent(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body = '',
  options: ApiEventOptions = {},
): APIGatewayProxyEventV2 {
  return toApiGatewayEvent({ method, path, headers, body }, options);
}
