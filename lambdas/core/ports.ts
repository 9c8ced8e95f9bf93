/**
 * The ports the core is given: interfaces only; the records they carry are in model.ts. Adapters
 * (lambdas/adapters) implement them against AWS or local twins; unit tests pass in-memory fakes. Nothing here knows
 * which world it runs in.
 */
import type {
  ApiKeyRecord,
  Enrollment,
  EventFilter,
  EventStatus,
  BusEntry,
  ConsoleGrant,
  FineractAuth,
  ForwardDelivery,
  ForwardResponse,
  ForwardTarget,
  OutboundWebhook,
  TargetSecrets,
  MessageRecord,
  MessageStatus,
  OutboundSms,
  ProviderCredentials,
  SentSms,
  StoredEvent,
  TenantConfig,
  TenantSecret,
  WorkMessage,
} from './model';

export interface Clock {
  now(): Date;
}

export interface Logger {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

export interface Metrics {
  count(name: string, value?: number, dimensions?: Record<string, string>): void;
}

// ---------------------------------------------------------------------------------------------------------------
// Tenants, keys, templates

export interface TenantStore {
  getApiKey(tenantId: string, keyHash: string): Promise<ApiKeyRecord | undefined>;
  putApiKey(record: ApiKeyRecord): Promise<void>;
  listApiKeys(tenantId: string): Promise<ApiKeyRecord[]>;
  /** Conditional: only shortens or sets an expiry, never revives an expired key. */
  expireApiKey(tenantId: string, keyHash: string, expiresAt: string): Promise<void>;
  deleteApiKey(tenantId: string, keyHash: string): Promise<void>;

  /** `fresh` skips any cache (a caching decorator's); the stores themselves always read afresh. */
  getTenant(tenantId: string, options?: { fresh?: boolean }): Promise<TenantConfig | undefined>;
  putTenant(config: TenantConfig): Promise<void>;
  deleteTenant(tenantId: string): Promise<void>;
  markCredentialsInvalid(tenantId: string, at: string, registrationId: string): Promise<void>;
  listTenants(): Promise<TenantConfig[]>;

  getEnrollment(tenantId: string): Promise<Enrollment | undefined>;
  putEnrollment(enrollment: Enrollment): Promise<void>;
  deleteEnrollment(tenantId: string): Promise<void>;

  /** A lease-based lock (conditional put); false when someone else holds an unexpired lease. */
  acquireLock(name: string, owner: string, leaseUntil: string, now: string): Promise<boolean>;
  releaseLock(name: string, owner: string): Promise<void>;

