/**
 * The SMS channel of the delivery machine (delivery.ts): sends a message record over the SmsSender port with the
 * tenant's Twilio credentials, and looks an interrupted send up at Twilio.
 */
import type { DeliveryChannel } from './delivery';
import { DownstreamError } from './errors';
import type { MessageRecord, TwilioCredentials } from './model';
import type { Metrics, SmsSender } from './ports';
import { statusCallbackUrl } from './status-callback';

export interface SmsChannelOptions {
  sms: SmsSender;
  credentials: TwilioCredentials;
  metrics: Metrics;
  /** Where Twilio posts delivery reports; none without a public URL (local runs). */
  publicBaseUrl?: string;
}

export function smsChannel(options: SmsChannelOptions): DeliveryChannel<MessageRecord> {
  const { sms, credentials, metrics, publicBaseUrl } = options;
  return {
    service: 'twilio',
    label: 'Twilio',
    async send(record) {
      const sent = await sms.send(credentials, {
        to: record.to,
        from: record.from,
        messagingServiceSid: record.messagingServiceSid,
        body: record.body,
        statusCallback: publicBaseUrl ? statusCallbackUrl(publicBaseUrl, record.tenantId, record.messageId) : undefined,
      });
      metrics.count('SmsSent', 1, { tenantId: record.tenantId });
      return { sid: sent.sid, providerStatus: sent.status, segments: sent.numSegments ?? record.segments };
    },
    async findSent(record, since) {
      const found = await sms.findSent(credentials, { to: record.to, from: record.from, body: record.body, since });
      return found && { sid: found.sid, providerStatus: found.status };
    },
    wasNotAccepted,
  };
}

/** An HTTP error answer from Twilio, or a connection that was never made, means no message was created. */
function wasNotAccepted(error: unknown): boolean {
  return error instanceof DownstreamError && (error.status !== undefined || error.code === 'ECONNREFUSED');
}
