/**
 * POSTs signed webhooks to tenants' HTTPS targets over node:http / node:https, with the SSRF guard at connection
 * time (the resolved address is checked in the socket's `lookup`, so DNS cannot rebind between check and
 * connect), no redirects followed (node:http never follows them), a whole-request deadline (FORWARD_TIMEOUT_MS)
 * and only a short excerpt of the answer read.
 */
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { DownstreamError, UrlNotAllowedError } from '../core/errors';
// Node does not call `lookup` for IP literals: checkTargetUrl checks those before connecting.
import type { ForwardResponse, OutboundWebhook } from '../core/model';
import type { WebhookSender } from '../core/ports';
import { parseRetryAfter } from '../core/retry-policy';
import { checkTargetUrl } from '../core/url-policy';
import { guardedLookup } from './dns-url-policy';

export interface HttpForwarderOptions {
  /** ALLOW_PRIVATE_ENDPOINTS: loopback/private targets (local runs); link-local and metadata stay refused. */
  allowPrivate: boolean;
  /** FORWARD_TIMEOUT_MS; default 10 s. */
  timeoutMs?: number;
  /** Replaces the guarded DNS lookup (tests only). */
  lookup?: LookupFunction;
  userAgent?: string;
}

export const DEFAULT_FORWARD_TIMEOUT_MS = 10_000;
const EXCERPT_BYTES = 512;

export class HttpForwarder implements WebhookSender {
  private readonly timeoutMs: number;
  private readonly lookup: LookupFunction;
  private readonly userAgent: string;

  constructor(private readonly options: HttpForwarderOptions) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_FORWARD_TIMEOUT_MS;
    this.lookup = options.lookup ?? guardedLookup(options.allowPrivate);
    this.userAgent = options.userAgent ?? 'fineract-hook-receiver';
  }

  async post(webhook: OutboundWebhook): Promise<ForwardResponse> {
    let url: URL;
    try {
      url = checkTargetUrl(webhook.url, this.options.allowPrivate);
    } catch (error) {
      throw refused(error);
    }
    const started = Date.now();
    try {
      return await this.send(url, webhook, started);
    } catch (error) {
      if (error instanceof UrlNotAllowedError) throw refused(error);
      const code = (error as NodeJS.ErrnoException).code;
      const message = error instanceof Error ? error.message : String(error);
      throw new DownstreamError('http', `could not reach the target: ${message}`, { retryable: true, code });
    }
  }

  private send(url: URL, webhook: OutboundWebhook, started: number): Promise<ForwardResponse> {
    return new Promise<ForwardResponse>((resolve, reject) => {
      const isHttps = url.protocol === 'https:';
      let settled = false;
      const finish = (error: unknown, response?: ForwardResponse) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) reject(error);
        else resolve(response!);
      };
      const request = (isHttps ? https : http).request(url, {
        method: 'POST',
        headers: {
          ...webhook.headers,
          'content-length': String(webhook.body.length),
          'user-agent': this.userAgent,
        },
        lookup: this.lookup,
        agent: false,
      });
      const timer = setTimeout(() => {
        finish(Object.assign(new Error(`no answer within ${this.timeoutMs} ms`), { code: 'ETIMEDOUT' }));
        request.destroy();
      }, this.timeoutMs);
      request.on('error', (error) => finish(error));
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const done = () => {
          const excerpt = Buffer.concat(chunks).subarray(0, EXCERPT_BYTES).toString('utf8');
          finish(undefined, {
            statusCode: response.statusCode ?? 0,
            latencyMs: Date.now() - started,
            excerpt,
            retryAfterSeconds: parseRetryAfter(response.headers['retry-after']),
          });
          response.destroy();
        };
        response.on('data', (chunk: Buffer) => {
          if (size < EXCERPT_BYTES) chunks.push(chunk);
          size += chunk.length;
          // The answer's status is what counts; a big body is not read to its end.
          if (size >= EXCERPT_BYTES) done();
        });
        response.on('end', done);
        response.on('error', (error) => finish(error));
      });
      request.end(webhook.body);
    });
  }
}

/** A refused address is final: the target's URL must change, no retry will help. */
function refused(error: unknown): DownstreamError {
  const message = error instanceof Error ? error.message : String(error);
  return new DownstreamError('http', `target address refused: ${message}`, {
    retryable: false,
    code: 'url_not_allowed',
  });
}
