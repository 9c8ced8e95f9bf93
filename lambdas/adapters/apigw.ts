import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { HttpRequest, HttpResponse } from '../core/http';

/** API Gateway HTTP API (payload v2) → the core's request. Header names arrive lower-cased already. */
export function fromApiGatewayEvent(event: APIGatewayProxyEventV2): HttpRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.headers ?? {})) if (v !== undefined) headers[k.toLowerCase()] = v;
  const query: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.queryStringParameters ?? {})) if (v !== undefined) query[k] = v;
  return {
    method: event.requestContext?.http?.method ?? 'GET',
    path: event.rawPath || '/',
    headers,
    query,
    params: {},
    body: event.body ? Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8') : Buffer.alloc(0),
    sourceIp: event.requestContext?.http?.sourceIp,
    // API Gateway v2 moves the Cookie header here; a test or another front may still send the header.
    cookies: event.cookies ?? headers.cookie?.split(';').map((c) => c.trim()),
  };
}

export function toApiGatewayResult(response: HttpResponse): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: response.statusCode,
    headers: response.headers,
    body: response.body,
    isBase64Encoded: response.isBase64Encoded ?? false,
    ...(response.cookies?.length ? { cookies: response.cookies } : {}),
  };
}
