/**
 * A fake MifosX / Apache Fineract API on 127.0.0.1: `GET {basePath}clients/{id}`, `loans/{id}`,
 * `savingsaccounts/{id}` with data seeded per test, the tenant header and Basic credential checks of the real
 * servers, Fineract-shaped error bodies, and faults (failures, early 404s, connection refused or dropped, delays).
 *
 *   const fake = await FakeFineract.start({ basePath: '/mifosng-provider/api/v1/', tenantHeader: 'mifosx' });
 *   fake.addClient({ id: 42, displayName: 'Jane Doe', mobileNo: '254700000001' });
 *   await client.get(fake.apiBase, 'clients/42', { tenantId: 'default', mifosToken: fake.token });
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type TenantHeaderMode = 'fineract' | 'mifosx' | 'either';

export interface FakeFineractOptions {
  /** Default `/fineract-provider/api/v1/`. */
  basePath?: string;
  /** Which header carries the tenant: current Fineract reads only `Fineract-Platform-TenantId`, MifosX only the X- one. */
  tenantHeader?: TenantHeaderMode;
  /** Accepted tenant ids; default ['default']. */
  tenants?: string[];
  /** Basic credentials required (default mifos/password); `null` disables the check. */
  credentials?: { username: string; password: string } | null;
  /** Also accept `Authorization: Bearer {bearerToken}` (OAuth mode). */
  bearerToken?: string;
}

export interface FakeClient {
  id: number;
  displayName?: string;
  firstname?: string;
  lastname?: string;
  mobileNo?: string;
  officeName?: string;
  officeId?: number;
  accountNo?: string;
  [key: string]: unknown;
}

export interface FakeLoan {
  id: number;
  accountNo?: string;
  clientId?: number;
  clientName?: string;
  [key: string]: unknown;
}

export interface FakeSavings {
  id: number;
  accountNo?: string;
  clientId?: number;
  clientName?: string;
  [key: string]: unknown;
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** Lower-cased names. */
  headers: http.IncomingHttpHeaders;
}

type Resource = 'clients' | 'loans' | 'savingsaccounts';

export class FakeFineract {
  readonly requests: RecordedRequest[] = [];
  readonly basePath: string;
  private readonly tenantHeader: TenantHeaderMode;
  private readonly tenants: Set<string>;
  private readonly credentials: { username: string; password: string } | null;
  private readonly bearerToken?: string;
  private readonly data: Record<Resource, Map<string, Record<string, unknown>>> = {
    clients: new Map(),
    loans: new Map(),
    savingsaccounts: new Map(),
  };
  private failures: number[] = [];
  private notFoundBudget = 0;
  private readonly notFoundSeen = new Map<string, number>();
  private delayMs = 0;
  private drops = 0;
  private mode: 'up' | 'refuse' | '503' = 'up';
  private readonly sockets = new Set<Socket>();
  private server: http.Server;
  private port = 0;
  private customBody?: { status: number; body: string; contentType: string; headers?: Record<string, string> };

  private constructor(options: FakeFineractOptions) {
    this.basePath = normaliseBasePath(options.basePath ?? '/fineract-provider/api/v1/');
    this.tenantHeader = options.tenantHeader ?? 'either';
    this.tenants = new Set(options.tenants ?? ['default']);
    this.credentials =
      options.credentials === undefined ? { username: 'mifos', password: 'password' } : options.credentials;
    this.bearerToken = options.bearerToken;
    this.server = this.createServer();
  }

  static async start(options: FakeFineractOptions = {}): Promise<FakeFineract> {
    const fake = new FakeFineract(options);
    await fake.listen(0);
    return fake;
  }

  /** `http://127.0.0.1:{port}` */
  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The API base as a registration would carry it, e.g. `http://127.0.0.1:1234/fineract-provider/api/v1/`. */
  get apiBase(): string {
    return `${this.origin}${this.basePath}`;
  }

  /** base64(user:password) of the configured credentials: what a registration's `mifosToken` holds. */
  get token(): string {
    const c = this.credentials ?? { username: 'mifos', password: 'password' };
    return Buffer.from(`${c.username}:${c.password}`).toString('base64');
  }

  addClient(client: FakeClient): void {
    const displayName = client.displayName ?? [client.firstname, client.lastname].filter(Boolean).join(' ');
    this.data.clients.set(String(client.id), {
      accountNo: String(client.id).padStart(9, '0'),
      status: { id: 300, code: 'clientStatusType.active', value: 'Active' },
      active: true,
      officeId: 1,
      officeName: 'Head Office',
      ...client,
      displayName,
    });
  }

  addLoan(loan: FakeLoan): void {
    this.data.loans.set(String(loan.id), {
      accountNo: String(loan.id).padStart(9, '0'),
      status: { id: 300, code: 'loanStatusType.active', value: 'Active' },
      loanProductName: 'Starter loan',
      currency: { code: 'KES', decimalPlaces: 2 },
      ...loan,
    });
  }

  addSavings(savings: FakeSavings): void {
    this.data.savingsaccounts.set(String(savings.id), {
      accountNo: String(savings.id).padStart(9, '0'),
      status: { id: 300, code: 'savingsAccountStatusType.active', value: 'Active' },
      savingsProductName: 'Passbook savings',
      currency: { code: 'KES', decimalPlaces: 2 },
      ...savings,
    });
  }

  /** The next `n` requests answer `status` (default 500) with a Fineract-style error body. */
  failNext(n: number, status = 500): void {
    this.failures.push(...new Array<number>(n).fill(status));
  }

