/**
 * A fake MifosX / Fineract hooks API on 127.0.0.1 (`/api/v1/hooks`, `/hooks/template`, `/hooks/{id}`):
 *
 * - `fineract` behaves like current Fineract 1.x: base `/fineract-provider`, tenant from `Fineract-Platform-TenantId`,
 *   `/actuator/info` reporting its version;
 * - `mifosx` behaves like MifosX 16.x: base `/mifosng-provider`, tenant from `X-Mifos-Platform-TenantId`, no
 *   actuator (404).
 *
 * Both check Basic credentials (401 with a Fineract error body otherwise) and keep hooks in memory.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeHooksFlavour = 'fineract' | 'mifosx';

export interface FakeHook {
  id: number;
  name: string;
  displayName: string;
  isActive: boolean;
  events: { entityName: string; actionName: string }[];
  config: { fieldName: string; fieldValue: string }[];
}

export interface FakeHooksRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body?: unknown;
}

export class FakeFineractHooks {
  readonly hooks: FakeHook[] = [];
  readonly requests: FakeHooksRequest[] = [];
  /** Called after a hook was created or updated (tests use it to play the sender's registration). */
  onSaved?: (hook: FakeHook) => void | Promise<void>;
  private nextId = 1;

  private constructor(
    private readonly server: http.Server,
    readonly flavour: FakeHooksFlavour,
    readonly version: string,
    readonly credentials: { username: string; password: string },
  ) {}

  static async start(
    options: { flavour?: FakeHooksFlavour; version?: string; username?: string; password?: string } = {},
  ): Promise<FakeFineractHooks> {
    const server = http.createServer();
    const fake = new FakeFineractHooks(server, options.flavour ?? 'fineract', options.version ?? '1.9.0', {
      username: options.username ?? 'mifos',
      password: options.password ?? 'password',
    });
    server.on('request', (req, res) => {
      fake.handle(req, res).catch(() => {
        res.statusCode = 500;
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get basePath(): string {
    return this.flavour === 'fineract' ? '/fineract-provider' : '/mifosng-provider';
  }

  /** What an admin passes as --url. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${this.basePath}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const path = (req.url ?? '/').split('?')[0]!;
    this.requests.push({
      method: req.method ?? '',
      path,
      headers: req.headers,
      body: text ? JSON.parse(text) : undefined,
    });
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };

    if (path === `${this.basePath}/actuator/info` && this.flavour === 'fineract') {
      return send(200, { build: { version: this.version, name: 'fineract-provider' } });
    }
    const api = `${this.basePath}/api/v1/`;
    if (!path.startsWith(api)) return send(404, { developerMessage: 'not found' });
    const tenantHeader = this.flavour === 'fineract' ? 'fineract-platform-tenantid' : 'x-mifos-platform-tenantid';
    if (req.headers[tenantHeader] !== 'default') {
      return send(400, { defaultUserMessage: 'The tenant identifier is missing or unknown' });
    }
    const expected = `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64')}`;
    if (req.headers.authorization !== expected) {
      return send(401, {
        userMessageGlobalisationCode: 'error.msg.not.authenticated',
        defaultUserMessage: 'Unauthenticated',
      });
    }
    const rest = path.slice(api.length);
    if (rest === 'hooks/template' && req.method === 'GET') return send(200, this.template());
    if (rest === 'hooks' && req.method === 'GET') return send(200, this.hooks);
    if (rest === 'hooks' && req.method === 'POST') {
      const hook = this.toHook(this.nextId++, JSON.parse(text));
      this.hooks.push(hook);
      await this.onSaved?.(hook);
      return send(200, { resourceId: hook.id });
    }
    const match = rest.match(/^hooks\/(\d+)$/);
    const index = match ? this.hooks.findIndex((h) => h.id === Number(match[1])) : -1;
    if (match && req.method === 'PUT') {
      if (index < 0) return send(404, { defaultUserMessage: `Hook with identifier ${match[1]} does not exist` });
      this.hooks[index] = this.toHook(Number(match[1]), JSON.parse(text));
      await this.onSaved?.(this.hooks[index]!);
      return send(200, { resourceId: Number(match[1]), changes: {} });
    }
    return send(404, { developerMessage: `no ${req.method} ${path}` });
  }

  private template() {
    const sms = ['Payload URL', 'SMS Provider', 'Phone Number', 'SMS Provider Account Id', 'SMS Provider Token'];
    const templates = [
      { id: 1, name: 'Web', schema: ['Payload URL', 'Content Type'].map((fieldName) => ({ fieldName })) },
      { id: 2, name: 'SMS Bridge', schema: sms.map((fieldName) => ({ fieldName })) },
    ];
    // MifosX 16.x still offered the Elastic Search template; current Fineract offers Message Gateway.
    templates.push(
      this.flavour === 'fineract'
        ? { id: 3, name: 'Message Gateway', schema: [{ fieldName: 'SMS Bridge' }] }
        : { id: 3, name: 'Elastic Search', schema: [{ fieldName: 'Index' }] },
    );
    return { templates, groupings: [] };
  }

  private toHook(id: number, body: Record<string, unknown>): FakeHook {
    const config = body.config as Record<string, string>;
    return {
      id,
      name: String(body.name),
      displayName: String(body.displayName),
      isActive: body.isActive === true,
      events: body.events as FakeHook['events'],
      config: Object.entries(config).map(([fieldName, fieldValue]) => ({ fieldName, fieldValue })),
    };
  }
}
