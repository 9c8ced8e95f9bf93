/**
 * The ports the core is given. Adapters (lambdas/adapters) implement them against AWS or local twins;
 * unit tests pass in-memory fakes. Nothing here knows which world it runs in.
 */
import type { BodyEncoding, BodyShape, EventStatus, HookIds, HookSource, HookTemplate } from './model';

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

export interface ApiKeyRecord {
  tenantId: string;
  /** SHA-256 hex of the key; the key itself is never stored. */
  keyHash: string;
  /** First characters of the hash, safe to show to operators. */
  fingerprint: string;
  createdAt: string;
  /** Set when a newer key replaced this one: valid until then (grace period), gone after. */
  expiresAt?: string;
  label?: string;
}

export interface TenantConfig {
  tenantId: string;
  smsProvider: string;
  /** Twilio `From`: an E.164 number or an alphanumeric sender id. */
  phoneNo?: string;
  messagingServiceSid?: string;
  /** 'cli' when an operator set the Messaging Service: it then survives re-registrations of the hook. */
  messagingServiceSidSource?: 'hook' | 'cli';
  /** Twilio account SID; not a secret, but shown masked. */
  accountSid?: string;
  /** Sender API base as registered, and the normalised one we call. */
  endpoint?: string;
  apiBase?: string;
  /** ISO 3166 alpha-2 or calling code digits used for numbers stored without one. */
  defaultCountry?: string;
  /** Set when Twilio answered 20003; sends pause until the tenant registers again. */
  credentialsInvalidAt?: string;
  registeredAt: string;
  updatedAt: string;
  registrationId: string;
}

export interface Enrollment {
  tenantId: string;
  /** When set, registration must carry an `endpoint` that starts with it. */
  endpointPrefix?: string;
  enrolledAt: string;
}

export interface TenantStore {
  getApiKey(tenantId: string, keyHash: string): Promise<ApiKeyRecord | undefined>;
  putApiKey(record: ApiKeyRecord): Promise<void>;
  listApiKeys(tenantId: string): Promise<ApiKeyRecord[]>;
  /** Conditional: only shortens or sets an expiry, never revives an expired key. */
  expireApiKey(tenantId: string, keyHash: string, expiresAt: string): Promise<void>;
  deleteApiKey(tenantId: string, keyHash: string): Promise<void>;

  getTenant(tenantId: string): Promise<TenantConfig | undefined>;
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

