/**
 * In-memory doubles of every port in lambdas/core/ports.ts, for unit tests of the core flows.
 * They follow the DynamoDB adapters' semantics (conditional writes, due index, newest-first listing) closely
 * enough that a flow passing here behaves the same against the real engine (the integration tests check that).
 * Everything returned is a copy: callers can no more mutate the store than they could a table.
 */
import { createHash } from 'node:crypto';
import { ConditionFailedError, DownstreamError, InvalidCursorError } from '../../lambdas/core/errors';
import { type HttpRequest, normaliseHeaders } from '../../lambdas/core/http';
import type {
  ApiKeyRecord,
  BusEntry,
  ConsoleGrant,
  Enrollment,
  ForwardDelivery,
  ForwardTarget,
  TargetSecrets,
  EventStatus,
  FineractAuth,
  MessageRecord,
  MessageStatus,
  OutboundSms,
  SentSms,
  StoredEvent,
  TenantConfig,
  TenantSecret,
  TwilioCredentials,
} from '../../lambdas/core/model';
import { IN_FLIGHT_STATUSES, isFinal } from '../../lambdas/core/lifecycle';
import type {
  Clock,
  ConsoleSessionStore,
  EventBusPublisher,
  EventClaim,
  EventPage,
  ForwardDeliveryStore,
  TargetSecretStore,
  TargetStore,
  EventStore,
  FineractClient,
  MessageStore,
  Metrics,
  SecretStore,
  SignatureVerifier,
  SmsSender,
  TenantStore,
} from '../../lambdas/core/ports';
import type { StatusCallbackDeps } from '../../lambdas/core/status-callback';
import type { WorkerDeps } from '../../lambdas/core/worker';
import { CapturingLogger } from './capturing-logger';
import { FakeClock } from './fake-clock';
import { MemoryQueue } from './memory-queue';
import { StubUrlPolicy } from './stub-url-policy';

const copy = <T>(value: T): T => structuredClone(value);

/** Lets other promises run, so "concurrent" calls really interleave as they would over a network. */
export const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

// ---------------------------------------------------------------------------------------------------------------
// Metrics

