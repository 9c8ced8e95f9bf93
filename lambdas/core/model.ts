/**
 * The records and vocabulary of the domain: what is stored, queued and sent. Ports (ports.ts) move these records;
 * nothing here does I/O.
 */
import type { EventStatus } from './event-status';

// ---------------------------------------------------------------------------------------------------------------
// Hook vocabulary

export type HookSource = 'mifosx' | 'fineract';
/** sms-bridge: carries an API-key header; web: the stock Web template (no key header). */
export type HookTemplate = 'sms-bridge' | 'web';
/** Structure of the body, whatever its encoding. */
export type BodyShape = 'flat' | 'envelope' | 'failed-envelope' | 'sms-send' | 'empty';
export type BodyEncoding = 'json' | 'form';

export const ID_FIELDS = [
  'commandId',
  'officeId',
  'groupId',
  'clientId',
  'loanId',
  'savingsId',
  'resourceId',
  'subResourceId',
  'transactionId',
] as const;
export type IdField = (typeof ID_FIELDS)[number];
export type HookIds = Partial<Record<IdField, number | string>>;

/** The business ids `events find` filters on: top-level attributes of the event item, as strings. */
export const SEARCH_ID_FIELDS = ['clientId', 'loanId', 'savingsId', 'commandId'] as const satisfies readonly IdField[];
export type SearchIdField = (typeof SEARCH_ID_FIELDS)[number];
export type EventFilter = Partial<Record<SearchIdField, string>>;

// ---------------------------------------------------------------------------------------------------------------
// Tenants and keys

/**
 * What a key may do. `ingest`: post hook events only (the key sits in a Web hook's Payload URL, seen by anyone who
 * can read the hook). `admin`: also the tenant's configuration, events and resend. Records without one are admin.
 */
export type KeyScope = 'ingest' | 'admin';

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
  /** Absent on keys issued before scopes existed: those are admin. */
  scope?: KeyScope;
  /** The provider account (Twilio Account SID) of the registration that issued it; absent for operator keys. */
  accountSid?: string;
  /** The registration that issued it (TenantConfig.registrationId); absent for operator keys and older keys. */
  registrationId?: string;
}

export interface TenantConfig {
  tenantId: string;
  /** One of SMS_PROVIDERS; records written before other providers existed say `twilio`. */
  smsProvider: string;
  /**
   * The hook's Phone Number: Twilio `From` (an E.164 number or an alphanumeric sender id), the AWS origination
   * identity (phone number, its ARN, a pool ARN or a sender ID), or the Africa's Talking sender ID / short code.
   */
  phoneNo?: string;
  messagingServiceSid?: string;
  /** 'cli' when an operator set the Messaging Service: it then survives re-registrations of the hook. */
  messagingServiceSidSource?: 'hook' | 'cli';
  /**
   * The provider account the registration proved: the Twilio Account SID or the Africa's Talking username (absent
   * for `aws`, which has no tenant account). Not a secret, but shown masked. Kept under its first name: renaming the
   * stored attribute would be a data migration.
   */
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
  /** When set, registration must carry an `endpoint` under this URL (same scheme, host, port, leading path segments). */
  endpointPrefix?: string;
  enrolledAt: string;
  /** Set by the first registration of a new tenant: the enrollment is used up (closed enrollment). */
  usedAt?: string;
  /** `tenants enroll --replace`: one registration before this time may replace the owner; cleared when used. */
  replaceUntil?: string;
  /**
   * CIDRs whose keyless Web hooks at the host root are accepted for this tenant (Fineract 1.5–1.6 post Web hooks
   * to `/` and drop the Payload URL's path, key included: docs/protocol.md §4).
   */
  rootWebHooksFrom?: string[];
}

