/**
 * Plays a MifosX or Apache Fineract server against the local receiver, the way their SMS Bridge hook does:
 * registration on the first event (docs/protocol.md §5), then events with the issued key (§2–§4), plus the old
 * bridge's admin API (§7). Everything goes over real HTTP; SMS leave through the real twilio SDK to a FakeTwilio, and
 * callbacks reach a FakeFineract.
 *
 *   const world = await startSmsBridgeWorld({ fineract: { basePath: '/mifosng-provider/api/v1/', tenantHeader: 'mifosx' } });
 *   const mifos = world.session({ flavour: 'mifosx' });
 *   await mifos.register();
 *   const { eventId } = await mifos.sendEvent('mifosx-sms-client-create');
 *   await mifos.waitForStatus(eventId, 'sent');
 *   await world.stop();
 */
import { randomBytes } from 'node:crypto';
import type { EventStatus, MessageRecord, StoredEvent, TenantConfig } from '../../lambdas/core/model';
import { FakeFineract, type FakeFineractOptions } from './fake-fineract';
import { FakeTwilio, type FakeMessage } from './fake-twilio';
import { loadDelivery, type RegistrationBody, registrationBody as registrationFixtureBody } from './fixtures';
import { type Sent, send, startTestReceiver, type TestReceiver, waitFor } from './receiver';

export type SenderFlavour = 'mifosx' | 'fineract';

/** Header names per sender family (docs/protocol.md §2). */
export const HEADER_FAMILY = {
  mifosx: {
    entity: 'X-Mifos-Entity',
    action: 'X-Mifos-Action',
    tenant: 'X-Mifos-Platform-TenantId',
    apiKey: 'X-Mifos-API-Key',
  },
  fineract: {
    entity: 'X-Fineract-Entity',
    action: 'X-Fineract-Action',
    tenant: 'Fineract-Platform-TenantId',
    apiKey: 'X-Fineract-API-Key',
  },
} as const;

const ROLE_PATTERNS: [keyof (typeof HEADER_FAMILY)['mifosx'] | 'endpoint', RegExp][] = [
  ['entity', /^x-(mifos|fineract)-entity$/i],
  ['action', /^x-(mifos|fineract)-action$/i],
  ['tenant', /^(x-mifos-|fineract-)platform-tenantid$/i],
  ['apiKey', /^x-(mifos|fineract)-api-key$/i],
  ['endpoint', /^x-(mifos|fineract)-endpoint$/i],
];

export interface TwilioAccount {
  accountSid: string;
  authToken: string;
}

export interface Registered {
  response: Sent;
  /** The issued API key when the answer was a 201 JSON string literal. */
  key?: string;
}

/** A JSON patch merged into the fixture body: objects merge recursively, `undefined` removes a key. */
export type BodyPatch = Record<string, unknown>;

export interface EventOverrides {
  /** Merged into the fixture's JSON body. */
  body?: BodyPatch;
  /** Replaces the body entirely (after `body` would have applied). */
  rawBody?: string;
  /** API key to send; `null` sends none. Default: the session's current key. */
  key?: string | null;
  /** Tenant header value; default the session's tenant. */
  tenantId?: string;
  /** Default the session's event path (`/modules/sms/`). */
  path?: string;
  /** Entity / action header values as sent (case preserved). */
  entity?: string;
  action?: string;
  /** Extra or replacing headers, sent as given. */
  headers?: Record<string, string>;
}

export interface SentEvent extends Sent {
  /** The receiver's event id (from `{"status":"accepted","eventId":…}`), when it took the event. */
  eventId?: string;
}

export interface AdminOptions {
  /** Which header carries the key; default the session's family. */
  keyHeader?: string;
  /** Default the session's current key; `null` sends none. */
  key?: string | null;
  /** Default the session's tenant. */
  tenantId?: string;
}

export interface SessionOptions {
  flavour: SenderFlavour;
  tenantId?: string;
  /** Default `mifosx-sms-registration` (MifosX) or `fineract-sms-registration-root` (Fineract). */
  registrationFixture?: string;
  /** Registration fields replacing the fixture's (after the fake's endpoint and credentials are filled in). */
  registration?: Partial<RegistrationBody>;
  /** Where events go; default `/modules/sms/`. */
  eventPath?: string;
}

