/**
 * SmsSender on Africa's Talking's documented REST API, with `fetch` (their npm package cannot point at another base
 * URL, which local runs and tests need, and would add a second HTTP stack to the worker bundle):
 * - send: `POST {base}/version1/messaging`, header `apiKey`, form `username`, `to`, `message`, `from` → 201
 *   `{"SMSMessageData":{"Message","Recipients":[{"statusCode","number","status","cost","messageId"}]}}`;
 * - credentials: `GET {base}/version1/user?username=…` → 200 `{"UserData":{"balance"}}`, 401 when rejected.
 * The host is `api.africastalking.com`, or `api.sandbox.africastalking.com` for the username `sandbox`;
 * `AFRICASTALKING_API_BASE_URL` replaces both.
 *
 * At most once: Africa's Talking has no API listing sent messages, so an attempt that may have been accepted
 * cannot be looked up; `findSent` says so and the delivery machine fails the message rather than text it twice.
 */
import { DownstreamError } from '../core/errors';
import type { AfricasTalkingCredentials, OutboundSms, SentSms } from '../core/model';
import type { SmsSender } from '../core/ports';
import { maskPhone, redactText } from '../core/redaction';
import { parseRetryAfter } from '../core/retry-policy';

export interface AfricasTalkingSmsSenderOptions {
  /** Replaces both hosts (a fake or a proxy), e.g. `http://127.0.0.1:4020`. */
  apiBaseUrl?: string;
  /** Per-request deadline; a send that times out may still have been accepted. Default 10 s. */
  timeoutMs?: number;
}

const SERVICE = 'africastalking' as const;
export const AFRICASTALKING_LIVE_URL = 'https://api.africastalking.com';
export const AFRICASTALKING_SANDBOX_URL = 'https://api.sandbox.africastalking.com';

/** Recipient status codes that mean the message is on its way: 100 Processed, 101 Sent, 102 Queued. */
const ACCEPTED = new Set([100, 101, 102]);
/**
 * The recipient cannot get it: 403 InvalidPhoneNumber, 404 UnsupportedNumberType, 406 UserInBlacklist,
 * 407 CouldNotRoute, 409 DoNotDisturbRejection.
 */
const RECIPIENT_CODES = new Set([403, 404, 406, 407, 409]);
/** Worth trying again later: 405 InsufficientBalance (until topped up), 500 InternalServerError, 501 GatewayError. */
const RETRY_CODES = new Set([405, 500, 501]);

interface Recipient {
  statusCode?: number;
  number?: string;
  status?: string;
  messageId?: string;
}

export class AfricasTalkingSmsSender implements SmsSender<AfricasTalkingCredentials> {
  private readonly timeoutMs: number;