export interface TenantSecret {
  /** Twilio auth token or Africa's Talking API key; empty for `aws` (IAM, no tenant credential). */
  smsProviderToken: string;
  /** base64(user:password) or a bearer token of the MifosX/Fineract user, as the sender gave it. */
  mifosToken?: string;
  /** Which registration wrote this secret; lets readers detect a config/secret mismatch. */
  registrationId: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Events

export { EVENT_STATUSES, type EventStatus } from './event-status';

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
  /**
   * The event asked for the SMS channel: it arrived through an SMS Bridge hook (first, or later than a Web hook of
   * the same command). Absent on events stored before forwarding existed: then `template === 'sms-bridge'` says it.
   */
  sms?: boolean;
  shape: BodyShape;
  encoding: BodyEncoding;
  failed: boolean;
  ids: HookIds;
  /** The body exactly as received (decoded to text), and its content type. */
  rawBody: string;
  contentType: string;
  /** X-Mifos-Endpoint / X-Fineract-Endpoint of Web hooks. */
  senderEndpoint?: string;
  /**
   * The registration whose key authenticated the hook (ApiKeyRecord.registrationId): the worker's cached tenant
   * config is used for its SMS only when it names the same one (sms-delivery.ts).
   */
  registrationId?: string;
  receivedAt: string;
  updatedAt: string;
  status: EventStatus;
  attempts: number;
  lastError?: string;
  nextAttemptAt?: string;
  /** When the sweeper should look at this event again if nobody finished it. Absent once final. */
  dueAt?: string;
  outcome?: Record<string, unknown>;
  /** Each status change with its time and error, oldest first (kept by the DynamoDB store; for `events trace`). */
  history?: EventHistoryEntry[];
}

export interface EventHistoryEntry {
  at: string;
  status: EventStatus;
  error?: string;
}

/**
 * What the queue carries: a pointer to a stored event. Only when ingest could not store the event does the
 * message carry the event itself, for the worker to store under the same id before processing it.
 */
export interface WorkMessage {
  tenantId: string;
  eventId: string;
  /** The whole event, when the events table refused it at ingest (the queue is then its durable place). */
  unstored?: StoredEvent;
}

// ---------------------------------------------------------------------------------------------------------------
// Deliveries: one event to one channel, at most once (delivery.ts)

/** The states the delivery machine moves a record through; a channel may add later ones (delivery reports). */
export type DeliveryStatus = 'pending' | 'sending' | 'sent' | 'failed';

/** What every channel's delivery record carries for the machine. */
export interface DeliveryState {
  tenantId: string;
  /** `{eventId}.{key}`: one record per event and channel key, so a retry finds the earlier attempt. */
  messageId: string;
  eventId: string;
  status: string;
  errorCode?: string;
  errorMessage?: string;
  attemptStartedAt?: string;
  /** While `sending`: until when the worker that claimed it may still be talking to the provider. */
  leaseUntil?: string;
  createdAt: string;
  updatedAt: string;
}

export type MessageStatus = DeliveryStatus | 'delivered' | 'undelivered';

/** One SMS of one event (the SMS channel's delivery record). */
export interface MessageRecord extends DeliveryState {
  templateKey: string;
  status: MessageStatus;
  /**
   * The recipient in E.164 as the core sees it. At rest the item keeps it masked in `to` and sealed beside it, with
   * `toHash` (a keyed hash) to find it by (adapters/data-protection.ts).
   */
  to: string;
  /** Keyed hash of `to`, set by the store. */
  toHash?: string;
  from?: string;
  messagingServiceSid?: string;
  body: string;
  encoding: 'GSM-7' | 'UCS-2';
  segments: number;
  /** The provider's message id (Twilio SID, AWS MessageId, Africa's Talking messageId): stored as `sid`. */
  sid?: string;
  providerStatus?: string;
  /** Every provider status we were told of (send answer, status callbacks), oldest first; kept by the store. */
  providerHistory?: { at: string; status: string; errorCode?: string }[];
  /** Which provider the last attempt went to; absent on records from before other providers existed (Twilio). */
  provider?: SmsProvider;
}

// ---------------------------------------------------------------------------------------------------------------
// Outbound calls

/** The providers the hook form's SMS Provider field may name (lower case). */
export const SMS_PROVIDERS = ['twilio', 'aws', 'africastalking'] as const;
export type SmsProvider = (typeof SMS_PROVIDERS)[number];

