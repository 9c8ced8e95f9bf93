/**
 * SmsSender on the real Twilio SDK, loading only what sending an SMS needs.
 *
 * `import twilio from 'twilio'` pulls every Twilio product (3.75 MB minified, ~300 ms to require). We build the same
 * request pipeline from its parts instead: the SDK's base client (auth, headers, edge/region), its RequestClient
 * (axios, form encoding), a `2010-04-01` Version on the `api.twilio.com` Domain, and the generated Message resource
 * (`twilio/lib/rest/api/v2010/account/message`). That is exactly what `client.messages` resolves to, minus the 30
 * sibling resources `rest/api/v2010/account.js` would load (calls, conferences, SIP, usage…): ~0.43 MB.
 * The account check is the request `AccountContext.fetch()` makes: `GET /2010-04-01/Accounts/{Sid}.json` through
 * the same Version.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import type V2010 from 'twilio/lib/rest/api/V2010';
import type { MessageInstance, MessageListInstance as MessageList } from 'twilio/lib/rest/api/v2010/account/message';
import {
  BaseTwilio,
  Domain,
  MessageListInstance,
  RequestClient,
  RestException,
  TwilioServiceException,
  Version,
} from './twilio-vendor';
import { DownstreamError } from '../core/errors';
import type { SmsSender } from '../core/ports';
import type { OutboundSms, SentSms, TwilioCredentials } from '../core/model';
import { maskPhone, redactText } from '../core/redaction';
import { parseRetryAfter } from '../core/retry-policy';
import { isTwilioAccountSid } from '../core/identifiers';

export interface TwilioSmsSenderOptions {
  /** Send every request here instead of https://api.twilio.com (a fake or a proxy), e.g. `http://127.0.0.1:4010`. */
  apiBaseUrl?: string;
  /** Per-request timeout; a send that times out may still have been accepted (see `findSent`). Default 10 s. */
  timeoutMs?: number;
}

const TWILIO_API_ORIGIN = 'https://api.twilio.com';
const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_CACHED_CLIENTS = 32;
/** `findSent` reads the recipient's messages newest first, this many per page. */
const FIND_PAGE_SIZE = 50;
/** More messages to one recipient since one send than this (100 pages) is not a lookup we can finish: retry later. */
const FIND_MAX_PAGES = 100;
/** Clock skew tolerated between us and Twilio when comparing `date_created` with `since`. */
const FIND_SKEW_MS = 60_000;

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ERR_NETWORK',
  'ERR_CANCELED',
  'UND_ERR_SOCKET',
]);

/** Codes that mean "slow down", whatever the HTTP status says. */
const RATE_LIMIT_CODES = new Set([20429, 14107]);

// ---------------------------------------------------------------------------------------------------------------
// Response capture: RestException drops the response headers, so the RequestClient records status + headers of
// each response into the async context of the call that made it (safe with concurrent sends on one client).

export interface ResponseCapture {
  statusCode?: number;
  headers?: Record<string, unknown>;
}

const responseCapture = new AsyncLocalStorage<ResponseCapture>();

/**
 * The SDK's own RequestClient (auth header, form encoding, timeouts), pointed at `apiBaseUrl` when given and
 * recording response headers for error classification.
 */
export class RedirectingRequestClient extends RequestClient {
  private readonly baseUrl?: string;

  constructor(options: { apiBaseUrl?: string; timeoutMs?: number } = {}) {
    // autoRetry stays off: the SDK would silently re-send on 429 inside one invocation. Our core owns retries
    // (exponential backoff with jitter across SQS receives, honouring Retry-After), and must see every 429.
    super({ timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, autoRetry: false });
    this.baseUrl = options.apiBaseUrl?.replace(/\/+$/, '');
  }

  override async request<TData>(opts: RequestClient.RequestOptions<TData>) {
    const uri = this.baseUrl ? rebase(opts.uri, this.baseUrl) : opts.uri;
    const response = await super.request<TData>({ ...opts, uri });
    const capture = responseCapture.getStore();
    if (capture) {
      capture.statusCode = response.statusCode;
      capture.headers = toPlainHeaders(response.headers);
    }
    return response;
  }
}