  /** The first `n` requests of every resource id answer 404, later ones 200 (MifosX fires before its commit). */
  notFoundFirst(n: number): void {
    this.notFoundBudget = n;
    this.notFoundSeen.clear();
  }

  /** The next `n` requests get their connection closed without an answer (a server that dropped an idle socket). */
  dropNext(n: number): void {
    this.drops += n;
  }

  /** Every response waits `ms` first (0 to stop). */
  delay(ms: number): void {
    this.delayMs = ms;
  }

  /** The next response is exactly this (invalid JSON, huge bodies, redirects …). */
  respondNextWith(
    status: number,
    body: string,
    contentType = 'application/json',
    headers?: Record<string, string>,
  ): void {
    this.customBody = { status, body, contentType, headers };
  }

  /** `refuse`: close the listener (connection refused, same port afterwards); `503`: answer 503 to everything. */
  async down(mode: 'refuse' | '503' = 'refuse'): Promise<void> {
    if (mode === '503') {
      this.mode = '503';
      return;
    }
    this.mode = 'refuse';
    await this.closeListener();
  }

  async up(): Promise<void> {
    if (this.mode === 'refuse') {
      this.server = this.createServer();
      await this.listen(this.port);
    }
    this.mode = 'up';
  }

  async stop(): Promise<void> {
    if (this.mode !== 'refuse') await this.closeListener();
    this.mode = 'refuse';
  }

  private createServer(): http.Server {
    const server = http.createServer((req, res) => {
      void this.handle(req, res);
    });
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    return server;
  }

  private listen(port: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        this.port = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private async closeListener(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await closed;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = req.url ?? '/';
    this.requests.push({ method: req.method ?? 'GET', path, headers: { ...req.headers } });
    if (this.drops > 0) {
      this.drops -= 1;
      req.socket.destroy();
      return;
    }
    if (this.delayMs > 0) {
      const ms = this.delayMs;
      await new Promise((resolve) => setTimeout(resolve, ms));
      if (res.destroyed) return;
    }
    if (this.customBody) {
      const { status, body, contentType, headers } = this.customBody;
      this.customBody = undefined;
      res.writeHead(status, { 'content-type': contentType, ...headers });
      res.end(body);
      return;
    }
    if (this.mode === '503') return this.error(res, 503, 'Service Unavailable', 'error.msg.service.unavailable');
    const failure = this.failures.shift();
    if (failure !== undefined) return this.error(res, failure, `Injected failure ${failure}`, 'error.msg.injected');

    if (req.method !== 'GET') return this.error(res, 405, 'Method not allowed', 'error.msg.method.not.allowed');

    const tenant = this.tenantOf(req.headers);
    if (tenant === undefined || !this.tenants.has(tenant)) {
      // Fineract's TenantAwareBasicAuthenticationFilter answers 400 for a missing or unknown tenant.
      return this.error(res, 400, 'The tenant identifier was not found', 'error.msg.invalid.tenant.identifier');
    }
    if (!this.authorised(req.headers.authorization)) {
      res.setHeader('www-authenticate', 'Basic realm="Fineract Platform API"');
      return this.error(res, 401, 'Unauthenticated. Please login.', 'error.msg.not.authenticated');
    }

    const url = new URL(path, 'http://fake');
    if (!url.pathname.startsWith(this.basePath)) return this.notFound(res, 'resource', url.pathname);
    const match = /^(clients|loans|savingsaccounts)\/(\d+)\/?$/.exec(url.pathname.slice(this.basePath.length));
    if (!match) return this.notFound(res, 'resource', url.pathname);
    const resource = match[1] as Resource;
    const id = match[2]!;

    const key = `${resource}/${id}`;
    const seen = this.notFoundSeen.get(key) ?? 0;
    this.notFoundSeen.set(key, seen + 1);
    const record = this.data[resource].get(id);
    if (!record || seen < this.notFoundBudget) return this.notFound(res, resource, id);

    const text = JSON.stringify(record);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  private tenantOf(headers: http.IncomingHttpHeaders): string | undefined {
    const fineract = headerValue(headers['fineract-platform-tenantid']);
    const mifosx = headerValue(headers['x-mifos-platform-tenantid']);
    if (this.tenantHeader === 'fineract') return fineract;
    if (this.tenantHeader === 'mifosx') return mifosx;
    return fineract ?? mifosx;
  }

  private authorised(authorization: string | undefined): boolean {
    if (this.credentials === null) return true;
    if (!authorization) return false;
    if (this.bearerToken && authorization === `Bearer ${this.bearerToken}`) return true;
    return authorization === `Basic ${this.token}`;
  }

  private notFound(res: http.ServerResponse, resource: string, id: string): void {
    const entity = { clients: 'Client', loans: 'Loan', savingsaccounts: 'Savings account' }[resource] ?? 'Resource';
    this.error(res, 404, 'The requested resource is not available.', 'error.msg.resource.not.found', [
      {
        developerMessage: `${entity} with identifier ${id} does not exist`,
        defaultUserMessage: `${entity} with identifier ${id} does not exist`,
        userMessageGlobalisationCode: `error.msg.${resource}.id.invalid`,
        parameterName: 'id',
      },
    ]);
  }

  private error(res: http.ServerResponse, status: number, message: string, code: string, errors: unknown[] = []): void {
    const text = JSON.stringify({
      developerMessage: message,
      httpStatusCode: String(status),
      defaultUserMessage: message,
      userMessageGlobalisationCode: code,
      errors,
    });
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text === '' ? undefined : text;
}

function normaliseBasePath(basePath: string): string {
  const withLeading = basePath.startsWith('/') ? basePath : `/${basePath}`;
  return withLeading.endsWith('/') ? withLeading : `${withLeading}/`;
}
