/**
 * Calls back into MifosX / Fineract (docs/protocol.md §6) over node:http / node:https: both tenant headers, Basic
 * or Bearer auth from the stored mifosToken, the SSRF guard at connect time, a whole-request deadline and a size cap.
 * Every failure becomes a classified DownstreamError('fineract', …); no message ever carries the token.
 */
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { AppError, DownstreamError } from '../core/errors';
import type { FineractClient } from '../core/ports';
import type { FineractAuth } from '../core/model';
import { redactText } from '../core/redaction';
import { parseRetryAfter } from '../core/retry-policy';
import { assertAddressAllowed, hostOf, isIpLiteral, normaliseApiBase, validateOutboundUrl } from '../core/url-policy';
import { guardedLookup } from './dns-url-policy';

export interface FineractHttpClientOptions {
  /** Allow loopback/private addresses (local mode, or a MifosX reached over a private network). */
  allowPrivate: boolean;
  /** Verify the server certificate (default). MifosX installs often use self-signed certs: FINERACT_TLS_INSECURE. */
  rejectUnauthorized?: boolean;
  /** Deadline for the whole request, connect to last byte. Default 8000. */
  timeoutMs?: number;
  /** Larger responses are refused. Default 2 MB. */
  maxResponseBytes?: number;
  /** Replaces the guarded DNS lookup (tests only). */
  lookup?: LookupFunction;
  userAgent?: string;
}

const DEFAULT_TIMEOUT_MS = 8000;
const DEFAULT_MAX_RESPONSE_BYTES = 2 * 1024 * 1024;
const NETWORK_ERROR_TEXT = 'could not reach MifosX/Fineract';
const TLS_ERROR_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** How to present a mifosToken: Basic for base64(user:password), Bearer for JWTs and opaque OAuth tokens. */
export function authorizationHeader(token: string | undefined): string | undefined {
  const value = token?.trim();
  if (!value) return undefined;
  if (/^(basic|bearer)\s+\S/i.test(value)) return value; // already prefixed: trust the sender
  if (/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(value)) return `Bearer ${value}`; // JWT shape
  if (looksLikeBasicCredential(value)) return `Basic ${value}`;
  return `Bearer ${value}`;
}

function looksLikeBasicCredential(value: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value) || value.length % 4 !== 0) return false;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  // user:password, printable, the user part non-empty
  return /^[^:\s][^:]*:/.test(decoded) && isPrintable(decoded);
}

function isPrintable(text: string): boolean {
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code < 0x20 || code === 0x7f || code === 0xfffd) return false; // control chars, or bytes that were not UTF-8
  }
  return true;
}

class RequestTimeoutError extends Error {
  readonly code = 'ETIMEDOUT_DEADLINE';
}