function rebase(uri: string, baseUrl: string): string {
  const url = new URL(uri);
  return baseUrl + url.pathname + url.search;
}

function toPlainHeaders(headers: unknown): Record<string, unknown> {
  if (!headers || typeof headers !== 'object') return {};
  const source =
    typeof (headers as { toJSON?: unknown }).toJSON === 'function'
      ? (headers as { toJSON(): Record<string, unknown> }).toJSON()
      : (headers as Record<string, unknown>);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(source)) out[k.toLowerCase()] = v;
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// A minimal Twilio client: BaseTwilio.Client + the 2010-04-01 API version, built lazily.

class MessagingClient extends BaseTwilio.Client {
  private apiV2010?: Version;
  private messageList?: MessageList;

  get v2010(): Version {
    this.apiV2010 ??= new Version(new Domain(this, TWILIO_API_ORIGIN), '2010-04-01');
    return this.apiV2010;
  }

  /** `client.api.v2010.accounts(sid).messages`, without loading the account's other resources. */
  get messages(): MessageList {
    // MessageListInstance only uses the Version part of V2010 (request/create/page/fetch).
    this.messageList ??= MessageListInstance(this.v2010 as unknown as V2010, this.accountSid);
    return this.messageList;
  }

  /** `client.api.v2010.accounts(sid).fetch()`: the same request, returning the raw account resource. */
  fetchAccount(): Promise<{ sid: string; status?: string }> {
    return this.v2010.fetch({
      uri: `/Accounts/${encodeURIComponent(this.accountSid)}.json`,
      method: 'get',
      headers: { Accept: 'application/json' },
    });
  }
}

// ---------------------------------------------------------------------------------------------------------------

type Operation = 'send' | 'find' | 'verify';

export interface CallContext {
  operation: Operation;
  token: string;
  to?: string;
  body?: string;
}

export class TwilioSmsSender implements SmsSender<TwilioCredentials> {
  private readonly httpClient: RedirectingRequestClient;
  private readonly clients = new Map<string, MessagingClient>();
  private readonly timeoutMs: number;

  constructor(options: TwilioSmsSenderOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.httpClient = new RedirectingRequestClient({ apiBaseUrl: options.apiBaseUrl, timeoutMs: this.timeoutMs });
  }

  async send(credentials: TwilioCredentials, message: OutboundSms): Promise<SentSms> {
    const context: CallContext = {
      operation: 'send',
      token: credentials.authToken,
      to: message.to,
      body: message.body,
    };
    const client = this.clientFor(credentials, context);
    const created = await this.call(context, () =>
      client.messages.create({
        to: message.to,
        body: message.body,
        ...(message.messagingServiceSid ? { messagingServiceSid: message.messagingServiceSid } : {}),
        ...(message.from ? { from: message.from } : {}),
        ...(message.statusCallback ? { statusCallback: message.statusCallback } : {}),
      }),
    );
    return toSentSms(created);
  }

  async findSent(
    credentials: TwilioCredentials,
    query: { to: string; from?: string; body: string; since: Date },
  ): Promise<SentSms | undefined> {
    const context: CallContext = { operation: 'find', token: credentials.authToken, to: query.to, body: query.body };
    const client = this.clientFor(credentials, context);
    // No DateSent filter on purpose: Twilio sets date_sent only once the carrier took the message, so a message
    // still queued/accepted (the very case we look for: accepted, then the worker died) would be filtered out.
    // DateSent is also day-granular. The list is newest first; we page through it (the SDK follows
    // next_page_uri) until it passes the send's start time, comparing `date_created` here.
    const notBefore = query.since.getTime() - FIND_SKEW_MS;
    let page: MessageListPage | undefined = await this.call(context, () =>
      client.messages.page({
        to: query.to,
        ...(query.from ? { from: query.from } : {}),
        pageSize: FIND_PAGE_SIZE,
      }),
    );
    for (let pages = 1; page; pages++) {
      const match = page.instances.find(
        (m) => m.body === query.body && m.dateCreated instanceof Date && m.dateCreated.getTime() >= notBefore,
      );
      if (match) return toSentSms(match);
      if (page.instances.some((m) => isBefore(m, notBefore)) || !page.nextPageUrl) return undefined;
      if (pages >= FIND_MAX_PAGES) {
        // Not knowing is not "not sent": the worker retries the lookup rather than risk a second SMS.
        throw new DownstreamError(
          'twilio',
          `${describe(context)} read ${pages * FIND_PAGE_SIZE} messages without reaching the send's start time.`,
          { retryable: true },
        );
      }
      const current: MessageListPage = page;
      page = await this.call(context, async () => current.nextPage());
    }
    return undefined;
  }