  getTemplates(tenantId: string): Promise<Record<string, string>>;
  putTemplate(tenantId: string, key: string, template: string): Promise<void>;
  deleteTemplate(tenantId: string, key: string): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------------
// Events and messages

export interface StoredEvent {
  tenantId: string;
  eventId: string;
  dedupKey: string;
  entity: string;
  action: string;
  entityRaw: string;
  actionRaw: string;
  source: HookSource;
  template: HookTemplate;
  shape: BodyShape;
  encoding: BodyEncoding;
  failed: boolean;
  ids: HookIds;
  /** The body exactly as received (decoded to text), and its content type. */
  rawBody: string;
  contentType: string;
  /** X-Mifos-Endpoint / X-Fineract-Endpoint of Web hooks. */
  senderEndpoint?: string;
  receivedAt: string;
  updatedAt: string;
  status: EventStatus;
  attempts: number;
  lastError?: string;
  nextAttemptAt?: string;
  /** When the sweeper should look at this event again if nobody finished it. Absent once final. */
  dueAt?: string;
  outcome?: Record<string, unknown>;
}

export interface EventPage {
  items: StoredEvent[];
  nextCursor?: string;
}

export interface EventStore {
  /** Conditional put on the dedup key: 'duplicate' when an event with the same key exists. */
  putIfAbsent(event: StoredEvent): Promise<'stored' | 'duplicate'>;
  get(tenantId: string, eventId: string): Promise<StoredEvent | undefined>;
  /** Newest first. */
  listByTenant(tenantId: string, options: { limit: number; cursor?: string }): Promise<EventPage>;
  update(
    tenantId: string,
    eventId: string,
    patch: Partial<Pick<StoredEvent, 'status' | 'lastError' | 'nextAttemptAt' | 'dueAt' | 'outcome' | 'updatedAt'>>,
    options?: { incrementAttempts?: boolean; resetAttempts?: boolean; removeDue?: boolean; ifStatusIn?: EventStatus[] },
  ): Promise<StoredEvent>;
  /** Non-final events whose `dueAt` is at or before `before` (the sweeper's work list). */
  listDue(before: string, limit: number): Promise<StoredEvent[]>;
}

export type MessageStatus = 'pending' | 'sending' | 'sent' | 'delivered' | 'undelivered' | 'failed';

export interface MessageRecord {
  tenantId: string;
  messageId: string;
  eventId: string;
  templateKey: string;
  status: MessageStatus;
  /** Masked for display; the full number lives only in `to`. */
  to: string;
  from?: string;
  messagingServiceSid?: string;
  body: string;
  encoding: 'GSM-7' | 'UCS-2';
  segments: number;
  sid?: string;
  providerStatus?: string;
  errorCode?: string;
  errorMessage?: string;
  attemptStartedAt?: string;
  /** While `sending`: until when the worker that claimed it may still be talking to Twilio. */
  leaseUntil?: string;
  createdAt: string;
  updatedAt: string;
}

export interface MessageStore {
  /** Creates the record unless one exists; returns whichever is stored. */
  createIfAbsent(record: MessageRecord): Promise<MessageRecord>;
  get(tenantId: string, messageId: string): Promise<MessageRecord | undefined>;
  /**
   * Conditional transition: throws ConditionFailedError unless the current status is one of `from` and every
   * field in `expect` has the given value.
   */
  transition(
    tenantId: string,
    messageId: string,
    from: MessageStatus[],
    patch: Partial<Omit<MessageRecord, 'tenantId' | 'messageId'>>,
    expect?: Partial<Pick<MessageRecord, 'leaseUntil' | 'sid'>>,
  ): Promise<MessageRecord>;
  listByEvent(tenantId: string, eventId: string): Promise<MessageRecord[]>;
}

// ---------------------------------------------------------------------------------------------------------------
// Secrets, queue, outbound

export interface TenantSecret {
  /** Twilio auth token. */
  smsProviderToken: string;
  /** base64(user:password) or a bearer token of the MifosX/Fineract user, as the sender gave it. */
  mifosToken?: string;
  /** Which registration wrote this secret; lets readers detect a config/secret mismatch. */
  registrationId: string;
}

export interface SecretStore {
  /** `fresh` skips any cache: for a reader whose secret's registrationId is older than the config's. */
  getTenantSecret(tenantId: string, options?: { fresh?: boolean }): Promise<TenantSecret | undefined>;
  putTenantSecret(tenantId: string, secret: TenantSecret): Promise<void>;
  deleteTenantSecret(tenantId: string): Promise<void>;
}

export interface WorkMessage {
  tenantId: string;
  eventId: string;
}

export interface Queue {
  enqueue(message: WorkMessage, delaySeconds?: number): Promise<void>;
}

/** What a consumer may do with a message it received (SQS ChangeMessageVisibility, a DLQ send). */
export interface QueueControl {
  changeVisibility(receiptHandle: string, seconds: number): Promise<void>;
  deadLetter(body: string, reason: string): Promise<void>;
}

export interface TwilioCredentials {
  accountSid: string;
  authToken: string;
}

export interface OutboundSms {
  to: string;
  from?: string;
  messagingServiceSid?: string;
  body: string;
  statusCallback?: string;
}

export interface SentSms {
  sid: string;
  status: string;
  numSegments?: number;
}

export interface SmsSender {
  /** Throws DownstreamError (classified) on failure. */
  send(credentials: TwilioCredentials, message: OutboundSms): Promise<SentSms>;
  /** A message to `to` with exactly `body` created at or after `since`, if Twilio has one. */
  findSent(
    credentials: TwilioCredentials,
    query: { to: string; from?: string; body: string; since: Date },
  ): Promise<SentSms | undefined>;
  /** Resolves when Twilio accepts the credentials; throws DownstreamError otherwise. */
  verifyAccount(credentials: TwilioCredentials): Promise<void>;
}

export interface FineractAuth {
  tenantId: string;
  mifosToken?: string;
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
