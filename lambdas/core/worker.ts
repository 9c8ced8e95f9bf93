import { ConditionFailedError, DownstreamError } from './errors';
import { describeError } from './http';
import type { EventStatus, MessageRecord, StoredEvent, TenantConfig, TwilioCredentials, WorkMessage } from './model';
import { isFinal } from './lifecycle';
import { toE164 } from './phone';
import { maskPhone } from './redaction';
import type {
  Clock,
  EventStore,
  FineractClient,
  Logger,
  MessageStore,
  Metrics,
  SecretStore,
  SmsSender,
  TenantStore,
} from './ports';
import { isRetryable, nextDelaySeconds } from './retry-policy';
import { countSegments } from './segments';
import { gatherSmsData, isEarlyNotFound } from './sms-data';
import { statusCallbackUrl } from './status-callback';
import { hookFromStored } from './stored-event';
import { renderTemplate, resolveTemplate, SMS_SEND_KEY, templateKey, variablesOf } from './templates';
import { normaliseApiBase } from './url-policy';

export interface WorkerDeps {
  tenants: TenantStore;
  events: EventStore;
  messages: MessageStore;
  secrets: SecretStore;
  sms: SmsSender;
  fineract: FineractClient;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  settings: {
    retryScheduleSeconds: number[];
    sweepGraceSeconds: number;
    fineractNotFoundRetrySeconds: number;
    publicBaseUrl?: string;
    /** Overrides SEND_LEASE_SECONDS (SEND_LEASE_SECONDS env; short in tests of interrupted sends). */
    sendLeaseSeconds?: number;
  };
  random?: () => number;
}

export type WorkOutcome =
  | { action: 'ack'; status?: EventStatus }
  | { action: 'retry'; delaySeconds: number; error: string }
  | { action: 'dead-letter'; reason: string };

const IN_FLIGHT: EventStatus[] = ['received', 'processing', 'retrying'];
/** How long a worker may hold a message in `sending` before another may check Twilio and take over. */
export const SEND_LEASE_SECONDS = 60;

/** DownstreamError code of "another worker holds this message's send lease" (a duplicate delivery, a sweeper copy). */
export const SEND_IN_PROGRESS = 'send_in_progress';

function leaseSeconds(deps: WorkerDeps): number {
  return deps.settings.sendLeaseSeconds ?? SEND_LEASE_SECONDS;
}

/** Twilio codes that mean "this recipient cannot get SMS": final, not worth a retry. */
const RECIPIENT_CODES = new Set(['21211', '21214', '21408', '21612', '21614', '21606', '21617']);

interface Dispatched {
  status: EventStatus;
  outcome?: Record<string, unknown>;
  note?: string;
}

export function parseWorkMessage(body: string): WorkMessage | undefined {
  try {
    const value = JSON.parse(body) as Partial<WorkMessage>;
    if (typeof value.tenantId === 'string' && typeof value.eventId === 'string') {
      return { tenantId: value.tenantId, eventId: value.eventId };
    }
  } catch {
    // fall through: a poison message
  }
  return undefined;
}

/**
 * One delivery of a work message. Every path ends in: a final event status (ack), a scheduled retry, or dead.
 * Status writes are conditional on the event still being in flight, so two workers racing on one event (SQS
 * redelivery, the sweeper) never overwrite a final status.
 */
export async function processWorkMessage(message: WorkMessage, deps: WorkerDeps): Promise<WorkOutcome> {
  const { events, clock, logger } = deps;
  const event = await events.get(message.tenantId, message.eventId);
  if (!event) return { action: 'dead-letter', reason: 'event not found' };
  const log = { tenantId: event.tenantId, eventId: event.eventId, entity: event.entity, action: event.action };
  if (isFinal(event.status)) return { action: 'ack', status: event.status };

  const now = clock.now();
  if (event.status === 'retrying' && event.nextAttemptAt && Date.parse(event.nextAttemptAt) - now.getTime() > 1000) {
    // An early copy (sweeper, duplicate enqueue): wait for the scheduled time without spending an attempt.
    return {
      action: 'retry',
      delaySeconds: Math.ceil((Date.parse(event.nextAttemptAt) - now.getTime()) / 1000),
      error: 'not due yet',
    };
  }

  let current: StoredEvent;
  try {
    current = await events.update(
      event.tenantId,
      event.eventId,
      {
        status: 'processing',
        updatedAt: now.toISOString(),
        dueAt: new Date(now.getTime() + deps.settings.sweepGraceSeconds * 1000).toISOString(),
      },
      { incrementAttempts: true, ifStatusIn: IN_FLIGHT },
    );
  } catch (error) {
    if (error instanceof ConditionFailedError) return { action: 'ack' };
    throw error;
  }

  let result: Dispatched;
  try {
    result = await dispatchSms(current, deps);
  } catch (error) {
    return handleFailure(current, error, deps, log);
  }
  await finish(current, result.status, deps, { outcome: result.outcome, lastError: result.note });
  deps.metrics.count(`Event_${result.status}`, 1);
  logger.info('event processed', { ...log, status: result.status, attempts: current.attempts });
  return { action: 'ack', status: result.status };
}

