/**
 * The tenant's own MifosX / Fineract hooks API (`/api/v1/hooks`, `/hooks/template`), used by `fineract connect`
 * from the operator's machine: Basic auth, both tenant headers (MifosX reads `X-Mifos-Platform-TenantId`, current
 * Fineract `Fineract-Platform-TenantId`, docs/protocol.md §2), a whole-request deadline, and
 * FINERACT_TLS_INSECURE for the self-signed certificates many MifosX installs run with. Error messages never carry
 * the password.
 */
import http from 'node:http';
import https from 'node:https';

export interface FineractHooksClientOptions {
  /** `https://host/fineract-provider` (or `/mifosng-provider`); `/api/v1` is appended. */
  baseUrl: string;
  tenantId: string;
  username: string;
  password: string;
  timeoutMs?: number;
  /** Accept any server certificate (FINERACT_TLS_INSECURE=true). */
  tlsInsecure?: boolean;
}

export interface HookTemplateInfo {
  id?: number;
  name: string;
  schema: { fieldName: string; optional?: boolean }[];
}

export interface ExistingHook {
  id: number;
  name: string;
  displayName?: string;
  isActive?: boolean;
  events: { entityName: string; actionName: string }[];
  config: Record<string, string>;
}

/** What POST /hooks and PUT /hooks/{id} take: `name` is the template's name, `displayName` the hook's own. */
export interface HookRequestBody {
  name: string;
  displayName: string;
  isActive: boolean;
  events: { entityName: string; actionName: string }[];
  config: Record<string, string>;
}

export interface ServerInfo {
  /** The version the server reports (Fineract's `/actuator/info`), undefined when it reports none (MifosX). */
  version?: string;
  templates: HookTemplateInfo[];
}

export class FineractHooksError extends Error {
  override name = 'FineractHooksError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

interface Answer {
  status: number;
  body: unknown;
}

const DEFAULT_TIMEOUT_MS = 15_000;

export class FineractHooksClient {
  private readonly root: URL;
  private readonly api: string;

  constructor(private readonly options: FineractHooksClientOptions) {
    this.root = new URL(options.baseUrl.replace(/\/+$/, '/').replace(/([^/])$/, '$1/'));
    if (this.root.protocol !== 'https:' && this.root.protocol !== 'http:') {
      throw new FineractHooksError(`--url must be an http(s) URL, got ${this.root.protocol}`);
    }
    this.api = new URL('api/v1/', this.root).toString();
  }

  /** The API base the sender will register with (docs/protocol.md §5 `endpoint`). */
  get apiBase(): string {
    return this.api;
  }

  /** Headers sent on every call; the Authorization value is what `--dry-run` masks. */
  headers(): Record<string, string> {
    const basic = Buffer.from(`${this.options.username}:${this.options.password}`).toString('base64');
    return {
      accept: 'application/json',
      authorization: `Basic ${basic}`,
      'fineract-platform-tenantid': this.options.tenantId,
      'x-mifos-platform-tenantid': this.options.tenantId,
    };
  }

  url(path: string): string {
    return new URL(path.replace(/^\//, ''), this.api).toString();
  }

  async serverInfo(): Promise<ServerInfo> {
    const template = await this.call('GET', this.url('hooks/template'));
    const templates = ((template.body as { templates?: unknown[] })?.templates ?? []) as HookTemplateInfo[];
    // Fineract (Spring Boot) reports its build on the actuator; MifosX has no actuator and answers 404 or HTML.
    let version: string | undefined;
    try {
      const info = await this.call('GET', new URL('actuator/info', this.root).toString(), { anonymousOk: true });
      const build = (info.body as { build?: { version?: unknown } } | undefined)?.build;
      if (info.status === 200 && typeof build?.version === 'string') version = build.version;
    } catch {
      version = undefined;
    }
    return { version, templates };
  }

  async listHooks(): Promise<ExistingHook[]> {
    const answer = await this.call('GET', this.url('hooks'));
    const hooks = Array.isArray(answer.body) ? (answer.body as Record<string, unknown>[]) : [];
    return hooks.map((hook) => ({
      id: Number(hook.id),
      name: String(hook.name ?? ''),
      displayName: typeof hook.displayName === 'string' ? hook.displayName : undefined,
      isActive: hook.isActive === true,
      events: Array.isArray(hook.events) ? (hook.events as ExistingHook['events']) : [],
      config: Object.fromEntries(
        (Array.isArray(hook.config) ? (hook.config as { fieldName: string; fieldValue: string }[]) : []).map((c) => [
          c.fieldName,
          c.fieldValue,
        ]),
      ),
    }));
  }

  async createHook(body: HookRequestBody): Promise<number> {
    const answer = await this.call('POST', this.url('hooks'), { body });
    return Number((answer.body as { resourceId?: unknown })?.resourceId);
  }

  async updateHook(id: number, body: HookRequestBody): Promise<void> {
    await this.call('PUT', this.url(`hooks/${id}`), { body });
  }

  private call(method: string, url: string, extra: { body?: unknown; anonymousOk?: boolean } = {}): Promise<Answer> {
    const target = new URL(url);
    const transport = target.protocol === 'https:' ? https : http;
    const payload = extra.body === undefined ? undefined : JSON.stringify(extra.body);
    const headers: Record<string, string> = { ...this.headers() };
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return new Promise<Answer>((resolve, reject) => {
      const request = transport.request(
        target,
        { method, headers, rejectUnauthorized: !this.options.tlsInsecure },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: unknown = text;
            try {
              body = text ? JSON.parse(text) : undefined;
            } catch {
              // MifosX error pages are HTML: keep the text for the message below.
            }
            const status = response.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve({ status, body });
            else if (extra.anonymousOk) resolve({ status, body });
            else reject(this.failure(method, target, status, body));
          });
        },
      );
      request.setTimeout(timeoutMs, () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      request.on('error', (error: NodeJS.ErrnoException) => {
        const hint = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(error.code ?? '')
          ? ' (a self-signed certificate? set FINERACT_TLS_INSECURE=true)'
          : '';
        reject(new FineractHooksError(`${method} ${target.pathname}: ${error.code ?? error.message}${hint}`));
      });
      request.end(payload);
    });
  }

  private failure(method: string, target: URL, status: number, body: unknown): FineractHooksError {
    if (status === 401) {
      return new FineractHooksError(
        `${target.host} refused the credentials of user "${this.options.username}" for tenant ` +
          `"${this.options.tenantId}" (401): check --user, the password and --tenant`,
        status,
      );
    }
    if (status === 403) {
      return new FineractHooksError(
        `user "${this.options.username}" may not manage hooks (403): it needs the CREATE_HOOK / UPDATE_HOOK permissions`,
        status,
      );
    }
    const detail = errorDetail(body);
    return new FineractHooksError(
      `${method} ${target.pathname} answered ${status}${detail ? `: ${detail}` : ''}`,
      status,
    );
  }
}

/** Fineract error bodies: `defaultUserMessage` and the per-field `errors[].defaultUserMessage`. */
function errorDetail(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const b = body as { defaultUserMessage?: unknown; errors?: { defaultUserMessage?: unknown }[] };
  const parts = [b.defaultUserMessage, ...(b.errors ?? []).map((e) => e.defaultUserMessage)].filter(
    (p): p is string => typeof p === 'string',
  );
  return parts.length ? [...new Set(parts)].join('; ') : undefined;
}
