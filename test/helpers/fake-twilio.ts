/**
 * A fake Twilio REST API (2010-04-01 Messages and Accounts) on 127.0.0.1, for the real twilio SDK to talk to.
 *
 *   const fake = new FakeTwilio();
 *   const { baseUrl } = await fake.start();        // → TwilioSmsSender({ apiBaseUrl: baseUrl })
 *   fake.addAccount(sid, token);
 *   fake.failNext(2, { status: 500 });             // 500, 500, then normal answers
 *   fake.failWhen((r) => r.form.To === '+15005550001', { status: 400, code: 21211 });
 *   fake.acceptButHang(5_000);                     // next send: recorded, answer held past the client timeout
 *   fake.acceptThenDrop();                         // next send: recorded, socket destroyed
 *   fake.addMessage({ accountSid, to, body, at });   // history to page through (list: PageSize, Page, PageToken)
 *   fake.listOrder = 'date_sent';                  // list order: newest date_created first (default) or date_sent
 *   fake.messages / fake.requests; fake.reset(); await fake.stop();
 *
 * Faults are consumed in this order: failNext (queued), failWhen (persistent), then accept-faults (sends only).
 * `reset()` clears records and faults but keeps registered accounts.
 */
import { randomBytes } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { countSegments } from '../../lambdas/core/segments';

export interface FakeMessage {
  sid: string;
  accountSid: string;
  to: string;
  from: string | null;
  messagingServiceSid: string | null;
  body: string;
  statusCallback: string | null;
  /** When the fake accepted it (date_created). */
  at: Date;
  status: string;
  /** Set when the message is marked sent/delivered (Twilio leaves date_sent null while queued). */
  sentAt: Date | null;
  numSegments: number;
}

export interface FakeRequest {
  method: string;
  path: string;
  route: 'send' | 'list' | 'account' | 'unknown';
  query: Record<string, string>;
  form: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  /** Basic-auth user and password as received (tests may assert on them). */
  username?: string;
  password?: string;
  /** Account SID from the path. */
  accountSid?: string;
  at: Date;
}

export interface Fault {
  status?: number;
  code?: number;
  message?: string;
  /** Sent as the Retry-After header. */
  retryAfter?: number | string;
  /** Destroy the socket without answering (a network error before Twilio accepted anything). */
  drop?: boolean;
  /** Only apply to this route (default: any). */
  route?: FakeRequest['route'];
}

type AcceptFault = { kind: 'hang'; ms: number } | { kind: 'drop' };

const API_VERSION = '2010-04-01';
const SEND_PATH = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/;
const ACCOUNT_PATH = /^\/2010-04-01\/Accounts\/([^/]+)\.json$/;
const E164 = /^\+[1-9]\d{6,14}$/;

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
/** Twilio's RFC 2822 dates: `Thu, 30 Jul 2015 20:12:31 +0000`. */
export const rfc2822 = (d: Date) => d.toUTCString().replace('GMT', '+0000');

export class FakeTwilio {
  readonly messages: FakeMessage[] = [];
  readonly requests: FakeRequest[] = [];
  private readonly accounts = new Map<string, { token: string; friendlyName: string; status: string }>();
  private server?: http.Server;
  private baseUrl?: string;
  private queuedFaults: Fault[] = [];
  private predicateFaults: Array<{ when: (r: FakeRequest) => boolean; fault: Fault }> = [];
  private acceptFaults: AcceptFault[] = [];
  private delayMs = 0;
  /**
   * How `GET …/Messages.json` orders: newest `date_created` first, or newest `date_sent` first with messages not
   * yet sent (no date_sent) on top, as Twilio documents its list.
   */
  listOrder: 'date_created' | 'date_sent' = 'date_created';
  private readonly timers = new Set<NodeJS.Timeout>();