export class CountingMetrics implements Metrics {
  readonly counts = new Map<string, number>();
  count(name: string, value = 1): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + value);
  }
  get(name: string): number {
    return this.counts.get(name) ?? 0;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Tenants

interface Lock {
  owner: string;
  leaseUntil: string;
}

export class MemoryTenantStore implements TenantStore {
  readonly keys = new Map<string, ApiKeyRecord>();
  readonly configs = new Map<string, TenantConfig>();
  readonly enrollments = new Map<string, Enrollment>();
  readonly locks = new Map<string, Lock>();
  readonly templates = new Map<string, Record<string, string>>();

  private static keyOf(tenantId: string, keyHash: string): string {
    return `${tenantId}\u0000${keyHash}`;
  }

  async getApiKey(tenantId: string, keyHash: string): Promise<ApiKeyRecord | undefined> {
    const record = this.keys.get(MemoryTenantStore.keyOf(tenantId, keyHash));
    return record && copy(record);
  }
  async putApiKey(record: ApiKeyRecord): Promise<void> {
    this.keys.set(MemoryTenantStore.keyOf(record.tenantId, record.keyHash), copy(record));
  }
  async listApiKeys(tenantId: string): Promise<ApiKeyRecord[]> {
    return [...this.keys.values()].filter((k) => k.tenantId === tenantId).map(copy);
  }
  /** Like the adapter: only sets or shortens an expiry; a missing key is left missing. */
  async expireApiKey(tenantId: string, keyHash: string, expiresAt: string): Promise<void> {
    const record = this.keys.get(MemoryTenantStore.keyOf(tenantId, keyHash));
    if (!record) return;
    if (record.expiresAt === undefined || record.expiresAt > expiresAt) record.expiresAt = expiresAt;
  }
  async deleteApiKey(tenantId: string, keyHash: string): Promise<void> {
    this.keys.delete(MemoryTenantStore.keyOf(tenantId, keyHash));
  }

  async getTenant(tenantId: string): Promise<TenantConfig | undefined> {
    const config = this.configs.get(tenantId);
    return config && copy(config);
  }
  async putTenant(config: TenantConfig): Promise<void> {
    this.configs.set(config.tenantId, copy(config));
  }
  async deleteTenant(tenantId: string): Promise<void> {
    this.configs.delete(tenantId);
  }
  /** Conditional on the registration: a newer registration is never marked. */
  async markCredentialsInvalid(tenantId: string, at: string, registrationId: string): Promise<void> {
    const config = this.configs.get(tenantId);
    if (config && config.registrationId === registrationId) config.credentialsInvalidAt = at;
  }
  async listTenants(): Promise<TenantConfig[]> {
    return [...this.configs.values()].map(copy).sort((a, b) => a.tenantId.localeCompare(b.tenantId));
  }

  async getEnrollment(tenantId: string): Promise<Enrollment | undefined> {
    const enrollment = this.enrollments.get(tenantId);
    return enrollment && copy(enrollment);
  }
  async putEnrollment(enrollment: Enrollment): Promise<void> {
    this.enrollments.set(enrollment.tenantId, copy(enrollment));
  }
  async deleteEnrollment(tenantId: string): Promise<void> {
    this.enrollments.delete(tenantId);
  }

  /** Taken when free or when the holder's lease is older than `now` (ISO strings compare as times). */
  async acquireLock(name: string, owner: string, leaseUntil: string, now: string): Promise<boolean> {
    const held = this.locks.get(name);
    if (held && !(held.leaseUntil < now)) return false;
    this.locks.set(name, { owner, leaseUntil });
    return true;
  }
  async releaseLock(name: string, owner: string): Promise<void> {
    if (this.locks.get(name)?.owner === owner) this.locks.delete(name);
  }

  async getTemplates(tenantId: string): Promise<Record<string, string>> {
    return { ...(this.templates.get(tenantId) ?? {}) };
  }
  async putTemplate(tenantId: string, key: string, template: string): Promise<void> {
    this.templates.set(tenantId, { ...(this.templates.get(tenantId) ?? {}), [key]: template });
  }
  async deleteTemplate(tenantId: string, key: string): Promise<void> {
    const current = { ...(this.templates.get(tenantId) ?? {}) };
    delete current[key];
    this.templates.set(tenantId, current);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Events and messages

type EventPatch = Parameters<EventStore['update']>[2];
type EventUpdateOptions = NonNullable<Parameters<EventStore['update']>[3]>;

export class MemoryEventStore implements EventStore {
  readonly items = new Map<string, StoredEvent>();

  private static keyOf(tenantId: string, eventId: string): string {
    return `${tenantId}\u0000${eventId}`;
  }
  /** The byTenantTime index's sort key. */
  private static sortKey(event: StoredEvent): string {
    return `${event.receivedAt}#${event.eventId}`;
  }

  /** The event id is derived from the dedup key, so "same key" is "same item", as in the table. */
  async putIfAbsent(event: StoredEvent): Promise<'stored' | 'duplicate'> {
    const key = MemoryEventStore.keyOf(event.tenantId, event.eventId);
    if (this.items.has(key)) return 'duplicate';
    this.items.set(key, copy(event));
    return 'stored';
  }

  async get(tenantId: string, eventId: string, _options?: { consistent?: boolean }): Promise<StoredEvent | undefined> {
    const event = this.items.get(MemoryEventStore.keyOf(tenantId, eventId));
    return event && copy(event);
  }

  /** Newest first. Like a DynamoDB query, a full page carries a cursor even when nothing follows it. */
  async listByTenant(tenantId: string, options: { limit: number; cursor?: string }): Promise<EventPage> {
    let after: string | undefined;
    if (options.cursor !== undefined) {
      try {
        // Like the adapter, only a cursor this query could have produced (same tenant) is accepted.
        const decoded = JSON.parse(Buffer.from(options.cursor, 'base64url').toString('utf8')) as {
          t?: unknown;
          sk?: unknown;
        };
        if (decoded.t !== tenantId || typeof decoded.sk !== 'string') throw new Error('not our cursor');
        after = decoded.sk;
      } catch {
        throw new InvalidCursorError();
      }
    }
    const sorted = [...this.items.values()]
      .filter((e) => e.tenantId === tenantId)
      .sort((a, b) => (MemoryEventStore.sortKey(a) < MemoryEventStore.sortKey(b) ? 1 : -1))
      .filter((e) => after === undefined || MemoryEventStore.sortKey(e) < after);
    const items = sorted.slice(0, options.limit);
    const last = items[items.length - 1];
    const full = items.length === options.limit && last !== undefined;
    return {
      items: items.map(copy),
      nextCursor: full
        ? Buffer.from(JSON.stringify({ t: tenantId, sk: MemoryEventStore.sortKey(last) })).toString('base64url')
        : undefined,
    };
  }

  /**
   * Mirrors DynamoDbEventStore.update: the item must exist (and be in `ifStatusIn` when given); a patch value of
   * undefined removes the attribute; a final status (or `removeDue`) drops `dueAt`, whatever the patch says.
   */
  async update(
    tenantId: string,
    eventId: string,
    patch: EventPatch,
    options: EventUpdateOptions = {},
  ): Promise<StoredEvent> {
    const key = MemoryEventStore.keyOf(tenantId, eventId);
    const current = this.items.get(key);
    if (!current) throw new ConditionFailedError(`event ${eventId} is not in an expected state`);
    if (options.ifStatusIn && options.ifStatusIn.length > 0 && !options.ifStatusIn.includes(current.status)) {
      throw new ConditionFailedError(`event ${eventId} is not in an expected state`);
    }
    const final = patch.status !== undefined && isFinal(patch.status);
    const dropDue = options.removeDue === true || final;
    const next: Record<string, unknown> = { ...copy(current) };
    for (const [field, value] of Object.entries(patch)) {
      if (field === 'dueAt' && dropDue) continue;
      if (value === undefined) delete next[field];
      else next[field] = copy(value);
    }
    if (dropDue) delete next.dueAt;
    if (options.incrementAttempts) next.attempts = ((next.attempts as number | undefined) ?? 0) + 1;
    else if (options.resetAttempts) next.attempts = 0;
    const updated = next as unknown as StoredEvent;
    this.items.set(key, updated);
    return copy(updated);
  }

  /** Mirrors DynamoDbEventStore.claim: one conditional update; a refused claim reads the event as it is. */
  async claim(
    tenantId: string,
    eventId: string,
    at: { updatedAt: string; dueAt: string; dueBy: string; keepDueFrom?: string },
  ): Promise<EventClaim> {
    const current = this.items.get(MemoryEventStore.keyOf(tenantId, eventId));
    const due = current?.status !== 'retrying' || !current.nextAttemptAt || current.nextAttemptAt <= at.dueBy;
    if (!current || !IN_FLIGHT_STATUSES.includes(current.status) || !due) {
      return { claimed: false, event: current && copy(current) };
    }
    const keep = at.keepDueFrom !== undefined && current.dueAt !== undefined && current.dueAt >= at.keepDueFrom;
    const event = await this.update(
      tenantId,
      eventId,
      { status: 'processing', updatedAt: at.updatedAt, dueAt: keep ? current.dueAt : at.dueAt },
      { incrementAttempts: true },
    );
    return { claimed: true, event };
  }

  async addSmsChannel(
    tenantId: string,
    eventId: string,
    seen: EventStatus,
    at: string,
    reopen?: { dueAt: string },
  ): Promise<boolean> {
    const key = MemoryEventStore.keyOf(tenantId, eventId);
    const current = this.items.get(key);
    if (!current || current.sms !== undefined || current.status !== seen) return false;
    const next: StoredEvent = { ...copy(current), sms: true, updatedAt: at };
    if (reopen) {
      next.status = 'received';
      next.dueAt = reopen.dueAt;
      next.attempts = 0;
      delete next.nextAttemptAt;
    }
    this.items.set(key, next);
    return true;
  }

  /** The sparse byDue index: every item with a dueAt at or before `before`, earliest first. */
  async listDue(before: string, limit: number): Promise<StoredEvent[]> {
    return [...this.items.values()]
      .filter((e) => e.dueAt !== undefined && e.dueAt <= before)
      .sort((a, b) => (a.dueAt! < b.dueAt! ? -1 : a.dueAt! > b.dueAt! ? 1 : 0))
      .slice(0, limit)
      .map(copy);
  }

  /** Test convenience: every stored event, any tenant. */
  all(): StoredEvent[] {
    return [...this.items.values()].map(copy);
  }
}

export class MemoryMessageStore implements MessageStore {
  readonly items = new Map<string, MessageRecord>();
  /** `{tenantId}\u0000{providerMessageId}` → messageId. */
  readonly providerIds = new Map<string, string>();

  async linkProviderId(tenantId: string, providerMessageId: string, messageId: string): Promise<void> {
    this.providerIds.set(`${tenantId}\u0000${providerMessageId}`, messageId);
  }

  async findByProviderId(tenantId: string, providerMessageId: string): Promise<string | undefined> {
    return this.providerIds.get(`${tenantId}\u0000${providerMessageId}`);
  }

  private static keyOf(tenantId: string, messageId: string): string {
    return `${tenantId}\u0000${messageId}`;
  }

  async createIfAbsent(record: MessageRecord): Promise<MessageRecord> {
    const key = MemoryMessageStore.keyOf(record.tenantId, record.messageId);
    const existing = this.items.get(key);
    if (existing) return copy(existing);
    this.items.set(key, copy(record));
    return copy(record);
  }

  async createClaimed(record: MessageRecord): Promise<{ created: boolean; record: MessageRecord }> {
    const key = MemoryMessageStore.keyOf(record.tenantId, record.messageId);
    const existing = this.items.get(key);
    if (existing) return { created: false, record: copy(existing) };
    this.items.set(key, copy(record));
    return { created: true, record: copy(record) };
  }

  async get(tenantId: string, messageId: string): Promise<MessageRecord | undefined> {
    const record = this.items.get(MemoryMessageStore.keyOf(tenantId, messageId));
    return record && copy(record);
  }

  /** Conditional on `from` and on every `expect` field; patch values of undefined are skipped (as the adapter). */
  async transition(
    tenantId: string,
    messageId: string,
    from: MessageStatus[],
    patch: Partial<Omit<MessageRecord, 'tenantId' | 'messageId'>>,
    expect: Partial<Pick<MessageRecord, 'leaseUntil' | 'sid'>> = {},
    options: { keepStored?: 'sid'[] } = {},
  ): Promise<MessageRecord> {
    const key = MemoryMessageStore.keyOf(tenantId, messageId);
    const current = this.items.get(key);
    const expected = Object.entries(expect).every(
      ([field, value]) => current?.[field as keyof MessageRecord] === value,
    );
    if (!current || !from.includes(current.status) || !expected) {
      throw new ConditionFailedError(`message ${messageId} is not in ${from.join('/')}`);
    }
    const next: Record<string, unknown> = { ...current };
    for (const [field, value] of Object.entries(patch)) {
      if (value === undefined) continue;
      if (options.keepStored?.includes(field as 'sid') && next[field] !== undefined) continue;
      next[field] = value;
    }
    const updated = next as unknown as MessageRecord;
    this.items.set(key, updated);
    return copy(updated);
  }

  async listByEvent(tenantId: string, eventId: string): Promise<MessageRecord[]> {
    return [...this.items.values()]
      .filter((m) => m.tenantId === tenantId && m.messageId.startsWith(`${eventId}.`))
      .sort((a, b) => a.messageId.localeCompare(b.messageId))
      .map(copy);
  }

  all(): MessageRecord[] {
    return [...this.items.values()].map(copy);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Secrets

export class MemorySecretStore implements SecretStore {
  readonly secrets = new Map<string, TenantSecret>();
  /** No cache here, so `fresh` changes nothing; recorded for tests that check a reader asked for it. */
  readonly freshReads: string[] = [];
  async getTenantSecret(tenantId: string, options?: { fresh?: boolean }): Promise<TenantSecret | undefined> {
    if (options?.fresh) this.freshReads.push(tenantId);
    const secret = this.secrets.get(tenantId);
    return secret && copy(secret);
  }
  async putTenantSecret(tenantId: string, secret: TenantSecret): Promise<void> {
    this.secrets.set(tenantId, copy(secret));
  }
  async deleteTenantSecret(tenantId: string): Promise<void> {
    this.secrets.delete(tenantId);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Twilio

export interface TwilioMessage extends OutboundSms {
  sid: string;
  accountSid: string;
  at: Date;
}

type SendStep = { kind: 'throw'; error: Error } | { kind: 'accept-then-throw'; error: Error };

/** Twilio as the worker sees it: `messages` is what Twilio has accepted, whatever the worker heard back. */
export class FakeSmsSender implements SmsSender {
  /** Accepted by "Twilio". */
  readonly messages: TwilioMessage[] = [];
  /** Every send call, accepted or not. */
  readonly sendCalls: { credentials: TwilioCredentials; message: OutboundSms }[] = [];
  readonly findCalls: { to: string; from?: string; body: string; since: Date }[] = [];
  readonly verifyCalls: TwilioCredentials[] = [];
  /** Thrown by verifyAccount when set. */
  verifyError?: Error;
  /** Runs after Twilio accepted a message and before the sender answers (a status callback racing the answer). */
  onAccepted?: (message: TwilioMessage) => Promise<void> | void;
  /** Runs when a send call arrives, before anything else (something changing while the call is in flight). */
  onSend?: (message: OutboundSms) => Promise<void> | void;
  private steps: SendStep[] = [];
  private counter = 0;

  constructor(private readonly clock: Clock) {}

  /** The next `count` sends are refused with `error` (nothing accepted). */
  failNext(count: number, error: DownstreamError): void {
    for (let i = 0; i < count; i++) this.steps.push({ kind: 'throw', error });
  }

  /** The next send is accepted by Twilio, but the caller gets a retryable timeout (the answer was lost). */
  acceptThenThrow(
    error: DownstreamError = new DownstreamError(
      'twilio',
      'Sending an SMS got no answer within 10000 ms (ETIMEDOUT).',
      {
        retryable: true,
        code: 'ETIMEDOUT',
      },
    ),
  ): void {
    this.steps.push({ kind: 'accept-then-throw', error });
  }

  async send(credentials: TwilioCredentials, message: OutboundSms): Promise<SentSms> {
    this.sendCalls.push({ credentials: copy(credentials), message: copy(message) });
    await this.onSend?.(copy(message));
    await tick();
    const step = this.steps.shift();
    if (step?.kind === 'throw') throw step.error;
    this.counter++;
    const accepted: TwilioMessage = {
      ...copy(message),
      sid: `SM${this.counter.toString(16).padStart(32, '0')}`,
      accountSid: credentials.accountSid,
      at: this.clock.now(),
    };
    this.messages.push(accepted);
    await this.onAccepted?.(copy(accepted));
    if (step?.kind === 'accept-then-throw') throw step.error;
    return { sid: accepted.sid, status: 'queued' };
  }

  async findSent(
    credentials: TwilioCredentials,
    query: { to: string; from?: string; body: string; since: Date },
  ): Promise<SentSms | undefined> {
    this.findCalls.push(copy(query));
    const found = this.messages
      .filter(
        (m) =>
          m.accountSid === credentials.accountSid &&
          m.to === query.to &&
          m.body === query.body &&
          (query.from === undefined || m.from === query.from) &&
          m.at.getTime() >= query.since.getTime(),
      )
      .at(-1);
    return found ? { sid: found.sid, status: 'sent' } : undefined;
  }

  async verifyAccount(credentials: TwilioCredentials): Promise<void> {
    this.verifyCalls.push(copy(credentials));
    if (this.verifyError) throw this.verifyError;
  }
}

/** DownstreamErrors shaped as the Twilio adapter classifies them (classifyTwilioError). */
export const twilioErrors = {
  serverError: () =>
    new DownstreamError('twilio', 'Sending an SMS failed with a Twilio server error (HTTP 500).', {
      retryable: true,
      status: 500,
    }),
  rateLimited: (retryAfterSeconds: number) =>
    new DownstreamError('twilio', 'Sending an SMS was rate limited (HTTP 429, code 20429).', {
      retryable: true,
      status: 429,
      code: 20429,
      retryAfterSeconds,
    }),
  authenticate: () =>
    new DownstreamError(
      'twilio',
      'Sending an SMS failed: Twilio rejected the account SID / auth token (HTTP 401, code 20003).',
      {
        retryable: false,
        status: 401,
        code: 20003,
        credentialsInvalid: true,
      },
    ),
  invalidTo: () =>
    new DownstreamError('twilio', "Sending an SMS was rejected (HTTP 400, code 21211: The 'To' number is not valid).", {
      retryable: false,
      status: 400,
      code: 21211,
    }),
  unreachable: () =>
    new DownstreamError('twilio', 'Checking the Twilio account failed: network error (ECONNREFUSED).', {
      retryable: true,
      code: 'ECONNREFUSED',
    }),
};

// ---------------------------------------------------------------------------------------------------------------
// MifosX / Fineract, signatures

export class FakeFineractClient implements FineractClient {
  readonly responses = new Map<string, Record<string, unknown> | DownstreamError>();
  readonly calls: { apiBase: string; path: string; auth: FineractAuth }[] = [];

  /** `path` as the core asks for it, e.g. `clients/42`. */
  on(path: string, response: Record<string, unknown> | DownstreamError): this {
    this.responses.set(path, response);
    return this;
  }

  async get(apiBase: string, path: string, auth: FineractAuth): Promise<Record<string, unknown>> {
    this.calls.push({ apiBase, path, auth: copy(auth) });
    await tick();
    const response = this.responses.get(path);
    if (response instanceof DownstreamError) throw response;
    if (response === undefined) throw fineractError(404);
    return copy(response);
  }
}

/** DownstreamErrors shaped as the Fineract adapter classifies them. */
export function fineractError(status: number): DownstreamError {
  const retryable = status === 429 || status >= 500;
  return new DownstreamError('fineract', `MifosX/Fineract answered HTTP ${status}.`, {
    retryable,
    status,
    code: status === 404 ? 'not_found' : `http_${status}`,
  });
}

/**
 * Stands in for Twilio's HMAC check: a signature is valid when it is `sign(token, url, params)`.
 * Records every URL it was asked about, so tests can see which URL the core verified against.
 */
export class FakeSignatureVerifier implements SignatureVerifier {
  readonly calls: { url: string; params: Record<string, string> }[] = [];

  static sign(authToken: string, url: string, params: Record<string, string>): string {
    const data =
      url +
      Object.keys(params)
        .sort()
        .map((k) => k + params[k])
        .join('');
    return createHash('sha256').update(`${authToken}\u0000${data}`).digest('base64');
  }

  verifyTwilio(authToken: string, signature: string, url: string, params: Record<string, string>): boolean {
    this.calls.push({ url, params: { ...params } });
    return signature === FakeSignatureVerifier.sign(authToken, url, params);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Test data

/** A stored event with sensible defaults (an SMS Bridge CLIENT/CREATE from MifosX), for store-level tests. */
export function makeStoredEvent(overrides: Partial<StoredEvent> & { eventId: string }): StoredEvent {
  const receivedAt = overrides.receivedAt ?? '2024-10-24T09:00:00.000Z';
  const status: EventStatus = overrides.status ?? 'received';
  return {
    tenantId: 'default',
    dedupKey: `default|CLIENT|CREATE|body:${overrides.eventId}`,
    entity: 'CLIENT',
    action: 'CREATE',
    entityRaw: 'CLIENT',
    actionRaw: 'CREATE',
    source: 'mifosx',
    template: 'sms-bridge',
    shape: 'flat',
    encoding: 'json',
    failed: false,
    ids: { clientId: 42 },
    rawBody: '{"clientId":42}',
    contentType: 'application/json; charset=UTF-8',
    receivedAt,
    updatedAt: receivedAt,
    attempts: 0,
    ...(isFinal(status) ? {} : { dueAt: new Date(Date.parse(receivedAt) + 300_000).toISOString() }),
    ...overrides,
    status,
  };
}

/** An HttpRequest as the router hands it to the core (lower-cased headers, raw body bytes). */
export function httpRequest(input: {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  params?: Record<string, string>;
  query?: Record<string, string>;
  sourceIp?: string;
}): HttpRequest {
  return {
    sourceIp: input.sourceIp,
    method: input.method ?? 'POST',
    path: input.path ?? '/modules/sms/',
    headers: normaliseHeaders(input.headers ?? {}),
    query: input.query ?? {},
    params: input.params ?? {},
    body: Buffer.from(input.body ?? '', 'utf8'),
  };
}

/**
 * Every double, wired once; tests take the ports they need. The clock, logger, queue and URL policy are the shared
 * ones (fake-clock.ts, capturing-logger.ts, memory-queue.ts, stub-url-policy.ts).
 */
export function memoryWorld(start?: string) {
  const clock = new FakeClock(start);
  return {
    clock,
    tenants: new MemoryTenantStore(),
    events: new MemoryEventStore(),
    messages: new MemoryMessageStore(),
    secrets: new MemorySecretStore(),
    queue: new MemoryQueue(),
    logger: new CapturingLogger(),
    metrics: new CountingMetrics(),
    sms: new FakeSmsSender(clock),
    fineract: new FakeFineractClient(),
    urlPolicy: new StubUrlPolicy(),
    signatures: new FakeSignatureVerifier(),
  };
}
export type MemoryWorld = ReturnType<typeof memoryWorld>;

/**
 * The worker's deps over a memory world: the default test schedule (10 s, 1 min, 5 min), no jitter (delays are
 * exactly the schedule's), no forwarding unless the test adds it.
 */
export function workerDepsOf(world: MemoryWorld, settings: Partial<WorkerDeps['settings']> = {}): WorkerDeps {
  return {
    tenants: world.tenants,
    events: world.events,
    messages: world.messages,
    secrets: world.secrets,
    sms: world.sms,
    fineract: world.fineract,
    clock: world.clock,
    logger: world.logger,
    metrics: world.metrics,
    settings: {
      retryScheduleSeconds: [10, 60, 300],
      sweepGraceSeconds: 300,
      fineractNotFoundRetrySeconds: 60,
      ...settings,
    },
    random: () => 0.5,
  };
}

/** The status callback's deps over a memory world. */
export function statusDepsOf(
  world: MemoryWorld,
  settings: StatusCallbackDeps['settings'] = { publicBaseUrl: 'https://hooks.example.org' },
): StatusCallbackDeps {
  return {
    messages: world.messages,
    secrets: world.secrets,
    signatures: world.signatures,
    clock: world.clock,
    logger: world.logger,
    metrics: world.metrics,
    settings,
  };
}

/** A Twilio SMS the worker sent for a client-create event of tenant `default`: what a delivery report is about. */
export function sentMessageRecord(world: MemoryWorld, fields: Pick<MessageRecord, 'messageId' | 'sid'>): MessageRecord {
  return {
    tenantId: 'default',
    eventId: fields.messageId.split('.')[0]!,
    templateKey: 'CLIENT.CREATE',
    status: 'sent',
    to: '+254712345678',
    from: '+15005550006',
    body: 'Hello Jane Doe, welcome at Mifos X!',
    encoding: 'GSM-7',
    segments: 1,
    createdAt: world.clock.iso(),
    updatedAt: world.clock.iso(),
    ...fields,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Forwarding

export class MemoryTargetStore implements TargetStore, TargetSecretStore {
  readonly targets = new Map<string, ForwardTarget>();
  readonly secrets = new Map<string, TargetSecrets>();

  private static keyOf(tenantId: string, targetId: string): string {
    return `${tenantId}\u0000${targetId}`;
  }
  async listTargets(tenantId: string): Promise<ForwardTarget[]> {
    return [...this.targets.values()].filter((t) => t.tenantId === tenantId).map(copy);
  }
  async getTarget(tenantId: string, targetId: string): Promise<ForwardTarget | undefined> {
    const target = this.targets.get(MemoryTargetStore.keyOf(tenantId, targetId));
    return target && copy(target);
  }
  async putTarget(target: ForwardTarget): Promise<void> {
    this.targets.set(MemoryTargetStore.keyOf(target.tenantId, target.targetId), copy(target));
  }
  async deleteTarget(tenantId: string, targetId: string): Promise<void> {
    this.targets.delete(MemoryTargetStore.keyOf(tenantId, targetId));
  }
  async disableTarget(tenantId: string, targetId: string, reason: string, at: string): Promise<void> {
    const target = this.targets.get(MemoryTargetStore.keyOf(tenantId, targetId));
    if (target) Object.assign(target, { status: 'disabled', disabledReason: reason, updatedAt: at });
  }
  async getTargetSecrets(tenantId: string, targetId: string): Promise<TargetSecrets | undefined> {
    const secrets = this.secrets.get(MemoryTargetStore.keyOf(tenantId, targetId));
    return secrets && copy(secrets);
  }
  async putTargetSecrets(tenantId: string, targetId: string, secrets: TargetSecrets): Promise<void> {
    this.secrets.set(MemoryTargetStore.keyOf(tenantId, targetId), copy(secrets));
  }
  async deleteTargetSecrets(tenantId: string, targetId: string): Promise<void> {
    this.secrets.delete(MemoryTargetStore.keyOf(tenantId, targetId));
  }
}

/** Forward delivery records: the same conditional semantics as the message records. */
export class MemoryForwardDeliveryStore implements ForwardDeliveryStore {
  readonly items = new Map<string, ForwardDelivery>();

  async createIfAbsent(record: ForwardDelivery): Promise<ForwardDelivery> {
    const key = `${record.tenantId}\u0000${record.messageId}`;
    const existing = this.items.get(key);
    if (existing) return copy(existing);
    this.items.set(key, copy(record));
    return copy(record);
  }
  async get(tenantId: string, messageId: string): Promise<ForwardDelivery | undefined> {
    const record = this.items.get(`${tenantId}\u0000${messageId}`);
    return record && copy(record);
  }
  async transition(
    tenantId: string,
    messageId: string,
    from: ForwardDelivery['status'][],
    patch: Partial<Omit<ForwardDelivery, 'tenantId' | 'messageId'>>,
    expect: { leaseUntil?: string } = {},
  ): Promise<ForwardDelivery> {
    const key = `${tenantId}\u0000${messageId}`;
    const current = this.items.get(key);
    const expected = Object.entries(expect).every(([f, v]) => current?.[f as keyof ForwardDelivery] === v);
    if (!current || !from.includes(current.status) || !expected) {
      throw new ConditionFailedError(`delivery ${messageId} is not in ${from.join('/')}`);
    }
    const next: Record<string, unknown> = { ...current };
    // As the adapter: a key present with undefined removes the attribute.
    for (const [field, value] of Object.entries(patch)) {
      if (value === undefined) delete next[field];
      else next[field] = value;
    }
    const updated = next as unknown as ForwardDelivery;
    this.items.set(key, updated);
    return copy(updated);
  }
  async listByEvent(tenantId: string, eventId: string): Promise<ForwardDelivery[]> {
    return [...this.items.values()]
      .filter((d) => d.tenantId === tenantId && d.eventId === eventId)
      .sort((a, b) => a.messageId.localeCompare(b.messageId))
      .map(copy);
  }
  all(): ForwardDelivery[] {
    return [...this.items.values()].map(copy);
  }
}

/** Records every PutEvents entry; `failNext` makes the next publishes fail as a failed entry would. */
export class MemoryEventBus implements EventBusPublisher {
  readonly entries: BusEntry[] = [];
  failNext = 0;
  async publish(entry: BusEntry): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new DownstreamError('eventbridge', 'entry failed: InternalFailure', {
        retryable: true,
        code: 'FailedEntry',
      });
    }
    this.entries.push(copy(entry));
  }
}

/** Web console links and sessions, by token hash; `takeLink` hands a link out once, as the conditional delete does. */
export class MemoryConsoleSessionStore implements ConsoleSessionStore {
  readonly links = new Map<string, ConsoleGrant>();
  readonly sessions = new Map<string, ConsoleGrant>();

  async putLink(link: ConsoleGrant): Promise<void> {
    this.links.set(link.tokenHash, { ...link });
  }

  async takeLink(tokenHash: string): Promise<ConsoleGrant | undefined> {
    const link = this.links.get(tokenHash);
    this.links.delete(tokenHash);
    return link ? { ...link } : undefined;
  }

  async putSession(session: ConsoleGrant): Promise<void> {
    this.sessions.set(session.tokenHash, { ...session });
  }

  async getSession(tokenHash: string): Promise<ConsoleGrant | undefined> {
    const session = this.sessions.get(tokenHash);
    return session ? { ...session } : undefined;
  }

  async deleteSession(tokenHash: string): Promise<void> {
    this.sessions.delete(tokenHash);
  }
}