export interface WorldOptions {
  fineract?: FakeFineractOptions;
  /** Receiver settings (RETRY_SCHEDULE_SECONDS, …); TWILIO_API_BASE_URL is set to the fake. */
  env?: Record<string, string>;
}

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** The receiver, a fake Twilio with one account, and a fake MifosX/Fineract API, all on 127.0.0.1. */
export class SmsBridgeWorld {
  /** Every response any session received, for searching them for secrets. */
  readonly responses: Sent[] = [];

  private constructor(
    readonly receiver: TestReceiver,
    readonly twilio: FakeTwilio,
    readonly fineract: FakeFineract,
    readonly twilioAccount: TwilioAccount,
  ) {}

  static async start(options: WorldOptions = {}): Promise<SmsBridgeWorld> {
    const twilio = new FakeTwilio();
    const { baseUrl } = await twilio.start();
    const account = { accountSid: `AC${hex(16)}`, authToken: hex(16) };
    twilio.addAccount(account.accountSid, account.authToken, 'Microfinance SMS');
    const fineract = await FakeFineract.start(options.fineract);
    const receiver = await startTestReceiver({ env: { TWILIO_API_BASE_URL: baseUrl, ...options.env } });
    return new SmsBridgeWorld(receiver, twilio, fineract, account);
  }

  get url(): string {
    return this.receiver.url;
  }

  session(options: SessionOptions): SmsBridgeSession {
    return new SmsBridgeSession(this, options);
  }

  /** Sends a request and records the response. */
  async request(delivery: {
    method: string;
    path: string;
    headers: Record<string, string>;
    body: string;
  }): Promise<Sent> {
    const response = await send(this.url, delivery);
    this.responses.push(response);
    return response;
  }

  /** Waits until the fake Twilio holds at least `count` messages (then returns them all). */
  async waitForMessages(count: number, timeoutMs = 10_000): Promise<FakeMessage[]> {
    return waitFor(
      () => this.twilio.messages.length >= count && this.twilio.messages,
      timeoutMs,
      `${count} message(s) at the fake Twilio (have ${this.twilio.messages.length})`,
    );
  }

  /** Lets the worker finish whatever is queued (used before asserting that nothing more arrives). */
  async settle(ms = 300): Promise<void> {
    await waitFor(
      () => {
        const stats = this.receiver.receiver.queue.stats();
        return stats.visible === 0 && stats.inFlightOrDelayed === 0;
      },
      10_000,
      'the local queue to drain',
    );
    await new Promise((resolve) => setTimeout(resolve, ms));
  }

  async stop(): Promise<void> {
    await this.receiver.stop();
    await this.twilio.stop();
    await this.fineract.stop();
  }
}

export function startSmsBridgeWorld(options: WorldOptions = {}): Promise<SmsBridgeWorld> {
  return SmsBridgeWorld.start(options);
}

/** One MifosX / Fineract server (one tenant, one SMS Bridge hook) talking to the receiver. */
export class SmsBridgeSession {
  readonly flavour: SenderFlavour;
  readonly tenantId: string;
  /** The key the hook currently holds (set by a successful register()). */
  key?: string;
  /** Every key this hook was given, oldest first. */
  readonly keys: string[] = [];
  private readonly registrationFixture: string;
  private readonly registrationOverrides: Partial<RegistrationBody>;
  private readonly eventPath: string;

  constructor(
    private readonly world: SmsBridgeWorld,
    options: SessionOptions,
  ) {
    this.flavour = options.flavour;
    this.tenantId = options.tenantId ?? 'default';
    this.registrationFixture =
      options.registrationFixture ??
      (options.flavour === 'mifosx' ? 'mifosx-sms-registration' : 'fineract-sms-registration-root');
    this.registrationOverrides = options.registration ?? {};
    this.eventPath = options.eventPath ?? '/modules/sms/';
  }

