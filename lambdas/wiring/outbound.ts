import { FineractHttpClient } from '../adapters/fineract-http-client';
import { TwilioSmsSender } from '../adapters/twilio-sms-sender';
import { DnsUrlPolicy } from '../adapters/dns-url-policy';
import { HttpForwarder } from '../adapters/http-forwarder';
import type { Settings } from '../core/settings';

/** The clients that call out of the receiver (Twilio, the sender's Fineract API), configured alike everywhere. */
export function createTwilioSender(settings: Pick<Settings, 'twilioApiBaseUrl' | 'twilioTimeoutMs'>): TwilioSmsSender {
  return new TwilioSmsSender({ apiBaseUrl: settings.twilioApiBaseUrl, timeoutMs: settings.twilioTimeoutMs });
}

export function createFineractClient(
  settings: Pick<Settings, 'allowPrivateEndpoints' | 'fineractTimeoutMs' | 'fineractTlsInsecure'>,
): FineractHttpClient {
  return new FineractHttpClient({
    allowPrivate: settings.allowPrivateEndpoints,
    timeoutMs: settings.fineractTimeoutMs,
    rejectUnauthorized: !settings.fineractTlsInsecure,
  });
}

export function createUrlPolicy(settings: Pick<Settings, 'allowPrivateEndpoints'>): DnsUrlPolicy {
  return new DnsUrlPolicy({ allowPrivate: settings.allowPrivateEndpoints });
}

export function createHttpForwarder(
  settings: Pick<Settings, 'allowPrivateEndpoints' | 'forwardTimeoutMs'>,
): HttpForwarder {
  return new HttpForwarder({ allowPrivate: settings.allowPrivateEndpoints, timeoutMs: settings.forwardTimeoutMs });
}