  constructor(private readonly options: AfricasTalkingSmsSenderOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  async send(credentials: AfricasTalkingCredentials, message: OutboundSms): Promise<SentSms> {
    const what = `Africa's Talking send to ${maskPhone(message.to)}`;
    const form = new URLSearchParams({ username: credentials.username, to: message.to, message: message.body });
    if (message.from) form.set('from', message.from);
    const response = await this.call(credentials, what, '/version1/messaging', {
      method: 'POST',
      body: form.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    const text = await this.readBody(response, credentials, what);
    if (!response.ok) throw httpFailure(response, text, what, credentials, message);
    let recipient: Recipient | undefined;
    let summary = '';
    try {
      const parsed = JSON.parse(text) as { SMSMessageData?: { Message?: string; Recipients?: Recipient[] } };
      recipient = parsed.SMSMessageData?.Recipients?.[0];
      summary = String(parsed.SMSMessageData?.Message ?? '');
    } catch {
      // A 2xx we cannot read: it may have been accepted.
      throw new DownstreamError(SERVICE, `${what} got an unreadable answer.`, { retryable: true });
    }
    if (!recipient) {
      // Refused before any recipient was processed (e.g. InvalidSenderId): answered, nothing sent.
      const reason = scrub(summary || 'no recipient in the answer', credentials, message);
      throw new DownstreamError(SERVICE, `${what} was rejected: ${reason}.`, {
        retryable: false,
        status: response.status,
        code: reason.slice(0, 40),
      });
    }
    const code = Number(recipient.statusCode);
    if (ACCEPTED.has(code) && recipient.messageId)
      return { sid: recipient.messageId, status: recipient.status ?? 'Success' };
    const detail = `status ${code} ${recipient.status ?? ''}`.trim();
    throw new DownstreamError(SERVICE, `${what} was refused: ${detail}.`, {
      retryable: RETRY_CODES.has(code),
      recipientRejected: RECIPIENT_CODES.has(code),
      status: response.status,
      code,
    });
  }

  /** Africa's Talking lists no sent messages to look an interrupted attempt up in. */
  async findSent(): Promise<SentSms | undefined> {
    throw new DownstreamError(
      SERVICE,
      "Africa's Talking has no way to look up an interrupted send; it may have gone out, so it is not sent again.",
      { retryable: false, code: 'lookup_unavailable' },
    );
  }

  async verifyAccount(credentials: AfricasTalkingCredentials): Promise<void> {
    const what = "Africa's Talking account check";
    const path = `/version1/user?username=${encodeURIComponent(credentials.username)}`;
    const response = await this.call(credentials, what, path, { method: 'GET' });
    const text = await this.readBody(response, credentials, what);
    if (!response.ok) throw httpFailure(response, text, what, credentials);
  }

  private baseFor(credentials: AfricasTalkingCredentials): string {
    if (this.options.apiBaseUrl) return this.options.apiBaseUrl.replace(/\/+$/, '');
    return credentials.username === 'sandbox' ? AFRICASTALKING_SANDBOX_URL : AFRICASTALKING_LIVE_URL;
  }

  private async call(
    credentials: AfricasTalkingCredentials,
    what: string,
    path: string,
    init: { method: string; body?: string; headers?: Record<string, string> },
  ): Promise<Response> {
    if (!credentials.username || !credentials.apiKey) {
      throw new DownstreamError(SERVICE, `${what} failed: no username or API key stored.`, {
        retryable: false,
        credentialsInvalid: true,
      });
    }
    try {
      return await fetch(`${this.baseFor(credentials)}${path}`, {
        ...init,
        headers: { ...init.headers, accept: 'application/json', apiKey: credentials.apiKey },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw noAnswer(error, what, this.timeoutMs);
    }
  }

  private async readBody(response: Response, _credentials: AfricasTalkingCredentials, what: string): Promise<string> {
    try {
      return await response.text();
    } catch (error) {
      throw noAnswer(error, what, this.timeoutMs);
    }
  }
}

function scrub(text: string, credentials: AfricasTalkingCredentials, message?: OutboundSms): string {
  return redactText(text, { secrets: [credentials.apiKey], to: message?.to, body: message?.body }).slice(0, 200);
}

/** An HTTP error answer: nothing was sent. 401 is their answer to a wrong username / API key. */
function httpFailure(
  response: Response,
  text: string,
  what: string,
  credentials: AfricasTalkingCredentials,
  message?: OutboundSms,
): DownstreamError {
  const status = response.status;
  const reason = scrub(text.trim() || response.statusText || 'no message', credentials, message);
  const detail = `HTTP ${status}: ${reason}`;
  if (status === 401 || status === 403) {
    return new DownstreamError(
      SERVICE,
      `${what} failed: Africa's Talking rejected the username / API key (${detail}). Sends pause until the tenant registers valid credentials.`,
      { retryable: false, credentialsInvalid: true, status },
    );
  }
  if (status === 429 || status >= 500 || status === 408) {
    const retryAfterSeconds = parseRetryAfter(response.headers.get('retry-after') ?? undefined);
    return new DownstreamError(SERVICE, `${what} was refused for now (${detail}).`, {
      retryable: true,
      status,
      ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
    });
  }
  return new DownstreamError(SERVICE, `${what} was rejected (${detail}).`, { retryable: false, status });
}

function noAnswer(error: unknown, what: string, timeoutMs: number): DownstreamError {
  const e = error as { name?: string; code?: string; cause?: { code?: string } } | undefined;
  const code = e?.cause?.code ?? e?.code ?? e?.name ?? 'network';
  const timedOut = e?.name === 'TimeoutError' || e?.name === 'AbortError';
  return new DownstreamError(
    SERVICE,
    timedOut ? `${what} got no answer within ${timeoutMs} ms.` : `${what} failed: network error (${code}).`,
    { retryable: true, code: timedOut ? 'ETIMEDOUT' : code },
  );
}