class ResponseTooLargeError extends Error {
  readonly code = 'ERESPONSE_TOO_LARGE';
}

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export class FineractHttpClient implements FineractClient {
  private readonly allowPrivate: boolean;
  private readonly rejectUnauthorized: boolean;
  private readonly timeoutMs: number;
  private readonly maxResponseBytes: number;
  private readonly lookup: LookupFunction;
  private readonly userAgent: string;
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;

  constructor(options: FineractHttpClientOptions) {
    this.allowPrivate = options.allowPrivate;
    this.rejectUnauthorized = options.rejectUnauthorized ?? true;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.lookup = options.lookup ?? guardedLookup(this.allowPrivate);
    this.userAgent = options.userAgent ?? 'fineract-hook-receiver';
    // Sockets idle longer than this are closed by us before a typical server (Tomcat: 20–60 s) closes them.
    const agentOptions = { keepAlive: true, maxSockets: 16, timeout: 15_000 };
    this.httpAgent = new http.Agent(agentOptions);
    this.httpsAgent = new https.Agent({ ...agentOptions, rejectUnauthorized: this.rejectUnauthorized });
  }

  async get(apiBase: string, path: string, auth: FineractAuth): Promise<Record<string, unknown>> {
    const url = this.buildUrl(apiBase, path);
    const where = `GET ${url.pathname}`;
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': this.userAgent,
      'x-mifos-platform-tenantid': auth.tenantId,
      'fineract-platform-tenantid': auth.tenantId,
    };
    const authorization = authorizationHeader(auth.mifosToken);
    if (authorization) headers.authorization = authorization;

    let response: RawResponse;
    try {
      response = await this.send(url, headers);
    } catch (error) {
      throw this.classifyFailure(error, where, auth.mifosToken);
    }
    return this.interpret(response, where, auth.mifosToken);
  }

  /** Closes idle keep-alive sockets (tests, local server shutdown). */
  destroy(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private buildUrl(apiBase: string, path: string): URL {
    const base = normaliseApiBase(apiBase);
    const baseUrl = this.checkUrl(base);
    const url = this.checkUrl(base + path.replace(/^\/+/, ''));
    // `path` comes from ids in the event: it must not climb out of the API base (`../../`), nor change host.
    if (url.origin !== baseUrl.origin || !url.pathname.startsWith(baseUrl.pathname)) {
      throw new DownstreamError('fineract', `Refusing to call a path outside the API base (${baseUrl.pathname}).`, {
        retryable: false,
        code: 'url_not_allowed',
      });
    }
    return url;
  }

  private checkUrl(text: string): URL {
    try {
      const url = validateOutboundUrl(text);
      const host = hostOf(url);
      // Node does not call `lookup` for IP literals, so they are checked here; names are checked at connect time.
      if (isIpLiteral(host)) assertAddressAllowed(host, { allowPrivate: this.allowPrivate });
      return url;
    } catch (error) {
      throw this.classifyFailure(error, 'GET', undefined);
    }
  }

  private send(
    url: URL,
    headers: Record<string, string>,
    deadline = Date.now() + this.timeoutMs,
    retriedStaleSocket = false,
  ): Promise<RawResponse> {
    return new Promise<RawResponse>((resolve, reject) => {
      const isHttps = url.protocol === 'https:';
      const transport = isHttps ? https : http;
      let settled = false;
      const finish = (error: unknown, response?: RawResponse) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) reject(error);
        else resolve(response!);
      };
      /** We give up on purpose: settle with our reason first, so later socket errors change nothing. */
      const abort = (error: Error) => {
        finish(error);
        // Without an error argument: an error passed here can surface on the socket with no listener left.
        request.destroy();
      };

      const request = transport.request(url, {
        method: 'GET',
        headers,
        agent: isHttps ? this.httpsAgent : this.httpAgent,
        lookup: this.lookup,
        ...(isHttps ? { rejectUnauthorized: this.rejectUnauthorized } : {}),
      });

      const timer = setTimeout(
        () => {
          abort(new RequestTimeoutError(`no complete answer within ${this.timeoutMs} ms`));
        },
        Math.max(0, deadline - Date.now()),
      );

      request.on('error', (error: NodeJS.ErrnoException) => {
        // A keep-alive socket the server closed while we were idle (Lambda freezes between invocations): GET is
        // idempotent, so try once more on a fresh connection.
        if (!retriedStaleSocket && request.reusedSocket && error.code === 'ECONNRESET' && !settled) {
          settled = true;
          clearTimeout(timer);
          this.send(url, headers, deadline, true).then(resolve, reject);
          return;
        }
        finish(error);
      });

      request.on('response', (response) => {
        response.on('error', (error) => finish(error));
        response.on('aborted', () => finish(Object.assign(new Error('response aborted'), { code: 'ECONNRESET' })));
        const declared = Number(response.headers['content-length']);
        if (Number.isFinite(declared) && declared > this.maxResponseBytes) {
          abort(new ResponseTooLargeError(`response of ${declared} bytes`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > this.maxResponseBytes) {
            abort(new ResponseTooLargeError(`response larger than ${this.maxResponseBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () => {
          finish(undefined, {
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks),
          });
        });
      });

      request.end();
    });
  }

  private interpret(response: RawResponse, where: string, token: string | undefined): Record<string, unknown> {
    const { status } = response;
    if (status >= 200 && status < 300) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(response.body.toString('utf8'));
      } catch {
        throw new DownstreamError('fineract', `${where}: MifosX/Fineract answered HTTP ${status} with invalid JSON.`, {
          retryable: false,
          status,
          code: 'invalid_json',
        });
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        throw new DownstreamError(
          'fineract',
          `${where}: MifosX/Fineract answered HTTP ${status} with no JSON object.`,
          {
            retryable: false,
            status,
            code: 'invalid_json',
          },
        );
      }
      return parsed as Record<string, unknown>;
    }

    const detail = serverMessage(response.body, token);
    const suffix = detail ? ` Server said: ${detail}` : '';
    if (status === 401 || status === 403) {
      throw new DownstreamError(
        'fineract',
        `MifosX/Fineract rejected the stored credentials (HTTP ${status}) on ${where}. The user whose command ` +
          'registered the hook may have changed password or lost permissions; edit and save the SMS Bridge hook ' +
          `so it registers again.${suffix}`,
        { retryable: false, status, code: 'credentials_rejected' },
      );
    }
    if (status === 404) {
      throw new DownstreamError('fineract', `${where}: MifosX/Fineract answered HTTP 404 (not found).${suffix}`, {
        retryable: false,
        status,
        code: 'not_found',
      });
    }
    if (status === 429 || status >= 500) {
      throw new DownstreamError('fineract', `${where}: MifosX/Fineract answered HTTP ${status}.${suffix}`, {
        retryable: true,
        status,
        code: `http_${status}`,
        retryAfterSeconds: parseRetryAfter(response.headers['retry-after']),
      });
    }
    if (status >= 300 && status < 400) {
      const location = typeof response.headers.location === 'string' ? response.headers.location : '';
      throw new DownstreamError(
        'fineract',
        `${where}: MifosX/Fineract redirected (HTTP ${status}${location ? ` to ${redact(stripQuery(location), token)}` : ''}); ` +
          'redirects are not followed: register the endpoint the server redirects to.',
        { retryable: false, status, code: 'redirect' },
      );
    }
    throw new DownstreamError('fineract', `${where}: MifosX/Fineract answered HTTP ${status}.${suffix}`, {
      retryable: false,
      status,
      code: `http_${status}`,
    });
  }

  private classifyFailure(error: unknown, where: string, token: string | undefined): DownstreamError {
    if (error instanceof DownstreamError) return error;
    if (error instanceof AppError) {
      // UrlNotAllowedError from the URL checks or the guarded lookup.
      return new DownstreamError('fineract', redact(error.message, token), { retryable: false, code: error.code });
    }
    if (error instanceof RequestTimeoutError) {
      return new DownstreamError('fineract', `${where}: MifosX/Fineract timed out (${error.message}).`, {
        retryable: true,
        code: 'timeout',
      });
    }
    if (error instanceof ResponseTooLargeError) {
      return new DownstreamError('fineract', `${where}: MifosX/Fineract sent too much (${error.message}).`, {
        retryable: false,
        code: 'response_too_large',
      });
    }
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    if (code && TLS_ERROR_CODES.has(code)) {
      return new DownstreamError(
        'fineract',
        `${where}: the MifosX/Fineract TLS certificate was not accepted (${code}). For a self-signed certificate ` +
          'set FINERACT_TLS_INSECURE=true, or install a certificate from a public CA.',
        { retryable: false, code },
      );
    }
    if (code === 'ERR_INVALID_CHAR' || code === 'ERR_INVALID_HTTP_TOKEN') {
      return new DownstreamError('fineract', `${where}: invalid request header value (${code}).`, {
        retryable: false,
        code,
      });
    }
    return new DownstreamError('fineract', `${where}: ${NETWORK_ERROR_TEXT} (${code ?? 'network error'}).`, {
      retryable: true,
      code: code ?? 'network_error',
    });
  }
}

/** Fineract's `defaultUserMessage` / `developerMessage`, shortened and scrubbed. */
function serverMessage(body: Buffer, token: string | undefined): string | undefined {
  if (body.length === 0) return undefined;
  try {
    const parsed = JSON.parse(body.subarray(0, 64 * 1024).toString('utf8')) as Record<string, unknown>;
    const errors = Array.isArray(parsed.errors) ? (parsed.errors as Record<string, unknown>[]) : [];
    const first = errors[0];
    const text = [parsed.defaultUserMessage ?? parsed.developerMessage, first?.defaultUserMessage]
      .filter((x): x is string => typeof x === 'string' && x !== '')
      .join(' — ');
    return text ? redact(text, token).slice(0, 300) : undefined;
  } catch {
    return undefined;
  }
}

function stripQuery(url: string): string {
  return url.replace(/[?#].*$/, '');
}

/** Removes the token (and its decoded user:password) from a text, whatever the server echoed. */
function redact(text: string, token: string | undefined): string {
  const value = token?.trim();
  if (!value) return redactText(text);
  const secrets = [value];
  if (looksLikeBasicCredential(value)) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    secrets.push(decoded, decoded.slice(decoded.indexOf(':') + 1));
  }
  return redactText(text, { secrets });
}