  async start(): Promise<{ baseUrl: string }> {
    if (this.baseUrl) return { baseUrl: this.baseUrl };
    const server = http.createServer((req, res) => {
      this.handle(req, res).catch((error) => {
        if (!res.headersSent) this.json(res, 500, { code: 20500, message: String(error), status: 500 });
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    const { port } = server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}`;
    return { baseUrl: this.baseUrl };
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const server = this.server;
    this.server = undefined;
    this.baseUrl = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Registers credentials; `status` is what `GET /Accounts/{Sid}.json` reports (active, suspended, closed). */
  addAccount(sid: string, token: string, friendlyName = 'Fake account', status = 'active'): this {
    this.accounts.set(sid, { token, friendlyName, status });
    return this;
  }

  /** The next `n` requests (of `fault.route`, if set) get this error. */
  failNext(n: number, fault: Fault): this {
    for (let i = 0; i < n; i++) this.queuedFaults.push(fault);
    return this;
  }

  /** Every request matching `when` gets this error, until reset. */
  failWhen(when: (request: FakeRequest) => boolean, fault: Fault): this {
    this.predicateFaults.push({ when, fault });
    return this;
  }

  /** The next `times` sends are recorded, then answered only after `ms` (past the client's timeout). */
  acceptButHang(ms: number, times = 1): this {
    for (let i = 0; i < times; i++) this.acceptFaults.push({ kind: 'hang', ms });
    return this;
  }

  /** The next `times` sends are recorded, then the socket is destroyed without an answer. */
  acceptThenDrop(times = 1): this {
    for (let i = 0; i < times; i++) this.acceptFaults.push({ kind: 'drop' });
    return this;
  }

  /** Answer everything after `ms` (0 to stop). */
  delay(ms: number): this {
    this.delayMs = ms;
    return this;
  }

  /**
   * Records a message as if it had been sent earlier (for lookups through a long history); `at` is its
   * date_created, `sentAt` its date_sent (null: still queued).
   */
  addMessage(message: Pick<FakeMessage, 'accountSid' | 'to' | 'body'> & Partial<FakeMessage>): FakeMessage {
    const at = message.at ?? new Date();
    const record: FakeMessage = {
      sid: `SM${hex(16)}`,
      from: null,
      messagingServiceSid: null,
      statusCallback: null,
      status: 'delivered',
      sentAt: at,
      numSegments: countSegments(message.body).segments,
      ...message,
      at,
    };
    this.messages.push(record);
    return record;
  }

  /** Moves a message on, as Twilio would (sets date_sent for sent/delivered). */
  setStatus(sid: string, status: string, at = new Date()): FakeMessage {
    const m = this.messages.find((x) => x.sid === sid);
    if (!m) throw new Error(`fake-twilio: no message ${sid}`);
    m.status = status;
    if (['sent', 'delivered', 'undelivered', 'failed'].includes(status) && !m.sentAt) m.sentAt = at;
    return m;
  }

  /** Clears messages, requests and faults; registered accounts stay. */
  reset(): this {
    this.messages.length = 0;
    this.requests.length = 0;
    this.queuedFaults = [];
    this.predicateFaults = [];
    this.acceptFaults = [];
    this.delayMs = 0;
    this.listOrder = 'date_created';
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    return this;
  }

  // -------------------------------------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname;
    const sendMatch = SEND_PATH.exec(path);
    const accountMatch = ACCOUNT_PATH.exec(path);
    const method = (req.method ?? 'GET').toUpperCase();
    const route: FakeRequest['route'] = sendMatch
      ? method === 'POST'
        ? 'send'
        : method === 'GET'
          ? 'list'
          : 'unknown'
      : accountMatch && method === 'GET'
        ? 'account'
        : 'unknown';
    const auth = parseBasicAuth(req.headers.authorization);
    const request: FakeRequest = {
      method,
      path,
      route,
      query: Object.fromEntries(url.searchParams),
      form: isForm(req) ? Object.fromEntries(new URLSearchParams(raw)) : {},
      headers: { ...req.headers },
      username: auth?.username,
      password: auth?.password,
      accountSid: decodeURIComponent((sendMatch ?? accountMatch)?.[1] ?? '') || undefined,
      at: new Date(),
    };
    this.requests.push(request);

    if (this.delayMs > 0) await this.sleep(this.delayMs);
    if (!this.server) return;

    const fault = this.takeFault(request);
    if (fault) {
      if (fault.drop) {
        req.socket.destroy();
        return;
      }
      const status = fault.status ?? 500;
      const headers: Record<string, string> = {};
      if (fault.retryAfter !== undefined) headers['Retry-After'] = String(fault.retryAfter);
      this.json(res, status, errorBody(status, fault.code ?? defaultCode(status), fault.message), headers);
      return;
    }

    if (route === 'unknown') {
      this.json(res, 404, errorBody(404, 20404, `The requested resource ${path} was not found`));
      return;
    }

    const account = this.accounts.get(auth?.username ?? '');
    if (!auth || !account || account.token !== auth.password) {
      this.json(res, 401, errorBody(401, 20003, 'Authenticate'));
      return;
    }
    if (request.accountSid !== auth.username) {
      this.json(res, 404, errorBody(404, 20404, `The requested resource ${path} was not found`));
      return;
    }

    if (route === 'account') {
      this.json(res, 200, {
        sid: auth.username,
        friendly_name: account.friendlyName,
        status: account.status,
        type: 'Full',
        owner_account_sid: auth.username,
        date_created: rfc2822(new Date(Date.UTC(2020, 0, 1))),
        date_updated: rfc2822(new Date(Date.UTC(2020, 0, 1))),
        uri: `/${API_VERSION}/Accounts/${auth.username}.json`,
      });
      return;
    }
    if (route === 'list') {
      this.json(res, 200, this.listPage(auth.username, url));
      return;
    }
    await this.create(auth.username, request, req, res);
  }

  private async create(accountSid: string, request: FakeRequest, req: IncomingMessage, res: ServerResponse) {
    const f = request.form;
    const to = f.To ?? '';
    if (!to) return this.json(res, 400, errorBody(400, 21604, "A 'To' phone number is required."));
    if (!E164.test(to)) {
      return this.json(res, 400, errorBody(400, 21211, `The 'To' number ${to} is not a valid phone number.`));
    }
    if (!f.From && !f.MessagingServiceSid) {
      return this.json(res, 400, errorBody(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required."));
    }
    if (f.Body === undefined || f.Body === '') {
      return this.json(res, 400, errorBody(400, 21602, 'Message body is required.'));
    }
    if (f.Body.length > 1600) {
      return this.json(
        res,
        400,
        errorBody(400, 21617, 'The concatenated message body exceeds the 1600 character limit.'),
      );
    }
    const message: FakeMessage = {
      sid: `SM${hex(16)}`,
      accountSid,
      to,
      from: f.From ?? null,
      messagingServiceSid: f.MessagingServiceSid ?? null,
      body: f.Body,
      statusCallback: f.StatusCallback ?? null,
      at: new Date(),
      status: f.MessagingServiceSid && !f.From ? 'accepted' : 'queued',
      sentAt: null,
      numSegments: countSegments(f.Body).segments,
    };
    this.messages.push(message);

    const acceptFault = this.acceptFaults.shift();
    if (acceptFault?.kind === 'drop') {
      req.socket.destroy();
      return;
    }
    if (acceptFault?.kind === 'hang') {
      await this.sleep(acceptFault.ms);
      if (!this.server || res.destroyed || req.socket.destroyed) return;
    }
    this.json(res, 201, toResource(message));
  }

  private listPage(accountSid: string, url: URL) {
    const q = url.searchParams;
    const pageSize = clampInt(q.get('PageSize'), 50, 1, 1000);
    const page = clampInt(q.get('Page'), 0, 0, 1_000_000);
    const dateFilter = (key: string) => (q.has(key) ? parseDateParam(q.get(key)!) : undefined);
    const on = dateFilter('DateSent');
    const after = dateFilter('DateSent>') ?? dateFilter('DateSent>=');
    const before = dateFilter('DateSent<') ?? dateFilter('DateSent<=');
    const day = 86_400_000;
    const matching = this.messages
      .filter((m) => m.accountSid === accountSid)
      .filter((m) => !q.has('To') || m.to === q.get('To'))
      .filter((m) => !q.has('From') || m.from === q.get('From'))
      // Day-granular like Twilio; a message without date_sent (still queued) never matches a DateSent filter.
      .filter((m) => on === undefined || (m.sentAt !== null && startOfDay(m.sentAt) === startOfDay(on)))
      .filter((m) => after === undefined || (m.sentAt !== null && m.sentAt.getTime() >= startOfDay(after)))
      .filter((m) => before === undefined || (m.sentAt !== null && m.sentAt.getTime() < startOfDay(before) + day))
      .sort(this.listOrder === 'date_sent' ? byDateSentDesc : byDateCreatedDesc);
    // Twilio's next_page_uri carries a PageToken (a cursor after the last item served), so a page boundary does
    // not shift when new messages arrive; `Page` alone is honoured too.
    const token = q.get('PageToken');
    const afterSid = token?.startsWith('PA') ? token.slice(2) : undefined;
    const cursorIndex = afterSid ? matching.findIndex((m) => m.sid === afterSid) : -1;
    const start = cursorIndex >= 0 ? cursorIndex + 1 : page * pageSize;
    const items = matching.slice(start, start + pageSize);
    const listUri = `/${API_VERSION}/Accounts/${accountSid}/Messages.json`;
    const pageUri = (p: number, pageToken?: string) => {
      const params = new URLSearchParams(q);
      params.set('PageSize', String(pageSize));
      params.set('Page', String(p));
      params.delete('PageToken');
      if (pageToken) params.set('PageToken', pageToken);
      return `${listUri}?${params.toString()}`;
    };
    const lastItem = items[items.length - 1];
    return {
      first_page_uri: pageUri(0),
      end: start + Math.max(items.length - 1, 0),
      previous_page_uri: page > 0 ? pageUri(page - 1) : null,
      messages: items.map(toResource),
      uri: pageUri(page, token ?? undefined),
      page_size: pageSize,
      start,
      next_page_uri: lastItem && start + items.length < matching.length ? pageUri(page + 1, `PA${lastItem.sid}`) : null,
      page,
    };
  }

  private takeFault(request: FakeRequest): Fault | undefined {
    const i = this.queuedFaults.findIndex((f) => !f.route || f.route === request.route);
    if (i >= 0) return this.queuedFaults.splice(i, 1)[0];
    return this.predicateFaults.find((p) => (!p.fault.route || p.fault.route === request.route) && p.when(request))
      ?.fault;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  private json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (res.destroyed || res.headersSent) return;
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(text),
      'Twilio-Request-Id': `RQ${hex(16)}`,
      ...headers,
    });
    res.end(text);
  }
}

const byDateCreatedDesc = (a: FakeMessage, b: FakeMessage) => b.at.getTime() - a.at.getTime();

/** Unsent (no date_sent) first, newest created first among them; then newest date_sent first. */
function byDateSentDesc(a: FakeMessage, b: FakeMessage): number {
  if (a.sentAt === null || b.sentAt === null) {
    if (a.sentAt === null && b.sentAt === null) return byDateCreatedDesc(a, b);
    return a.sentAt === null ? -1 : 1;
  }
  return b.sentAt.getTime() - a.sentAt.getTime();
}

function toResource(m: FakeMessage) {
  const uri = `/${API_VERSION}/Accounts/${m.accountSid}/Messages/${m.sid}`;
  return {
    account_sid: m.accountSid,
    api_version: API_VERSION,
    body: m.body,
    date_created: rfc2822(m.at),
    date_sent: m.sentAt ? rfc2822(m.sentAt) : null,
    date_updated: rfc2822(m.sentAt ?? m.at),
    direction: 'outbound-api',
    error_code: null,
    error_message: null,
    from: m.from,
    messaging_service_sid: m.messagingServiceSid,
    num_media: '0',
    num_segments: String(m.numSegments),
    price: null,
    price_unit: 'USD',
    sid: m.sid,
    status: m.status,
    subresource_uris: { media: `${uri}/Media.json`, feedback: `${uri}/Feedback.json` },
    to: m.to,
    uri: `${uri}.json`,
  };
}

function errorBody(status: number, code: number, message?: string) {
  return {
    code,
    message: message ?? defaultMessage(status),
    more_info: `https://www.twilio.com/docs/errors/${code}`,
    status,
  };
}

function defaultCode(status: number): number {
  if (status === 401) return 20003;
  if (status === 404) return 20404;
  if (status === 429) return 20429;
  return 20500;
}

function defaultMessage(status: number): string {
  if (status === 401) return 'Authenticate';
  if (status === 429) return 'Too Many Requests';
  if (status >= 500) return 'An internal server error has occurred';
  return 'Bad request';
}

function parseBasicAuth(header: string | undefined): { username: string; password: string } | undefined {
  const m = /^Basic\s+(.+)$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return undefined;
  return { username: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

function isForm(req: IncomingMessage): boolean {
  return (req.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function clampInt(value: string | null, fallback: number, min: number, max: number): number {
  const n = value === null ? Number.NaN : Number.parseInt(value, 10);
  return Number.isFinite(n) ? Math.min(Math.max(n, min), max) : fallback;
}

/** `YYYY-MM-DD` or a full ISO date-time (what the SDK sends). */
function parseDateParam(value: string): Date | undefined {
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  return Number.isNaN(t) ? undefined : new Date(t);
}

function startOfDay(d: Date): number {
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
}
