/**
 * The SMS delivery of one event: only SMS Bridge events of a registered tenant are texted, with the text
 * composed in sms-compose.ts and sent at most once (delivery.ts) with the tenant's provider (sms-providers.ts).
 * Failures are thrown as DownstreamError for the worker's retry policy.
 */
import { deliverOnce } from './delivery';
import { DownstreamError } from './errors';
import { DEFAULT_SEND_LEASE_SECONDS } from './lifecycle';
import type { EventStatus, MessageRecord, StoredEvent, TenantConfig, TenantSecret } from './model';
import type {
  Clock,
  FineractClient,
  Logger,
  MessageStore,
  Metrics,
  SecretStore,
  SmsSender,
  TenantStore,
} from './ports';
import { countSegments } from './segments';
import { smsChannel } from './sms-channel';
import { credentialsOf, PROVIDER_FACTS, providerOf } from './sms-providers';
import { type ComposedSms, chooseSmsTemplate, composeSms } from './sms-compose';
import { hookFromStored } from './stored-event';

export interface SmsDeliveryDeps {
  tenants: TenantStore;
  messages: MessageStore;
  secrets: SecretStore;
  sms: SmsSender;
  fineract: FineractClient;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  settings: { publicBaseUrl?: string; statusCallbackBaseUrl?: string; sendLeaseSeconds?: number };
}

/** What handling an event came to: the final status, what to record with it, a note for operators. */
export interface EventResult {
  status: EventStatus;
  outcome?: Record<string, unknown>;
  note?: string;
}

export async function deliverSms(event: StoredEvent, deps: SmsDeliveryDeps): Promise<EventResult> {
  if (event.failed) return { status: 'failed-command', note: 'the command failed in MifosX/Fineract; not texted' };
  // Only the SMS Bridge template asks for texts; a Web hook of the same tenant must not text the client twice.
  // A Web hook event gains the SMS channel when the SMS Bridge hook delivers it too (`sms`, set by ingest).
  if (!(event.sms ?? event.template === 'sms-bridge'))
    return { status: 'ignored', note: 'Web hook event: SMS is sent only for events an SMS Bridge hook delivers' };
  const cached = await deps.tenants.getTenant(event.tenantId);
  if (!cached) return { status: 'ignored', note: 'tenant has no SMS Bridge registration' };

  const hook = hookFromStored(event);
  const choice = await chooseSmsTemplate(hook, deps.tenants);
  if (choice.kind === 'none') return { status: choice.status, note: choice.note };
  const credentials = await loadCredentials(event, cached, deps);
  if (!credentials) return { status: 'ignored', note: 'tenant has no SMS Bridge registration' };
  const { tenant, secret } = credentials;
  const composed = await composeSms({ hook, tenant, choice, mifosToken: secret.mifosToken }, deps);
  if (composed.kind === 'none') return { status: composed.status, note: composed.note };

  const record = await sendSms(event, tenant, secret, composed, deps);
  return {
    status: 'sent',
    outcome: {
      messageId: record.messageId,
      sid: record.sid,
      segments: record.segments,
      encoding: record.encoding,
      callbacks: composed.callbacks,
    },
  };
}

/** Twilio codes that mean "this recipient cannot get SMS": final, not worth a retry. */
const RECIPIENT_CODES = new Set(['21211', '21214', '21408', '21612', '21614', '21606', '21617']);

/** The final event status of a permanent SMS failure. */
export function smsFailureStatus(error: unknown): EventStatus {
  if (!(error instanceof DownstreamError)) return 'failed';
  if (error.recipientRejected) return 'invalid-recipient';
  return error.service === 'twilio' && RECIPIENT_CODES.has(String(error.code)) ? 'invalid-recipient' : 'failed';
}

/**
 * The tenant's config and provider token, from one registration; throws while they disagree. The config may come
 * from a cache (adapters/cached-tenant-store.ts), so it is read afresh whenever it cannot be trusted to be current:
 * the event came with the key of another registration (or with none), the credentials are marked rejected (a
 * re-registration may have replaced them), or the secret names another registration. A re-registration is thus
 * seen by the first send that its new key brings, and a send never pairs one registration's SID with another's
 * token. Undefined when the tenant is gone.
 */
