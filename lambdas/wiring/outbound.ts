import { FineractHttpClient } from '../adapters/fineract-http-client';
import { TwilioSmsSender } from '../adapters/twilio-sms-sender';
import { DnsUrlPolicy } from '../adapters/dns-url-policy';
import { HttpForwarder } from '../adapters/http-forwarder';
import { DryRunSmsSender } from '../adapters/dry-run-sms-sender';
import type { Logger, SmsSender } from '../core/ports';
import type { Settings } from '../core/settings';

/** The clients that call out of the receiver (Twilio, the sender's Fineract API), configured alike everywhere. */
export function createTwilioSender(settings: Pick<Settings, 'twilioApiBaseUrl' | 'twilioTimeoutMs'>): TwilioSmsSender {
  return new TwilioSmsSender({ apiBaseUrl: settings.twilioApiBaseUrl, timeoutMs: settings.twilioTimeoutMs });
}

/** What the worker and registration send with in AWS: Twilio, or with `SMS_DRY_RUN` a sender that only logs. */
export function createSmsSender(
  settings: Pick<Settings, 'smsDryRun' | 'twilioApiBaseUrl' | 'twilioTimeoutMs'>,
  logger: Logger,
): SmsSender {
  return settings.smsDryRun ? new DryRunSmsSender(logger) : createTwilioSender(settings);
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
