import { AppError, MethodNotAllowedError } from './errors';
import type { Logger } from './ports';

/** What every HTTP-facing handler of the core receives, whatever transport delivered it. */
export interface HttpRequest {
  method: string;
  /** As received (normalised by the router, see routes.ts). */
  path: string;
  /** Lower-cased names. */
  headers: Record<string, string>;
  query: Record<string, string>;
  params: Record<string, string>;
  body: Buffer;
  /** The client's address as the transport saw it (API Gateway's sourceIp), for the audit log. */
  sourceIp?: string;
  /** `name=value` pairs of the Cookie header: API Gateway v2 moves them out of the headers into `cookies`. */
  cookies?: string[];
}

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  /** `body` is base64 of binary content (a precompressed asset). */
  isBase64Encoded?: boolean;
  /** One Set-Cookie each: API Gateway v2 takes them apart from the headers, which cannot repeat a name. */
  cookies?: string[];
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

export function jsonResponse(statusCode: number, payload: unknown, headers?: Record<string, string>): HttpResponse {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(payload) };
}

/**
 * The single place where errors become HTTP answers. Client faults keep their message; anything else becomes a
 * generic 500 so internals never reach the sender.
 */
export function toErrorResponse(error: unknown, logger: Logger): HttpResponse {
  if (error instanceof AppError && error.expose) {
    const body: { error: { code: string; message: string; details?: unknown } } = {
      error: { code: error.code, message: error.message },
    };
    if (error.details !== undefined) body.error.details = error.details;
    const headers: Record<string, string> = {};
    if (error instanceof MethodNotAllowedError) headers.allow = error.allow.join(', ');
    logger.info('request rejected', { statusCode: error.statusCode, code: error.code });
    return jsonResponse(error.statusCode, body, headers);
  }
  logger.error('request failed', { error: describeError(error) });
  return jsonResponse(500, {
    error: { code: 'internal_error', message: 'The receiver could not take this event now; nothing was stored.' },
  });
}

/** Error text for logs: name and message only, never a stack full of payloads. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

export function header(request: Pick<HttpRequest, 'headers'>, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = request.headers[name];
    if (value !== undefined && value.trim() !== '') return value.trim();
  }
  return undefined;
}

/** Lower-cases header names; joins repeated headers the way API Gateway v2 does. */
export function normaliseHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const key = name.toLowerCase();
    const text = Array.isArray(value) ? value.join(',') : value;
    out[key] = out[key] === undefined ? text : `${out[key]},${text}`;
  }
  return out;
}