async function finish(
  event: StoredEvent,
  status: EventStatus,
  deps: WorkerDeps,
  extra: { outcome?: Record<string, unknown>; lastError?: string; nextAttemptAt?: string; dueAt?: string },
): Promise<void> {
  try {
    await deps.events.update(
      event.tenantId,
      event.eventId,
      {
        status,
        updatedAt: deps.clock.now().toISOString(),
        ...(extra.outcome ? { outcome: extra.outcome } : {}),
        ...(extra.lastError !== undefined ? { lastError: extra.lastError } : {}),
        ...(extra.nextAttemptAt ? { nextAttemptAt: extra.nextAttemptAt } : {}),
        ...(extra.dueAt ? { dueAt: extra.dueAt } : {}),
      },
      { ifStatusIn: IN_FLIGHT },
    );
  } catch (error) {
    // Another worker already brought it to a final state: theirs stands.
    if (!(error instanceof ConditionFailedError)) throw error;
  }
}

async function handleFailure(
  event: StoredEvent,
  error: unknown,
  deps: WorkerDeps,
  log: Record<string, unknown>,
): Promise<WorkOutcome> {
  const text = describeError(error);
  const now = deps.clock.now();
  const earlyNotFound = isEarlyNotFound(error, event.receivedAt, now, deps.settings.fineractNotFoundRetrySeconds);
  if (isRetryable(error) || earlyNotFound) {
    const retryAfter = error instanceof DownstreamError ? error.retryAfterSeconds : undefined;
    // A copy that found another worker mid-send did not fail at anything: it must not use up the schedule (and mark
    // dead an event whose SMS that other worker is sending). It comes back when the lease ends; bounded by the lease.
    const inProgress = error instanceof DownstreamError && error.code === SEND_IN_PROGRESS;
    const delay = inProgress
      ? Math.max(retryAfter ?? leaseSeconds(deps), 0.01)
      : nextDelaySeconds(event.attempts, deps.settings.retryScheduleSeconds, retryAfter, deps.random);
    if (delay === undefined) {
      await finish(event, 'dead', deps, { lastError: text });
      deps.metrics.count('EventDead', 1);
      deps.logger.error('event dead after its last attempt', { ...log, attempts: event.attempts, error: text });
      return { action: 'dead-letter', reason: text };
    }
    const nextAttemptAt = new Date(now.getTime() + delay * 1000);
    await finish(event, 'retrying', deps, {
      lastError: text,
      nextAttemptAt: nextAttemptAt.toISOString(),
      dueAt: new Date(nextAttemptAt.getTime() + deps.settings.sweepGraceSeconds * 1000).toISOString(),
    });
    deps.metrics.count('EventRetry', 1);
    deps.logger.warn('event will be retried', { ...log, attempts: event.attempts, delaySeconds: delay, error: text });
    return { action: 'retry', delaySeconds: delay, error: text };
  }
  let status: EventStatus = 'failed';
  if (error instanceof DownstreamError && error.service === 'twilio' && RECIPIENT_CODES.has(String(error.code))) {
    status = 'invalid-recipient';
  }
  await finish(event, status, deps, { lastError: text });
  deps.metrics.count(`Event_${status}`, 1);
  deps.logger.warn('event failed permanently', { ...log, status, error: text });
  return { action: 'ack', status };
}

