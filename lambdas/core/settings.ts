/**
 * Runtime settings, read once from the environment. Defaults are the AWS ones; the local server sets its own
 * defaults (open enrollment, private endpoints, dry-run) before reading them.
 */
import { DEFAULT_SEND_LEASE_SECONDS } from './lifecycle';

export interface Settings {
  tenantsTable: string;
  eventsTable: string;
  queueUrl?: string;
  deadLetterQueueUrl?: string;
  secretPrefix: string;
  /** The data key secret (adapters/data-protection.ts): seals numbers and bodies at rest, keys phone hashes. */
  dataKeySecretArn?: string;
  /** Public base URL of the API (no trailing slash), for Twilio status callbacks. */
  publicBaseUrl?: string;
  /**
   * Base of the StatusCallback URL the worker gives Twilio (STATUS_CALLBACK_BASE_URL): in AWS the status
   * function's own URL, which costs no API Gateway request per report; else the public base URL.
   */
  statusCallbackBaseUrl?: string;
  openEnrollment: boolean;
  allowPrivateEndpoints: boolean;
  smsDryRun: boolean;
  twilioApiBaseUrl?: string;
  /** Africa's Talking base URL instead of their live/sandbox hosts (a fake or a proxy). */
  africastalkingApiBaseUrl?: string;
  /** The End User Messaging configuration set every AWS send names (its event destination reports deliveries). */
  smsConfigurationSetName?: string;
  /** The AWS origination identities the stack granted SendTextMessage on; registration refuses others. */
  smsOriginationIdentities: string[];
  /** Where the AWS SMS client is pointed instead of AWS (AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2): a local fake. */
  smsVoiceEndpoint?: string;
  retryScheduleSeconds: number[];
  keyGraceSeconds: number;
  maxBodyBytes: number;
  authCacheSeconds: number;
  /** How long the worker reuses a tenant's config and templates (TENANT_CACHE_SECONDS; sms-delivery.ts says when it reads afresh). */
  tenantCacheSeconds: number;
  /** How long an event may sit un-dispatched before the sweeper re-enqueues it. */
  sweepGraceSeconds: number;
  eventRetentionDays: number;
  /** A body-hash key (no commandId) catches a second delivery this close to the first; later, it is a new event. */
  dedupWindowSeconds: number;
  fineractTimeoutMs: number;
  /** Deadline of one POST to a forwarding target (FORWARD_TIMEOUT_MS). */
  forwardTimeoutMs: number;
  /** Accept self-signed certificates on callbacks (MifosX installs on :8443 often have one). */
  fineractTlsInsecure: boolean;
  /** Per-request timeout of the Twilio client; a send that times out is looked up before it is sent again. */
  twilioTimeoutMs: number;
  /** How long a worker holds a message in `sending` before another may look it up at Twilio and take over. */
  sendLeaseSeconds: number;
  /** A 404 from the sender this soon after the event is "not committed yet": retried (docs/protocol.md §6). */
  fineractNotFoundRetrySeconds: number;
}

/** Ten minutes: a sender's redelivery comes within seconds; a reminder with the same text comes days later. */
export const DEFAULT_DEDUP_WINDOW_SECONDS = 600;

/** 10 s, 1 min, 5 min, 30 min, 2 h, 6 h, 12 h: about 20.6 h of retries before an event is dead. */
export const DEFAULT_RETRY_SCHEDULE = [10, 60, 300, 1800, 7200, 21600, 43200];

function bool(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  return /^(1|true|yes|on)$/i.test(value.trim());
}

function int(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`Expected a non-negative number, got "${value}"`);
  return n;
}

export function parseSchedule(value: string | undefined): number[] {
  if (!value) return DEFAULT_RETRY_SCHEDULE;
  const parts = value.split(',').map((s) => s.trim());
  const steps = parts.map(Number);
  if (parts.some((p) => p === '') || steps.some((n) => !Number.isFinite(n) || n < 0)) {
    throw new Error(`RETRY_SCHEDULE_SECONDS must be a comma-separated list of seconds, got "${value}"`);
  }
  return steps;
}

/** The variables a deployment must set (the stack does), and the setting each one fills. */
const REQUIRED_FIELDS = {
  TENANTS_TABLE: 'tenantsTable',
  EVENTS_TABLE: 'eventsTable',
  QUEUE_URL: 'queueUrl',
  DLQ_URL: 'deadLetterQueueUrl',
  SECRET_PREFIX: 'secretPrefix',
  PUBLIC_BASE_URL: 'publicBaseUrl',
} as const satisfies Record<string, keyof Settings>;