/** `provider` is optional here only: Twilio credentials predate the other providers. */
export interface TwilioCredentials {
  provider?: 'twilio';
  accountSid: string;
  authToken: string;
}

/** AWS End User Messaging SMS: the function's IAM role is the credential; nothing comes from the tenant. */
export interface AwsSmsCredentials {
  provider: 'aws';
}

export interface AfricasTalkingCredentials {
  provider: 'africastalking';
  /** `sandbox` targets their sandbox host. */
  username: string;
  apiKey: string;
}

/** Per-provider credentials, told apart by `provider` (absent means Twilio). */
export type ProviderCredentials = TwilioCredentials | AwsSmsCredentials | AfricasTalkingCredentials;

export interface OutboundSms {
  to: string;
  /** Twilio `From`, the AWS origination identity, the Africa's Talking sender ID. */
  from?: string;
  messagingServiceSid?: string;
  body: string;
  statusCallback?: string;
  /** Echoed back in the provider's delivery events where it has a place for it (AWS `Context`). */
  context?: Record<string, string>;
}

export interface SentSms {
  sid: string;
  status: string;
  numSegments?: number;
}

export interface FineractAuth {
  tenantId: string;
  mifosToken?: string;
}

/** What an IP address is, for the outbound URL policy (url-policy.ts). */
export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'reserved'
  | 'link-local'
  | 'metadata'
  | 'unspecified'
  | 'multicast'
  | 'broadcast'
  | 'invalid';

// ---------------------------------------------------------------------------------------------------------------
// Forwarding: every event to the tenant's own targets (forward.ts)

export type TargetKind = 'https' | 'eventbridge';
export type TargetFormat = 'envelope' | 'original';

/** A tenant's forwarding target. Its signing secrets are in the SecretStore, never here. */
export interface ForwardTarget {
  tenantId: string;
  targetId: string;
  kind: TargetKind;
  /** https targets. */
  url?: string;
  /** eventbridge targets. */
  eventBusArn?: string;
  /** `LOAN.REPAYMENT`, `LOAN.*`, `*.CREATE`, `*` (upper case); empty means all. */
  events: string[];
  /** Failed-command events go only to targets that ask for them. */
  includeFailed: boolean;
  format: TargetFormat;
  status: 'enabled' | 'disabled';
  disabledReason?: string;
  createdAt: string;
  updatedAt: string;
}

/** A target's signing secrets: the current one and, for 24 h after a rotation, the previous one. */
export interface TargetSecrets {
  secret: string;
  previousSecret?: string;
  previousUntil?: string;
}

/** One event to one forwarding target; `messageId` = `{eventId}.F.{targetId}`. */
export interface ForwardDelivery extends DeliveryState {
  targetId: string;
  status: DeliveryStatus;
  /** Standard Webhooks `webhook-id`: the same on every retry of this delivery, so receivers can deduplicate. */
  webhookId: string;
  attempts: number;
  nextAttemptAt?: string;
  lastStatusCode?: number;
  latencyMs?: number;
  /** The first few hundred characters of the last answer; bodies are not kept beyond that. */
  responseExcerpt?: string;
}

/** What an HTTPS target answered. */
export interface ForwardResponse {
  statusCode: number;
  latencyMs: number;
  excerpt: string;
  /** Seconds, from Retry-After (429/503). */
  retryAfterSeconds?: number;
}

export interface OutboundWebhook {
  url: string;
  headers: Record<string, string>;
  body: Buffer;
}

export interface BusEntry {
  eventBusArn: string;
  source: string;
  detailType: string;
  detail: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Web console (issue 15)

/** `viewer` reads; `editor` may also resend, edit templates and change targets. */
export type ConsoleRole = 'viewer' | 'editor';

/**
 * A one-time sign-in link or a signed-in session: only the SHA-256 of its token is stored, so a table dump lets
 * nobody in. Both expire (`expiresAt`, and the table's TTL removes them later).
 */
export interface ConsoleGrant {
  tokenHash: string;
  tenantId: string;
  role: ConsoleRole;
  createdAt: string;
  expiresAt: string;
}