async function loadCredentials(
  event: StoredEvent,
  cached: TenantConfig,
  deps: SmsDeliveryDeps,
): Promise<{ tenant: TenantConfig; secret: TenantSecret } | undefined> {
  const { tenantId } = event;
  let tenant: TenantConfig | undefined = cached;
  if (
    event.registrationId === undefined ||
    event.registrationId !== tenant.registrationId ||
    tenant.credentialsInvalidAt
  ) {
    tenant = await deps.tenants.getTenant(tenantId, { fresh: true });
    if (!tenant) return undefined;
  }
  assertCredentialsUsable(tenant);
  let secret = await deps.secrets.getTenantSecret(tenantId);
  // Config and secret are written one after the other by a registration, and either may be cached from before it.
  if (secret && secret.registrationId !== tenant.registrationId) {
    tenant = await deps.tenants.getTenant(tenantId, { fresh: true });
    if (!tenant) return undefined;
    secret = await deps.secrets.getTenantSecret(tenantId, { fresh: true });
  }
  assertCredentialsUsable(tenant);
  const service = PROVIDER_FACTS[providerOf(tenant)].service;
  if (!secret) throw new DownstreamError(service, 'no stored credentials for this tenant', { retryable: false });
  if (secret.registrationId !== tenant.registrationId) {
    throw new DownstreamError(service, 'the tenant is registering again; credentials not settled yet', {
      retryable: true,
    });
  }
  return { tenant, secret };
}

function assertCredentialsUsable(tenant: TenantConfig): void {
  if (tenant.credentialsInvalidAt) {
    const facts = PROVIDER_FACTS[providerOf(tenant)];
    const twilio = facts.service === 'twilio';
    const why = twilio ? 'Twilio credentials were rejected (20003)' : `${facts.label} rejected the credentials`;
    throw new DownstreamError(facts.service, `${why}; register the hook again`, {
      retryable: false,
      code: twilio ? 20003 : 'credentials_rejected',
    });
  }
}

async function sendSms(
  event: StoredEvent,
  tenant: TenantConfig,
  secret: TenantSecret,
  sms: ComposedSms,
  deps: SmsDeliveryDeps,
): Promise<MessageRecord> {
  const channel = smsChannel({
    sms: deps.sms,
    credentials: credentialsOf(tenant, secret),
    metrics: deps.metrics,
    publicBaseUrl: deps.settings.statusCallbackBaseUrl ?? deps.settings.publicBaseUrl,
    messages: deps.messages,
    sender: senderOf(tenant),
  });
  try {
    return await deliverOnce({
      draft: messageDraft(event, tenant, sms, deps.clock.now()),
      channel,
      store: deps.messages,
      clock: deps.clock,
      logger: deps.logger,
      leaseSeconds: deps.settings.sendLeaseSeconds ?? DEFAULT_SEND_LEASE_SECONDS,
    });
  } catch (error) {
    if (error instanceof DownstreamError && error.credentialsInvalid) {
      // Conditional on the registration these credentials came from: a newer registration is not marked.
      await deps.tenants.markCredentialsInvalid(event.tenantId, deps.clock.now().toISOString(), tenant.registrationId);
      deps.logger.error('the SMS provider rejected the tenant credentials; sends paused until it registers again', {
        tenantId: event.tenantId,
        eventId: event.eventId,
        provider: providerOf(tenant),
      });
    }
    throw error;
  }
}

/** One message per (event, template): its id is derived from both, so a retry finds the earlier attempt. */
function messageDraft(event: StoredEvent, tenant: TenantConfig, sms: ComposedSms, now: Date): MessageRecord {
  const segments = countSegments(sms.body);
  return {
    tenantId: event.tenantId,
    messageId: `${event.eventId}.${sms.key}`,
    eventId: event.eventId,
    templateKey: sms.key,
    status: 'pending',
    to: sms.to,
    ...senderOf(tenant),
    ...(providerOf(tenant) === 'twilio' ? {} : { provider: providerOf(tenant) }),
    body: sms.body,
    encoding: segments.encoding,
    segments: segments.segments,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
}

/** Twilio sends from a Messaging Service when one is set; the other providers from the Phone Number. */
function senderOf(tenant: TenantConfig): { from?: string; messagingServiceSid?: string } {
  if (providerOf(tenant) !== 'twilio') return { from: tenant.phoneNo };
  return tenant.messagingServiceSid
    ? { from: undefined, messagingServiceSid: tenant.messagingServiceSid }
    : { from: tenant.phoneNo, messagingServiceSid: undefined };
}