  get headers() {
    return HEADER_FAMILY[this.flavour];
  }

  /**
   * The registration body as this hook would post it: the fixture, with `endpoint` moved onto the fake
   * Fineract (same path as the fixture's), the fake's credentials as mifosToken, and the world's Twilio account.
   */
  registrationBody(overrides: Partial<RegistrationBody> = {}): RegistrationBody {
    const fixture = registrationFixtureBody(this.registrationFixture);
    const fixturePath = new URL(fixture.endpoint).pathname;
    return {
      ...fixture,
      tenantId: this.tenantId,
      endpoint: `${this.world.fineract.origin}${fixturePath}`,
      mifosToken: this.world.fineract.token,
      smsProviderAccountId: this.world.twilioAccount.accountSid,
      smsProviderToken: this.world.twilioAccount.authToken,
      ...this.registrationOverrides,
      ...overrides,
    };
  }

  /** The first event after the hook was saved: POST {Payload URL}/configuration (MifosX) or /configuration (Fineract). */
  async register(overrides: Partial<RegistrationBody> = {}): Promise<Registered> {
    const fixture = loadDelivery(this.registrationFixture);
    const response = await this.world.request({
      method: 'POST',
      path: fixture.path,
      headers: fixture.headers,
      body: JSON.stringify(this.registrationBody(overrides)),
    });
    if (response.status !== 201 || typeof response.body !== 'string') return { response };
    this.key = response.body;
    this.keys.push(response.body);
    return { response, key: response.body };
  }

  /**
   * One hook event built from a fixture: its headers renamed to this sender's family, the tenant and key
   * filled in, the Web template's endpoint header dropped (the SMS Bridge template has none), the body patched.
   */
  async sendEvent(fixtureName: string, overrides: EventOverrides = {}): Promise<SentEvent> {
    const fixture = loadDelivery(fixtureName);
    const family = this.headers;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(fixture.headers)) {
      const role = ROLE_PATTERNS.find(([, pattern]) => pattern.test(name))?.[0];
      if (role === undefined) headers[name] = value;
      else if (role === 'entity') headers[family.entity] = overrides.entity ?? value;
      else if (role === 'action') headers[family.action] = overrides.action ?? value;
      else if (role === 'tenant') headers[family.tenant] = overrides.tenantId ?? this.tenantId;
      // apiKey and endpoint: set below / dropped
    }
    const key = overrides.key === undefined ? this.key : overrides.key;
    if (key !== null && key !== undefined) headers[family.apiKey] = key;
    Object.assign(headers, overrides.headers);

    let body = fixture.body;
    if (overrides.body) body = JSON.stringify(mergePatch(JSON.parse(fixture.body) as unknown, overrides.body));
    if (overrides.rawBody !== undefined) body = overrides.rawBody;