async function dispatchSms(event: StoredEvent, deps: WorkerDeps): Promise<Dispatched> {
  if (event.failed) return { status: 'failed-command', note: 'the command failed in MifosX/Fineract; not texted' };
  // Only the SMS Bridge template asks for texts; a Web hook of the same tenant must not text the client twice.
  if (event.template !== 'sms-bridge')
    return { status: 'ignored', note: 'Web hook event stored; SMS is sent for SMS Bridge hooks only' };
  const tenant = await deps.tenants.getTenant(event.tenantId);
  if (!tenant) return { status: 'ignored', note: 'tenant has no SMS Bridge registration' };

  const hook = hookFromStored(event);
  const key = hook.shape === 'sms-send' ? SMS_SEND_KEY : templateKey(event.entity, event.action);
  const overrides = key === SMS_SEND_KEY ? {} : await deps.tenants.getTemplates(event.tenantId);
  const template = key === SMS_SEND_KEY ? undefined : resolveTemplate(key, overrides);
  if (key !== SMS_SEND_KEY && !template) return { status: 'ignored', note: `no SMS template for ${key}` };

  if (tenant.credentialsInvalidAt) {
    throw new DownstreamError('twilio', 'Twilio credentials were rejected (20003); register the hook again', {
      retryable: false,
      code: 20003,
    });
  }
  let secret = await deps.secrets.getTenantSecret(event.tenantId);
  // Config and secret are written one after the other by a registration: never pair one's SID with the other's token.
  if (secret && secret.registrationId !== tenant.registrationId) {
    secret = await deps.secrets.getTenantSecret(event.tenantId, { fresh: true });
  }
  if (!secret) throw new DownstreamError('twilio', 'no stored credentials for this tenant', { retryable: false });
  if (secret.registrationId !== tenant.registrationId) {
    throw new DownstreamError('twilio', 'the tenant is registering again; credentials not settled yet', {
      retryable: true,
    });
  }

  let body: string;
  let mobileNo: unknown;
  let callbacks: string[] = [];
  if (key === SMS_SEND_KEY) {
    body = String(hook.body.message ?? '').trim();
    mobileNo = hook.body.mobileNo;
  } else {
    const apiBase = tenant.apiBase ?? (tenant.endpoint ? normaliseApiBase(tenant.endpoint) : undefined);
    const data = await gatherSmsData(hook, {
      needed: variablesOf(template!),
      fineract: apiBase
        ? { client: deps.fineract, apiBase, auth: { tenantId: event.tenantId, mifosToken: secret.mifosToken } }
        : undefined,
    });
    body = renderTemplate(template!, data.view);
    mobileNo = data.mobileNo;
    callbacks = data.callbacks;
  }

  const recipient = toE164(mobileNo, tenant.defaultCountry);
  if (!recipient.ok) {
    return recipient.reason === 'missing'
      ? { status: 'no-recipient', note: 'the client has no mobile number' }
      : { status: 'invalid-recipient', note: `not a phone number: ${maskPhone(String(mobileNo))}` };
  }
  if (body === '') return { status: 'ignored', note: 'the rendered message is empty' };

  let record: MessageRecord;
  try {
    record = await sendOnce(
      event,
      key,
      tenant,
      { accountSid: tenant.accountSid ?? '', authToken: secret.smsProviderToken },
      recipient.e164,
      body,
      deps,
    );
  } catch (error) {
    if (error instanceof DownstreamError && error.credentialsInvalid) {
      // Conditional on the registration these credentials came from: a newer registration is not marked.
      await deps.tenants.markCredentialsInvalid(event.tenantId, deps.clock.now().toISOString(), tenant.registrationId);
      deps.logger.error('Twilio rejected the tenant credentials; sends paused until it registers again', {
        tenantId: event.tenantId,
        eventId: event.eventId,
      });
    }
    throw error;
  }
  return {
    status: 'sent',
    outcome: {
      messageId: record.messageId,
      sid: record.sid,
      segments: record.segments,
      encoding: record.encoding,
      callbacks,
    },
  };
}

/**
 * At most one SMS per (event, template): the record goes pending → sending before Twilio is called and
 * sending → sent with the SID after. A record found in `sending` whose lease ran out means a worker died or
 * timed out around the Twilio call: Twilio is asked whether it has that message before anything is re-sent.
 */