  async verifyAccount(credentials: TwilioCredentials): Promise<void> {
    const context: CallContext = { operation: 'verify', token: credentials.authToken };
    const client = this.clientFor(credentials, context);
    let account: { status?: string };
    try {
      account = await this.call(context, () => client.fetchAccount());
    } catch (error) {
      if (error instanceof DownstreamError && error.status === 404) {
        // The account does not exist for these credentials: as wrong as a bad token.
        throw new DownstreamError('twilio', error.message, {
          retryable: false,
          status: 404,
          code: error.code,
          credentialsInvalid: true,
        });
      }
      throw error;
    }
    if (account.status === 'suspended' || account.status === 'closed') {
      throw new DownstreamError('twilio', `Twilio account check failed: the account is ${account.status}.`, {
        retryable: false,
        credentialsInvalid: true,
        code: `account_${account.status}`,
      });
    }
  }

  // -------------------------------------------------------------------------------------------------------------

  private clientFor(credentials: TwilioCredentials, context: CallContext): MessagingClient {
    const { accountSid, authToken } = credentials;
    if (!isTwilioAccountSid(accountSid ?? '') || !authToken) {
      throw new DownstreamError(
        'twilio',
        `${describe(context)} failed: the account SID is not of the form AC + 32 hex digits, or the auth token is empty.`,
        { retryable: false, credentialsInvalid: true },
      );
    }
    const key = `${accountSid}:${createHash('sha256').update(authToken).digest('base64url')}`;
    let client = this.clients.get(key);
    if (client) {
      // Refresh recency (Map keeps insertion order).
      this.clients.delete(key);
    } else {
      client = new MessagingClient(accountSid, authToken, { httpClient: this.httpClient, autoRetry: false });
      if (this.clients.size >= MAX_CACHED_CLIENTS) {
        const oldest = this.clients.keys().next().value;
        if (oldest !== undefined) this.clients.delete(oldest);
      }
    }
    this.clients.set(key, client);
    return client;
  }

  private async call<T>(context: CallContext, fn: () => Promise<T>): Promise<T> {
    const capture: ResponseCapture = {};
    try {
      return await responseCapture.run(capture, fn);
    } catch (error) {
      throw classifyTwilioError(error, context, capture, this.timeoutMs);
    }
  }
}

/** What findSent uses of the SDK's list page (`nextPage()` is undefined on the last page). */
interface MessageListPage {
  instances: MessageInstance[];
  nextPageUrl?: string;
  nextPage(): Promise<MessageListPage> | undefined;
}

/**
 * True when every message after this one in the list is older than `notBefore` too, whichever order Twilio lists
 * in (newest date_created first, or newest date_sent first with unsent ones on top): it was sent, and both its
 * dates are before `notBefore`. A message never sent (no date_sent) proves nothing about the ones after it.
 */
function isBefore(m: MessageInstance, notBefore: number): boolean {
  return (
    m.dateSent instanceof Date &&
    m.dateSent.getTime() < notBefore &&
    m.dateCreated instanceof Date &&
    m.dateCreated.getTime() < notBefore
  );
}

function toSentSms(m: MessageInstance): SentSms {
  const segments = Number.parseInt(String(m.numSegments ?? ''), 10);
  return { sid: m.sid, status: m.status, ...(Number.isFinite(segments) ? { numSegments: segments } : {}) };
}

function describe(context: CallContext): string {
  switch (context.operation) {
    case 'send':
      return `Twilio send to ${context.to ? maskPhone(context.to) : 'unknown recipient'}`;
    case 'find':
      return `Twilio message lookup for ${context.to ? maskPhone(context.to) : 'unknown recipient'}`;
    default:
      return 'Twilio account check';
  }
}

