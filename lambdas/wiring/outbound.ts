import { FineractHttpClient } from '../adapters/fineract-http-client';
import { TwilioSmsSender } from '../adapters/twilio-sms-sender';
import { DnsUrlPolicy } from '../adapters/dns-url-policy';
import { HttpForwarder } from '../adapters/http-forwarder';
import { DryRunSmsSender } from '../adapters/dry-run-sms-sender';
import type { Logger, SmsSender } from '../core/ports';
import type { Settings } from '../core/settings';
import { AfricasTalkingSmsSender } from '../adapters/africastalking-sms-sender';
import { AwsSmsSender } from '../adapters/aws-sms-sender';
import { PinpointSMSVoiceV2Client, type PinpointSMSVoiceV2ClientConfig } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { routeByProvider } from '../core/sms-providers';

/** The clients that call out of the receiver (Twilio, the sender's Fineract API), configured alike everywhere. */
export function createTwilioSender(settings: Pick<Settings, 'twilioApiBaseUrl' | 'twilioTimeoutMs'>): TwilioSmsSender {
  return new TwilioSmsSender({ apiBaseUrl: settings.twilioApiBaseUrl, timeoutMs: settings.twilioTimeoutMs });
}

export function createAfricasTalkingSender(
  settings: Pick<Settings, 'africastalkingApiBaseUrl' | 'twilioTimeoutMs'>,
): AfricasTalkingSmsSender {
  // One deadline for every SMS provider's call: SEND_LEASE_SECONDS is sized above it.
  return new AfricasTalkingSmsSender({
    apiBaseUrl: settings.africastalkingApiBaseUrl,
    timeoutMs: settings.twilioTimeoutMs,
  });
}

/** The SDK client finds AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2 itself; `clientConfig` carries the function's budget. */
export function createAwsSmsSender(
  settings: Pick<Settings, 'smsConfigurationSetName' | 'smsOriginationIdentities'>,
  clientConfig: PinpointSMSVoiceV2ClientConfig = {},
): AwsSmsSender {
  return new AwsSmsSender({
    client: new PinpointSMSVoiceV2Client({ ...clientConfig, maxAttempts: 1 }),
    configurationSetName: settings.smsConfigurationSetName,
    allowedIdentities: settings.smsOriginationIdentities,
  });
}

export type SmsSettings = Pick<
  Settings,
  | 'smsDryRun'
  | 'twilioApiBaseUrl'
  | 'twilioTimeoutMs'
  | 'africastalkingApiBaseUrl'
  | 'smsConfigurationSetName'
  | 'smsOriginationIdentities'
>;

/**
 * What the worker and registration send with in AWS: the tenant's provider (Twilio, AWS End User Messaging SMS,
 * Africa's Talking), or with `SMS_DRY_RUN` a sender that only logs.
 */
export function createSmsSender(
  settings: SmsSettings,
  logger: Logger,
  awsClientConfig: PinpointSMSVoiceV2ClientConfig = {},
): SmsSender {
  if (settings.smsDryRun) return new DryRunSmsSender(logger);
  return routeByProvider({
    twilio: createTwilioSender(settings),
    aws: createAwsSmsSender(settings, awsClientConfig),
    africastalking: createAfricasTalkingSender(settings),
  });
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