    const response = await this.world.request({
      method: 'POST',
      path: overrides.path ?? this.eventPath,
      headers,
      body,
    });
    const eventId =
      response.body && typeof response.body === 'object' && 'eventId' in response.body
        ? String((response.body as { eventId: unknown }).eventId)
        : undefined;
    return { ...response, eventId };
  }

  /** The hook-creation ping (any status passes at the sender; we want 200). */
  ping(path = this.eventPath): Promise<Sent> {
    return this.world.request({ method: 'GET', path, headers: {}, body: '' });
  }

  /** The stored event, straight from the receiver's store. */
  event(eventId: string): Promise<StoredEvent | undefined> {
    return this.world.receiver.receiver.deps.ingest.events.get(this.tenantId, eventId);
  }

  /** The message records of an event (at most one per template). */
  messages(eventId: string): Promise<MessageRecord[]> {
    return this.world.receiver.receiver.deps.admin.messages.listByEvent(this.tenantId, eventId);
  }

  /** Waits until the event has `status`; fails at once if it reached another final status. */
  async waitForStatus(eventId: string, status: EventStatus, timeoutMs = 10_000): Promise<StoredEvent> {
    const inFlight: EventStatus[] = ['received', 'processing', 'retrying'];
    return waitFor(
      async () => {
        const event = await this.event(eventId);
        if (event && event.status !== status && !inFlight.includes(event.status)) {
          throw new Error(
            `event ${eventId} ended as "${event.status}" (expected "${status}"); lastError: ${event.lastError ?? '-'}`,
          );
        }
        return event?.status === status ? event : undefined;
      },
      timeoutMs,
      `event ${eventId} to become "${status}"`,
    );
  }

  /**
   * Waits until every event has `status` (one poller for all of them, so a long stream does not flood the
   * embedded DynamoDB with reads); fails at once if one reached another final status.
   */
  async waitForStatuses(eventIds: string[], status: EventStatus, timeoutMs = 20_000): Promise<StoredEvent[]> {
    const done = new Map<string, StoredEvent>();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const eventId of eventIds) {
        if (done.has(eventId)) continue;
        const event = await this.event(eventId);
        if (event?.status === status) done.set(eventId, event);
        else if (event && !['received', 'processing', 'retrying'].includes(event.status)) {
          throw new Error(
            `event ${eventId} ended as "${event.status}" (expected "${status}"); lastError: ${event.lastError ?? '-'}`,
          );
        }
      }
      if (done.size === eventIds.length) return eventIds.map((id) => done.get(id)!);
      if (Date.now() > deadline) throw new Error(`timed out: ${eventIds.length - done.size} event(s) not "${status}"`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** The tenant's stored configuration (what an operator's `cli tenants set` changes). */
  tenant(): Promise<TenantConfig | undefined> {
    return this.world.receiver.receiver.deps.register.tenants.getTenant(this.tenantId);
  }

  /** As `npm run cli -- tenants set {tenant} --default-country …` does. */
  async setDefaultCountry(country: string): Promise<void> {
    const tenants = this.world.receiver.receiver.deps.register.tenants;
    const existing = await tenants.getTenant(this.tenantId);
    if (!existing) throw new Error(`tenant ${this.tenantId} is not registered`);
    await tenants.putTenant({ ...existing, defaultCountry: country });
  }

  // ----- the old bridge's admin API (docs/protocol.md §7) -------------------------------------------------------

  getConfig(options: AdminOptions = {}): Promise<Sent> {
    return this.admin(
      'GET',
      `/modules/sms/configuration/${encodeURIComponent(options.tenantId ?? this.tenantId)}`,
      options,
    );
  }

  deleteConfig(options: AdminOptions = {}): Promise<Sent> {
    return this.admin(
      'DELETE',
      `/modules/sms/configuration/${encodeURIComponent(options.tenantId ?? this.tenantId)}`,
      options,
    );
  }

  listEvents(query: { limit?: number; cursor?: string } = {}, options: AdminOptions = {}): Promise<Sent> {
    const params = new URLSearchParams();
    if (query.limit !== undefined) params.set('limit', String(query.limit));
    if (query.cursor !== undefined) params.set('cursor', query.cursor);
    const search = params.toString() ? `?${params.toString()}` : '';
    return this.admin(
      'GET',
      `/modules/sms/events/${encodeURIComponent(options.tenantId ?? this.tenantId)}${search}`,
      options,
    );
  }

  resend(options: AdminOptions = {}): Promise<Sent> {
    return this.admin(
      'POST',
      `/modules/sms/events/${encodeURIComponent(options.tenantId ?? this.tenantId)}/_resend`,
      options,
    );
  }

  private admin(method: string, path: string, options: AdminOptions): Promise<Sent> {
    const headers: Record<string, string> = {};
    const key = options.key === undefined ? this.key : options.key;
    if (key !== null && key !== undefined) headers[options.keyHeader ?? this.headers.apiKey] = key;
    return this.world.request({ method, path, headers, body: '' });
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** RFC 7386-like merge, with `undefined` (not null) removing a key: null stays a JSON value. */
export function mergePatch(target: unknown, patch: BodyPatch): Record<string, unknown> {
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [name, value] of Object.entries(patch)) {
    if (value === undefined) delete out[name];
    else if (isObject(value)) out[name] = mergePatch(out[name], value);
    else out[name] = value;
  }
  return out;
}
