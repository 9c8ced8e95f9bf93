/**
 * Delivery reports of the providers other than Twilio (status-callback.ts), landing on the same message record:
 * - Africa's Talking POSTs a form (`id`, `status`, `phoneNumber`, `networkCode`, `failureReason`, `retryCount`) to
 *   the callback URL set in the tenant's Africa's Talking account: `{public URL}/africastalking/status/{tenant}`.
 *   The provider does not sign it, so only ids we sent, for the tenant in the URL, to the number we sent to, are
 *   taken, and only a forward-moving status change is written.
 * - AWS End User Messaging SMS publishes events of the stack's configuration set to SNS, which invokes the status
 *   function. SNS is AWS's own delivery (the topic accepts only the SMS service), and each send's `Context` names
 *   the tenant and message, so no lookup is needed; the event's MessageId must still be the one we recorded.
 */
import { ConditionFailedError, NotFoundError } from './errors';
import { type HttpRequest, type HttpResponse, jsonResponse } from './http';
import { assertTenantId } from './identifiers';
import type { MessageRecord, MessageStatus } from './model';
import type { Clock, Logger, MessageStore, Metrics } from './ports';
import { ALLOWED_FROM, countCarrierOutcome } from './status-callback';

export interface ProviderStatusDeps {
  messages: MessageStore;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
}

/** Africa's Talking delivery statuses (case as they send it) → our record. */
const AFRICASTALKING_STATUS: Record<string, MessageStatus> = {
  Sent: 'sent',
  Submitted: 'sent',
  Buffered: 'sent',
  Success: 'delivered',
  Failed: 'failed',
  Rejected: 'failed',
  AbsentSubscriber: 'undelivered',
  Expired: 'undelivered',
};

export function africasTalkingStatusUrl(publicBaseUrl: string, tenantId: string): string {
  return `${publicBaseUrl}/africastalking/status/${encodeURIComponent(tenantId)}`;
}

export async function handleAfricasTalkingStatus(
  request: HttpRequest,
  deps: ProviderStatusDeps,
): Promise<HttpResponse> {
  const tenantId = assertTenantId(request.params.tenantId ?? '', 'the path');
  const params = parseReport(request);
  const providerId = String(params.id ?? '').slice(0, 256);
  if (!providerId) throw new NotFoundError('Unknown message.');
  const messageId = await deps.messages.findByProviderId(tenantId, providerId);
  const record = messageId ? await deps.messages.get(tenantId, messageId) : undefined;
  // The report must name a message we sent with Africa's Talking, for this tenant, to this number.
  const number = String(params.phoneNumber ?? '').replace(/[^\d+]/g, '');
  if (
    !record ||
    record.sid !== providerId ||
    record.provider !== 'africastalking' ||
    (number !== '' && digits(number) !== digits(record.to))
  ) {
    deps.logger.warn('delivery report for a message we did not send refused', { tenantId, provider: 'africastalking' });
    throw new NotFoundError('Unknown message.');
  }
  const status = AFRICASTALKING_STATUS[String(params.status ?? '')];
  if (!status) return jsonResponse(200, { status: 'ignored' });
  await moveForward(record, status, String(params.status), optional(params.failureReason), deps);
  return jsonResponse(200, { status: 'ok' });
}

/** AWS SMS event types → our record; intermediate and unknown ones change nothing. */
const AWS_EVENT_STATUS: Record<string, MessageStatus> = {
  TEXT_SUCCESSFUL: 'sent',
  TEXT_DELIVERED: 'delivered',
  TEXT_INVALID: 'failed',
  TEXT_INVALID_MESSAGE: 'failed',
  TEXT_BLOCKED: 'failed',
  TEXT_SPAM: 'failed',
  TEXT_PROTECT_BLOCKED: 'failed',
  TEXT_UNREACHABLE: 'undelivered',
  TEXT_CARRIER_UNREACHABLE: 'undelivered',
  TEXT_CARRIER_BLOCKED: 'undelivered',
  TEXT_TTL_EXPIRED: 'undelivered',
};

interface AwsSmsEvent {
  eventType?: string;
  messageId?: string;
  messageStatus?: string;
  context?: Record<string, string>;
}

/** One SNS notification's `Message`: an AWS SMS event as JSON. Resolves with what became of it. */
export async function handleAwsSmsEvent(message: string, deps: ProviderStatusDeps): Promise<'ok' | 'ignored'> {
  let event: AwsSmsEvent;
  try {
    event = JSON.parse(message) as AwsSmsEvent;
  } catch {
    deps.logger.warn('AWS SMS event that is not JSON ignored');
    return 'ignored';
  }
  const tenantId = event.context?.tenantId;
  const messageId = event.context?.messageId;
  const status = AWS_EVENT_STATUS[String(event.eventType ?? '')];
  if (!tenantId || !messageId || !status) return 'ignored';
  const record = await deps.messages.get(tenantId, messageId);
  if (record?.provider !== 'aws' || record.sid !== event.messageId) {
    deps.logger.warn('AWS SMS event for a message we did not record ignored', { tenantId, provider: 'aws' });
    return 'ignored';
  }
  await moveForward(record, status, event.messageStatus ?? String(event.eventType), undefined, deps);
  return 'ok';
}

/** Only forward: a late `sent` never overwrites `delivered` (ALLOWED_FROM, shared with Twilio's reports). */
async function moveForward(
  record: MessageRecord,
  status: MessageStatus,
  providerStatus: string,
  errorCode: string | undefined,
  deps: ProviderStatusDeps,
): Promise<void> {
  try {
    await deps.messages.transition(record.tenantId, record.messageId, ALLOWED_FROM[status], {
      status,
      providerStatus,
      errorCode,
      updatedAt: deps.clock.now().toISOString(),
    });
  } catch (error) {
    if (!(error instanceof ConditionFailedError)) throw error;
  }
  countCarrierOutcome(deps.metrics, status);
}

function parseReport(request: HttpRequest): Record<string, unknown> {
  const text = new TextDecoder().decode(request.body);
  const type = String(request.headers['content-type'] ?? '');
  if (type.includes('json')) {
    try {
      const parsed = JSON.parse(text) as unknown;
      return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  }
  return Object.fromEntries(new URLSearchParams(text));
}

function digits(value: string): string {
  return value.replace(/\D/g, '');
}

function optional(value: unknown): string | undefined {
  return typeof value === 'string' && value ? value.slice(0, 100) : undefined;
}