  getTemplates(tenantId: string, options?: { fresh?: boolean }): Promise<Record<string, string>>;
  putTemplate(tenantId: string, key: string, template: string): Promise<void>;
  deleteTemplate(tenantId: string, key: string): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------------
// Events and messages

export interface EventPage {
  items: StoredEvent[];
  nextCursor?: string;
}

/** What the sweeper's work list holds of a due event: which one, and since when. */
export type DueEvent = Pick<StoredEvent, 'tenantId' | 'eventId' | 'dueAt'>;

/**
 * The worker's claim of an event: claimed (now `processing`, one attempt more), or not claimable and then the event
 * as it is now (undefined when there is none).
 */
export type EventClaim = { claimed: true; event: StoredEvent } | { claimed: false; event?: StoredEvent };

export interface SearchPage {
  /** ISO time: nothing received before it. */
  since: string;
  limit: number;
  cursor?: string;
}

/**
 * Finding a tenant's events by what an operator knows (a client, a loan, a phone number), newest first, within a
 * time window. Pages may hold fewer than `limit` events while `nextCursor` is set: a page reads a bounded slice.
 */
export interface EventSearch {
  /** Events whose business ids match every given one. Throws InvalidCursorError for a cursor it did not produce. */
  findByIds(tenantId: string, filter: EventFilter, page: SearchPage): Promise<EventPage>;
  /** Events with an SMS to the number of this keyed hash (PhoneHasher). */
  findByPhoneHash(tenantId: string, phoneHash: string, page: SearchPage): Promise<EventPage>;
}

/** The keyed hash of an E.164 number under which message records are findable (never the number itself). */
export interface PhoneHasher {
  hashPhone(e164: string): Promise<string>;
}

export interface EventStore {
  /** Conditional put on the dedup key: 'duplicate' when an event with the same key exists. */
  putIfAbsent(event: StoredEvent): Promise<'stored' | 'duplicate'>;
  /** Strongly consistent unless `consistent: false` (half the read units; may miss a write of the last second). */
  get(tenantId: string, eventId: string, options?: { consistent?: boolean }): Promise<StoredEvent | undefined>;
  /** Newest first. Throws InvalidCursorError for a cursor this query did not produce. */
  listByTenant(tenantId: string, options: { limit: number; cursor?: string }): Promise<EventPage>;
  update(
    tenantId: string,
    eventId: string,
    patch: Partial<Pick<StoredEvent, 'status' | 'lastError' | 'nextAttemptAt' | 'dueAt' | 'outcome' | 'updatedAt'>>,
    options?: { incrementAttempts?: boolean; resetAttempts?: boolean; removeDue?: boolean; ifStatusIn?: EventStatus[] },
  ): Promise<StoredEvent>;
  /**
   * One conditional write that reads the event too: an event in flight and due (not `retrying` with a
   * `nextAttemptAt` after `dueBy`) becomes `processing`, one attempt more, due for the sweeper at `dueAt`. With
   * `keepDueFrom`, a stored due time at or after it is kept instead (no due-index write); one before it is moved to
   * `dueAt` by a second write. Anything else (final, not due yet, absent) is left as it is and read afresh for the
   * caller to tell which.
   */
  claim(
    tenantId: string,
    eventId: string,
    at: { updatedAt: string; dueAt: string; dueBy: string; keepDueFrom?: string },
  ): Promise<EventClaim>;
  /**
   * Marks the event as asking for SMS too (an SMS Bridge arrival of an event a Web hook stored first). Conditional
   * on `sms` not set yet and on the status still being `seen`; when `reopen` is given (the event was final), the
   * event goes back in flight: `received`, attempts reset, due for the sweeper at `reopen.dueAt`. Returns false
   * when the condition did not hold (someone else did it, or the status moved on).
   */
  addSmsChannel(
    tenantId: string,
    eventId: string,
    seen: EventStatus,
    at: string,
    reopen?: { dueAt: string },
  ): Promise<boolean>;
  /**
   * Non-final events whose `dueAt` is at or before `before` (the sweeper's work list), oldest due first: ids only,
   * a reader that needs more reads the event.
   */
  listDue(before: string, limit: number): Promise<DueEvent[]>;
}

export interface MessageStore {
  /** Creates the record unless one exists; returns whichever is stored. */
  createIfAbsent(record: MessageRecord): Promise<MessageRecord>;
  /**
   * Creates the record (already `sending`, under its lease) unless one exists: one conditional put that is the
   * at-most-once claim. `created: false` carries the record that was there.
   */
  createClaimed(record: MessageRecord): Promise<{ created: boolean; record: MessageRecord }>;
  get(tenantId: string, messageId: string): Promise<MessageRecord | undefined>;
  /**
   * Conditional transition: throws ConditionFailedError unless the record exists, its current status is one of
   * `from` and every field in `expect` has the given value. Fields named in `keepStored` are set only where the
   * record has none yet (a delivery report's sid never replaces the one the send recorded).
   */
  transition(
    tenantId: string,
    messageId: string,
    from: MessageStatus[],
    patch: Partial<Omit<MessageRecord, 'tenantId' | 'messageId'>>,
    expect?: Partial<Pick<MessageRecord, 'leaseUntil' | 'sid'>>,
    options?: { keepStored?: 'sid'[] },
  ): Promise<MessageRecord>;
  listByEvent(tenantId: string, eventId: string): Promise<MessageRecord[]>;
  /**
   * Remembers which message a provider's message id belongs to, for providers whose delivery reports carry only
   * their own id (Africa's Talking). Written before the send is recorded, so a fast report finds it.
   */
  linkProviderId(tenantId: string, providerMessageId: string, messageId: string): Promise<void>;
  /** Our message id for a provider's message id of this tenant, if we sent it. */
  findByProviderId(tenantId: string, providerMessageId: string): Promise<string | undefined>;
}

// ---------------------------------------------------------------------------------------------------------------
// Secrets, queue, outbound

export interface SecretStore {
  /** `fresh` skips any cache: for a reader whose secret's registrationId is older than the config's. */
  getTenantSecret(tenantId: string, options?: { fresh?: boolean }): Promise<TenantSecret | undefined>;
  /**
   * The secret this process already holds (a cache entry still valid), without any request; undefined when it
   * holds none. Stores without a cache leave it out.
   */
  peekTenantSecret?(tenantId: string): TenantSecret | undefined;
  putTenantSecret(tenantId: string, secret: TenantSecret): Promise<void>;
  deleteTenantSecret(tenantId: string): Promise<void>;
}

export interface Queue {
  enqueue(message: WorkMessage, delaySeconds?: number): Promise<void>;
  /**
   * Keeps a message whatever happens to this process (SQS does; the local in-memory twin does not). Only a durable
   * queue may stand in for the events table when a put fails.
   */
  readonly durable?: boolean;
}

/** What a consumer may do with a message it received (SQS ChangeMessageVisibility, a DLQ send). */
export interface QueueControl {
  changeVisibility(receiptHandle: string, seconds: number): Promise<void>;
  deadLetter(body: string, reason: string): Promise<void>;
}

/**
 * One SMS provider's API, with that provider's credentials (`C`). The core talks to the union (`SmsSender`, a
 * router by `credentials.provider`: sms-providers.ts); each adapter implements its own member.
 */
export interface SmsSender<C extends ProviderCredentials = ProviderCredentials> {
  /** Throws DownstreamError (classified) on failure. */
  send(credentials: C, message: OutboundSms): Promise<SentSms>;
  /**
   * A message to `to` with exactly `body` created at or after `since`, if the provider has one. A provider with no
   * way to list what it sent throws a DownstreamError that is not retryable (code `lookup_unavailable`): the
   * earlier attempt may have gone out, so it is not sent again.
   */
  findSent(
    credentials: C,
    query: { to: string; from?: string; body: string; since: Date },
  ): Promise<SentSms | undefined>;
  /**
   * Resolves when the provider accepts the credentials (and, where it can tell, knows the sender `from`: the AWS
   * origination identity); throws DownstreamError otherwise.
   */
  verifyAccount(credentials: C, options?: { from?: string }): Promise<void>;
}

export interface FineractClient {
  /** GET `{apiBase}{path}`; throws DownstreamError (404 included, with status) on failure. */
  get(apiBase: string, path: string, auth: FineractAuth): Promise<Record<string, unknown>>;
}

/** Checks that an outbound URL may be called under the deployment's policy (SSRF guard). */
export interface UrlPolicy {
  check(url: string): Promise<void>;
}

export interface SignatureVerifier {
  /** Twilio's X-Twilio-Signature check over the configured URL and the form params. */
  verifyTwilio(authToken: string, signature: string, url: string, params: Record<string, string>): boolean;
}

// ---------------------------------------------------------------------------------------------------------------
// Forwarding

/** A tenant's forwarding targets (tenants table, `TARGET#{targetId}`). */
export interface TargetStore {
  listTargets(tenantId: string): Promise<ForwardTarget[]>;
  getTarget(tenantId: string, targetId: string): Promise<ForwardTarget | undefined>;
  putTarget(target: ForwardTarget): Promise<void>;
  deleteTarget(tenantId: string, targetId: string): Promise<void>;
  /** A 410 from the target, or an operator. */
  disableTarget(tenantId: string, targetId: string, reason: string, at: string): Promise<void>;
}

export interface TargetSecretStore {
  getTargetSecrets(tenantId: string, targetId: string): Promise<TargetSecrets | undefined>;
  putTargetSecrets(tenantId: string, targetId: string, secrets: TargetSecrets): Promise<void>;
  deleteTargetSecrets(tenantId: string, targetId: string): Promise<void>;
}

/** Forward delivery records (events table, `F#…` beside the event). */
export interface ForwardDeliveryStore {
  createIfAbsent(record: ForwardDelivery): Promise<ForwardDelivery>;
  get(tenantId: string, messageId: string): Promise<ForwardDelivery | undefined>;
  transition(
    tenantId: string,
    messageId: string,
    from: ForwardDelivery['status'][],
    patch: Partial<Omit<ForwardDelivery, 'tenantId' | 'messageId'>>,
    expect?: { leaseUntil?: string },
  ): Promise<ForwardDelivery>;
  listByEvent(tenantId: string, eventId: string): Promise<ForwardDelivery[]>;
}

/** POSTs a signed webhook; resolves with whatever the target answered, throws DownstreamError when none came. */
export interface WebhookSender {
  post(webhook: OutboundWebhook): Promise<ForwardResponse>;
}

/** EventBridge PutEvents of one entry; throws DownstreamError (retryable) on a failed entry. */
export interface EventBusPublisher {
  publish(entry: BusEntry): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------------
// Web console

/** Sign-in links and sessions of the web console (tenants table, `CONSOLE#{sha256}`), by token hash. */
export interface ConsoleSessionStore {
  putLink(link: ConsoleGrant): Promise<void>;
  /** Removes the link and returns it: of two callers with the same token, only one gets it. */
  takeLink(tokenHash: string): Promise<ConsoleGrant | undefined>;
  putSession(session: ConsoleGrant): Promise<void>;
  getSession(tokenHash: string): Promise<ConsoleGrant | undefined>;
  deleteSession(tokenHash: string): Promise<void>;
}

/** One file of the console's built front end, with its precompressed variants. */
export interface ConsoleAsset {
  contentType: string;
  identity: Buffer;
  gzip?: Buffer;
  br?: Buffer;
}

/** The built front end: the page (`index.html`) and its hashed assets, by file name. */
export interface ConsoleAssets {
  get(name: string): ConsoleAsset | undefined;
}