export type RequiredVariable = keyof typeof REQUIRED_FIELDS;

/** Settings whose fields for the required variables `R` are known to be set. */
export type SettingsWith<R extends RequiredVariable> = Settings & {
  [K in R as (typeof REQUIRED_FIELDS)[K]]-?: string;
};

export class MissingSettingError extends Error {
  constructor(
    readonly variable: RequiredVariable,
    hint: string,
  ) {
    super(`${variable} is not set (${hint})`);
    this.name = 'MissingSettingError';
  }
}

export interface ReadSettingsOptions<R extends RequiredVariable> {
  /** Variables without a usable default here: a missing one fails at once, naming the variable. */
  require?: readonly R[];
  /** Who normally sets them, for the error message. */
  hint?: string;
}

export function readSettings<R extends RequiredVariable = never>(
  env: NodeJS.ProcessEnv = process.env,
  options: ReadSettingsOptions<R> = {},
): SettingsWith<R> {
  for (const variable of options.require ?? []) {
    if (!env[variable]) throw new MissingSettingError(variable, options.hint ?? 'the stack sets it');
  }
  return parseSettings(env) as SettingsWith<R>;
}

function parseSettings(env: NodeJS.ProcessEnv): Settings {
  return {
    tenantsTable: env.TENANTS_TABLE ?? 'hook-tenants',
    eventsTable: env.EVENTS_TABLE ?? 'hook-events',
    queueUrl: env.QUEUE_URL || undefined,
    deadLetterQueueUrl: env.DLQ_URL || undefined,
    secretPrefix: env.SECRET_PREFIX ?? 'fineract-hooks/tenants/',
    dataKeySecretArn: env.DATA_KEY_SECRET_ARN || undefined,
    publicBaseUrl: env.PUBLIC_BASE_URL ? env.PUBLIC_BASE_URL.replace(/\/+$/, '') : undefined,
    statusCallbackBaseUrl: (env.STATUS_CALLBACK_BASE_URL || env.PUBLIC_BASE_URL)?.replace(/\/+$/, '') || undefined,
    openEnrollment: bool(env.OPEN_ENROLLMENT, false),
    allowPrivateEndpoints: bool(env.ALLOW_PRIVATE_ENDPOINTS, false),
    smsDryRun: bool(env.SMS_DRY_RUN, false),
    twilioApiBaseUrl: env.TWILIO_API_BASE_URL || undefined,
    africastalkingApiBaseUrl: env.AFRICASTALKING_API_BASE_URL || undefined,
    smsConfigurationSetName: env.SMS_CONFIGURATION_SET || undefined,
    smsOriginationIdentities: (env.SMS_ORIGINATION_IDENTITIES ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    smsVoiceEndpoint: env.AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2 || undefined,
    retryScheduleSeconds: parseSchedule(env.RETRY_SCHEDULE_SECONDS),
    keyGraceSeconds: int(env.KEY_GRACE_SECONDS, 24 * 3600),
    maxBodyBytes: int(env.MAX_BODY_BYTES, 1024 * 1024),
    authCacheSeconds: int(env.AUTH_CACHE_SECONDS, 60),
    tenantCacheSeconds: int(env.TENANT_CACHE_SECONDS, 60),
    sweepGraceSeconds: int(env.SWEEP_GRACE_SECONDS, 300),
    eventRetentionDays: int(env.EVENT_RETENTION_DAYS, 90),
    dedupWindowSeconds: Math.max(1, int(env.DEDUP_WINDOW_SECONDS, DEFAULT_DEDUP_WINDOW_SECONDS)),
    fineractTimeoutMs: int(env.FINERACT_TIMEOUT_MS, 8000),
    forwardTimeoutMs: int(env.FORWARD_TIMEOUT_MS, 10_000),
    fineractTlsInsecure: bool(env.FINERACT_TLS_INSECURE, false),
    twilioTimeoutMs: int(env.TWILIO_TIMEOUT_MS, 10_000),
    sendLeaseSeconds: int(env.SEND_LEASE_SECONDS, DEFAULT_SEND_LEASE_SECONDS),
    fineractNotFoundRetrySeconds: int(env.FINERACT_NOT_FOUND_RETRY_SECONDS, 60),
  };
}
