import { ConditionFailedError, ForbiddenError, NotFoundError } from './errors';
import { header, type HttpRequest, type HttpResponse, jsonResponse } from './http';
import { assertMessageId, assertTenantId } from './identifiers';
import type { Clock, Logger, MessageStore, Metrics, SecretStore, SignatureVerifier } from './ports';
import type { MessageStatus } from './model';

export interface StatusCallbackDeps {
  messages: MessageStore;
  secrets: SecretStore;
  signatures: SignatureVerifier;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  settings: { publicBaseUrl?: string };
}

/** Twilio MessageStatus → our record. queued/sending/sent all mean "with the carrier". */
const STATUS_MAP: Record<string, MessageStatus> = {
  accepted: 'sent',
  queued: 'sent',
  sending: 'sent',
  sent: 'sent',
  delivered: 'delivered',
  undelivered: 'undelivered',
  failed: 'failed',
};

/** Delivery reports may arrive out of order: never move back from a final carrier status. */
export const ALLOWED_FROM: Record<MessageStatus, MessageStatus[]> = {
  pending: [],
  sending: [],
  sent: ['sending', 'sent'],
  delivered: ['sending', 'sent', 'undelivered', 'delivered'],
  undelivered: ['sending', 'sent', 'undelivered'],
  failed: ['sending', 'sent', 'failed'],
};

/** Base64 of an HMAC: SHA-1 (28 characters, what Twilio sends) or SHA-256 (44). */
const SIGNATURE_SHAPE = /^(?:[A-Za-z0-9+/]{27}|[A-Za-z0-9+/]{43})=$/;

export function statusCallbackUrl(publicBaseUrl: string, tenantId: string, messageId: string): string {
  return `${publicBaseUrl}/twilio/status/${encodeURIComponent(tenantId)}/${encodeURIComponent(messageId)}`;
}

/**
 * Twilio delivery reports. The signature is checked against the URL we gave Twilio (built from the configured
 * public URL, never from request headers an attacker controls) with the tenant's auth token.
 */
export async function handleTwilioStatus(request: HttpRequest, deps: StatusCallbackDeps): Promise<HttpResponse> {
  // Both ids come from the URL and key every lookup below: refuse shapes we never issue before any store sees them.
  const tenantId = assertTenantId(request.params.tenantId ?? '', 'the path');
  const messageId = assertMessageId(request.params.messageId ?? '');
  const signature = header(request, 'x-twilio-signature');
  if (!signature) throw new ForbiddenError('Missing X-Twilio-Signature.', 'bad_signature');
  if (!SIGNATURE_SHAPE.test(signature)) throw new ForbiddenError('Malformed X-Twilio-Signature.', 'bad_signature');
  if (!deps.settings.publicBaseUrl)
    throw new ForbiddenError('Status callbacks are not configured (PUBLIC_BASE_URL).', 'bad_signature');
  const params = Object.fromEntries(new URLSearchParams(new TextDecoder().decode(request.body)));
  // A warm container holds the tenant's secret: the signature is checked with it at no AWS cost, so a forged report
  // is refused without a read and a genuine one costs only the conditional update below. Without it, the cheap check
  // comes first: a GetItem costs a fraction of a GetSecretValue, and forged reports about messages we never sent
  // (ids are 22 random-looking characters plus a template key), or about tenants that do not exist, stop there.
  // Saying "unknown" tells a forger no more than the guess it made.
  const cached = deps.secrets.peekTenantSecret?.(tenantId);
  if (!cached && !(await deps.messages.get(tenantId, messageId))) throw new NotFoundError('Unknown message.');
  const url = statusCallbackUrl(deps.settings.publicBaseUrl, tenantId, messageId);
  const verifies = (secret: { smsProviderToken: string } | undefined) =>
    !!secret && deps.signatures.verifyTwilio(secret.smsProviderToken, signature, url, params);
  let verified = verifies(cached ?? (await deps.secrets.getTenantSecret(tenantId)));
  // The held token may be older than a re-registration's (cached for TENANT_CACHE_SECONDS): a report about a
  // message that exists is checked once more against the stored secret before it is refused, so a token change
  // loses no report and a forger guessing message ids still costs no Secrets Manager call.
  if (!verified && cached && (await deps.messages.get(tenantId, messageId))) {
    verified = verifies(await deps.secrets.getTenantSecret(tenantId, { fresh: true }));
  }
  if (!verified) {
    deps.logger.warn('status callback with a bad signature refused', { tenantId });
    throw new ForbiddenError('X-Twilio-Signature does not match.', 'bad_signature');
  }
  const status = STATUS_MAP[String(params.MessageStatus ?? params.SmsStatus ?? '').toLowerCase()];
  if (!status) return jsonResponse(200, { status: 'ignored' });
  // One conditional update, no read before it: it holds only for a record of this tenant that we created (the key
  // holds the tenant) and a status moving forward; the sid the send recorded stays.
  try {
    await deps.messages.transition(
      tenantId,
      messageId,
      ALLOWED_FROM[status],
      {
        status,
        sid: params.MessageSid,
        providerStatus: params.MessageStatus ?? params.SmsStatus,
        errorCode: params.ErrorCode || undefined,
        updatedAt: deps.clock.now().toISOString(),
      },
      {},
      { keepStored: ['sid'] },
    );
  } catch (error) {
    if (!(error instanceof ConditionFailedError)) throw error;
    // Refused: a report arriving out of order (nothing to do), or a message that does not exist. Only this path
    // reads, to tell which.
    if (!(await deps.messages.get(tenantId, messageId))) throw new NotFoundError('Unknown message.');
  }
  countCarrierOutcome(deps.metrics, status);
  return jsonResponse(200, { status: 'ok' });
}

/**
 * `SmsStatus_delivered|undelivered|failed`: what the carrier finally did. A report that only says "sent" is not
 * counted: the worker's `SmsSent` already counts that, and its metric line would be half the status function's log
 * bytes (bench/cost.ts prices every line).
 */
export function countCarrierOutcome(metrics: Pick<Metrics, 'count'>, status: MessageStatus): void {
  if (status === 'delivered' || status === 'undelivered' || status === 'failed')
    metrics.count(`SmsStatus_${status}`, 1);
}