interface HttpFailure {
  status: number;
  code?: number;
  message: string;
}

function asHttpFailure(error: unknown): HttpFailure | undefined {
  if (error instanceof RestException || error instanceof TwilioServiceException) {
    return { status: error.status, code: error.code || undefined, message: error.message ?? '' };
  }
  return undefined;
}

function networkCode(error: unknown): string | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const e = error as { code?: unknown; name?: unknown; message?: unknown; isAxiosError?: unknown; cause?: unknown };
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return e.code;
  if (e.name === 'AbortError' || e.name === 'CanceledError') return 'AbortError';
  if (typeof e.message === 'string' && /socket hang up/i.test(e.message)) return 'ECONNRESET';
  if (typeof e.message === 'string' && /timeout of \d+ms exceeded/i.test(e.message)) return 'ETIMEDOUT';
  if (e.isAxiosError === true && typeof e.code === 'string') return e.code;
  if (e.cause && e.cause !== error) return networkCode(e.cause);
  return undefined;
}

/**
 * Maps whatever the SDK threw to a DownstreamError the retry policy understands. Messages never carry the auth
 * token, the full recipient number or the message body; the raw SDK error (its config holds the Authorization
 * header) is deliberately not attached as `cause`.
 */
export function classifyTwilioError(
  error: unknown,
  context: CallContext,
  capture: ResponseCapture = {},
  timeoutMs = DEFAULT_TIMEOUT_MS,
): DownstreamError {
  if (error instanceof DownstreamError) return error;
  const what = describe(context);
  const scrub = (text: string) => redactText(text, { secrets: [context.token], to: context.to, body: context.body });

  const http = asHttpFailure(error);
  if (http) {
    const { status, code } = http;
    const reason = scrub(http.message || 'no message').replace(/\.\s*$/, '');
    const detail = `HTTP ${status}${code ? `, code ${code}` : ''}: ${reason}`;
    const retryAfterSeconds = parseRetryAfter(capture.headers?.['retry-after']);
    const common = { status, ...(code !== undefined ? { code } : {}) };

    if (status === 429 || (code !== undefined && RATE_LIMIT_CODES.has(code))) {
      return new DownstreamError('twilio', `${what} was rate limited (${detail}).`, {
        retryable: true,
        ...common,
        ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
      });
    }
    if (code === 20003 || status === 401) {
      return new DownstreamError(
        'twilio',
        `${what} failed: Twilio rejected the account SID / auth token (${detail}). Sends pause until the tenant registers valid credentials.`,
        { retryable: false, credentialsInvalid: true, ...common },
      );
    }
    if (status >= 500 || status === 408) {
      return new DownstreamError('twilio', `${what} failed with a Twilio server error (${detail}).`, {
        retryable: true,
        ...common,
        ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
      });
    }
    // 21211 invalid To, 21614 not a mobile number, 21610 unsubscribed (STOP), 21408 region not enabled,
    // 21606 From cannot send, 21612 route not possible, 21617 body too long, 21608 trial unverified number, and any
    // other 4xx: permanent for this message.
    return new DownstreamError('twilio', `${what} was rejected (${detail}).`, { retryable: false, ...common });
  }

  const network = networkCode(error);
  if (network) {
    const timedOut = network === 'ECONNABORTED' || network === 'ETIMEDOUT' || network === 'ESOCKETTIMEDOUT';
    const note =
      context.operation === 'send'
        ? ' Twilio may have accepted the message: look it up with findSent before sending again.'
        : '';
    return new DownstreamError(
      'twilio',
      timedOut
        ? `${what} got no answer within ${timeoutMs} ms (${network}).${note}`
        : `${what} failed: network error (${network}).${note}`,
      { retryable: true, code: network },
    );
  }

  if (error instanceof SyntaxError) {
    // A 2xx with an unreadable body: the request may have gone through. Retry (after findSent).
    return new DownstreamError('twilio', `${what} got an unreadable response from Twilio.`, { retryable: true });
  }

  const text = error instanceof Error ? error.message : String(error);
  return new DownstreamError('twilio', `${what} failed: ${scrub(text)}`, { retryable: false });
}