async function sendOnce(
  event: StoredEvent,
  key: string,
  tenant: TenantConfig,
  credentials: TwilioCredentials,
  to: string,
  body: string,
  deps: WorkerDeps,
): Promise<MessageRecord> {
  const { messages, clock } = deps;
  const now = clock.now();
  const messageId = `${event.eventId}.${key}`;
  const segments = countSegments(body);
  let record = await messages.createIfAbsent({
    tenantId: event.tenantId,
    messageId,
    eventId: event.eventId,
    templateKey: key,
    status: 'pending',
    to,
    from: tenant.messagingServiceSid ? undefined : tenant.phoneNo,
    messagingServiceSid: tenant.messagingServiceSid,
    body,
    encoding: segments.encoding,
    segments: segments.segments,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  });
  if (record.status === 'sent' || record.status === 'delivered' || record.status === 'undelivered') return record;
  if (record.status === 'failed') {
    throw new DownstreamError('twilio', record.errorMessage ?? 'the message failed earlier', {
      retryable: false,
      code: record.errorCode,
    });
  }

  const leaseUntil = new Date(now.getTime() + leaseSeconds(deps) * 1000).toISOString();
  if (record.status === 'sending') {
    if (record.leaseUntil && Date.parse(record.leaseUntil) > now.getTime()) {
      throw new DownstreamError('twilio', 'another worker is sending this message', {
        retryable: true,
        code: SEND_IN_PROGRESS,
        retryAfterSeconds: Math.ceil((Date.parse(record.leaseUntil) - now.getTime()) / 1000),
      });
    }
    let found: Awaited<ReturnType<SmsSender['findSent']>>;
    try {
      found = await deps.sms.findSent(credentials, {
        to: record.to,
        from: record.from,
        body: record.body,
        since: new Date(Date.parse(record.attemptStartedAt ?? record.createdAt) - 60_000),
      });
    } catch (error) {
      // Without the lookup we cannot know whether Twilio has it: wait and ask again rather than risk a second SMS.
      const text = error instanceof Error ? error.message : String(error);
      throw new DownstreamError('twilio', `could not check Twilio for an interrupted send: ${text}`, {
        retryable: true,
      });
    }
    if (found) {
      deps.logger.info('message found at Twilio after an interrupted send; not sending again', {
        messageId,
        sid: found.sid,
      });
      return messages.transition(event.tenantId, messageId, ['sending'], {
        status: 'sent',
        sid: found.sid,
        providerStatus: found.status,
        updatedAt: now.toISOString(),
      });
    }
    record = await claim(event, messageId, ['sending'], record.leaseUntil, leaseUntil, deps);
  } else {
    record = await claim(event, messageId, ['pending'], undefined, leaseUntil, deps);
  }

  const statusCallback = deps.settings.publicBaseUrl
    ? statusCallbackUrl(deps.settings.publicBaseUrl, event.tenantId, messageId)
    : undefined;
  try {
    const sent = await deps.sms.send(credentials, {
      to: record.to,
      from: record.from,
      messagingServiceSid: record.messagingServiceSid,
      body: record.body,
      statusCallback,
    });
    deps.metrics.count('SmsSent', 1);
    try {
      return await messages.transition(event.tenantId, messageId, ['sending'], {
        status: 'sent',
        sid: sent.sid,
        providerStatus: sent.status,
        segments: sent.numSegments ?? record.segments,
        updatedAt: clock.now().toISOString(),
      });
    } catch (error) {
      // A delivery report can land before this write: the record is already past `sending`, and that is fine.
      const current = error instanceof ConditionFailedError ? await messages.get(event.tenantId, messageId) : undefined;
      if (current && current.status !== 'pending' && current.status !== 'sending') return current;
      throw error;
    }
  } catch (error) {
    if (error instanceof DownstreamError && !error.retryable) {
      await messages.transition(event.tenantId, messageId, ['sending'], {
        status: 'failed',
        errorCode: error.code === undefined ? undefined : String(error.code),
        errorMessage: error.message,
        updatedAt: clock.now().toISOString(),
      });
    } else if (wasNotAccepted(error)) {
      // Twilio answered with an error (or was never reached): nothing was created, the next attempt sends afresh.
      await messages
        .transition(event.tenantId, messageId, ['sending'], { status: 'pending', updatedAt: clock.now().toISOString() })
        .catch(() => undefined);
    } else {
      // A timeout or a dropped connection: Twilio may have accepted it. Release the lease but stay in `sending`,
      // so the next attempt looks the message up at Twilio before sending anything.
      await messages
        .transition(event.tenantId, messageId, ['sending'], {
          leaseUntil: clock.now().toISOString(),
          updatedAt: clock.now().toISOString(),
        })
        .catch(() => undefined);
    }
    throw error;
  }
}

/** An HTTP error answer from Twilio, or a connection that was never made, means no message was created. */
function wasNotAccepted(error: unknown): boolean {
  return error instanceof DownstreamError && (error.status !== undefined || error.code === 'ECONNREFUSED');
}

async function claim(
  event: StoredEvent,
  messageId: string,
  from: MessageRecord['status'][],
  expectedLease: string | undefined,
  leaseUntil: string,
  deps: WorkerDeps,
): Promise<MessageRecord> {
  try {
    return await deps.messages.transition(
      event.tenantId,
      messageId,
      from,
      {
        status: 'sending',
        leaseUntil,
        attemptStartedAt: deps.clock.now().toISOString(),
        updatedAt: deps.clock.now().toISOString(),
      },
      expectedLease === undefined ? undefined : { leaseUntil: expectedLease },
    );
  } catch (error) {
    if (error instanceof ConditionFailedError) {
      throw new DownstreamError('twilio', 'another worker took this message', {
        retryable: true,
        code: SEND_IN_PROGRESS,
        retryAfterSeconds: leaseSeconds(deps),
      });
    }
    throw error;
  }
}
