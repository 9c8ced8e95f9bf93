/**
 * The SMS channel of the delivery machine (delivery.ts): sends a message record over the SmsSender port with the
 * tenant's provider and credentials, and looks an interrupted send up where the provider allows it.
 */
import type { DeliveryChannel } from './delivery';
import { DownstreamError } from './errors';
import type { MessageRecord, ProviderCredentials } from './model';
import type { MessageStore, Metrics, SmsSender } from './ports';
import { PROVIDER_FACTS, providerOfCredentials } from './sms-providers';
import { statusCallbackUrl } from './status-callback';

export interface SmsChannelOptions {
  sms: SmsSender;
  credentials: ProviderCredentials;
  metrics: Metrics;
  /** Where Twilio posts delivery reports; none without a public URL (local runs). */
  publicBaseUrl?: string;
  /** For the provider-id links of providers whose reports carry only their own id. */
  messages?: Pick<MessageStore, 'linkProviderId'>;
  /**
   * The tenant's sender now. A record drafted for another provider (the tenant switched while it was pending) goes
   * out with this sender instead of the drafted one.
   */
  sender?: { from?: string; messagingServiceSid?: string };
}

export function smsChannel(options: SmsChannelOptions): DeliveryChannel<MessageRecord> {
  const { sms, credentials, metrics, publicBaseUrl } = options;
  const provider = providerOfCredentials(credentials);
  const facts = PROVIDER_FACTS[provider];
  return {
    service: facts.service,
    label: facts.label,
    async send(record) {
      const chars = [...record.body].length;
      if (chars > facts.maxChars) {
        throw new DownstreamError(
          facts.service,
          `the text has ${chars} characters; ${facts.label} takes at most ${facts.maxChars}`,
          { retryable: false, code: 'body_too_long' },
        );
      }
      const switched = (record.provider ?? 'twilio') !== provider && options.sender !== undefined;
      const sender = switched
        ? (options.sender ?? {})
        : { from: record.from, messagingServiceSid: record.messagingServiceSid };
      const sent = await sms.send(credentials, {
        to: record.to,
        from: sender.from,
        messagingServiceSid: provider === 'twilio' ? sender.messagingServiceSid : undefined,
        body: record.body,
        statusCallback:
          provider === 'twilio' && publicBaseUrl
            ? statusCallbackUrl(publicBaseUrl, record.tenantId, record.messageId)
            : undefined,
        // AWS echoes Context in its delivery events: the report finds the record without a lookup.
        ...(provider === 'aws' ? { context: { tenantId: record.tenantId, messageId: record.messageId } } : {}),
      });
      if (provider === 'africastalking')
        await options.messages?.linkProviderId(record.tenantId, sent.sid, record.messageId);
      metrics.count('SmsSent', 1, { tenantId: record.tenantId });
      return {
        sid: sent.sid,
        providerStatus: sent.status,
        segments: sent.numSegments ?? record.segments,
        // Twilio records carry no provider unless they switched: their shape stays as it was.
        ...(provider !== 'twilio' || record.provider ? { provider } : {}),
        ...(switched ? { from: sender.from, messagingServiceSid: sender.messagingServiceSid } : {}),
      };
    },
    async findSent(record, since) {
      const attempted = record.provider ?? 'twilio';
      if (attempted !== provider) {
        // The tenant switched provider while this send was unconfirmed: the old account's credentials are gone,
        // so nobody can look it up. It may have gone out; sending it with the new provider could text it twice.
        throw new DownstreamError(
          facts.service,
          `the tenant switched from ${PROVIDER_FACTS[attempted].label} to ${facts.label} while this message's send was unconfirmed; not sent again`,
          { retryable: false, code: 'lookup_unavailable' },
        );
      }
      const found = await sms.findSent(credentials, { to: record.to, from: record.from, body: record.body, since });
      return found && { sid: found.sid, providerStatus: found.status };
    },
    wasNotAccepted,
  };
}

/** An HTTP error answer from the provider, or a connection that was never made, means no message was created. */
function wasNotAccepted(error: unknown): boolean {
  return error instanceof DownstreamError && (error.status !== undefined || error.code === 'ECONNREFUSED');
}
