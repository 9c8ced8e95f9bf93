import { FineractHttpClient } from '../adapters/fineract-http-client';
import { DnsUrlPolicy } from '../adapters/dns-url-policy';
import { HttpForwarder } from '../adapters/http-forwarder';
import { DryRunSmsSender } from '../adapters/dry-run-sms-sender';
import { lazyEventBus, lazySmsSender } from '../adapters/lazy-ports';
import type { AfricasTalkingCredentials, AwsSmsCredentials, TwilioCredentials } from '../core/model';
import type { EventBusPublisher, Logger, SmsSender } from '../core/ports';
import type { Settings } from '../core/settings';
import type { PinpointSMSVoiceV2ClientConfig } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import type { EventBridgeClientConfig } from '@aws-sdk/client-eventbridge';
import { routeByProvider } from '../core/sms-providers';

/*
 * The SMS providers and the event bus are imported on first use (lazy-ports.ts): a tenant sends with one provider,
 * and a function's cold start would otherwise load all three (the Twilio SDK with axios, the AWS SMS client) and
 * the EventBridge client. Nothing here may import their adapters statically, or the bundle evaluates them at init.
 */

/** The clients that call out of the receiver (Twilio, the sender's Fineract API), configured alike everywhere. */
export function createTwilioSender(
  settings: Pick<Settings, 'twilioApiBaseUrl' | 'twilioTimeoutMs'>,
): SmsSender<TwilioCredentials> {
  return lazySmsSender(async () => {
    const { TwilioSmsSender } = await import('../adapters/twilio-sms-sender');
    return new TwilioSmsSender({ apiBaseUrl: settings.twilioApiBaseUrl, timeoutMs: settings.twilioTimeoutMs });
  });
}

export function createAfricasTalkingSender(
  settings: Pick<Settings, 'africastalkingApiBaseUrl' | 'twilioTimeoutMs'>,
): SmsSender<AfricasTalkingCredentials> {
  return lazySmsSender(async () => {
    const { AfricasTalkingSmsSender } = await import('../adapters/africastalking-sms-sender');
    // One deadline for every SMS provider's call: SEND_LEASE_SECONDS is sized above it.
    return new AfricasTalkingSmsSender({
      apiBaseUrl: settings.africastalkingApiBaseUrl,
      timeoutMs: settings.twilioTimeoutMs,
    });
  });
}

/** The SDK client finds AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2 itself; `clientConfig` carries the function's budget. */
export function createAwsSmsSender(
  settings: Pick<Settings, 'smsConfigurationSetName' | 'smsOriginationIdentities'>,
  clientConfig: PinpointSMSVoiceV2ClientConfig = {},
): SmsSender<AwsSmsCredentials> {
  return lazySmsSender(async () => {
    const { AwsSmsSender } = await import('../adapters/aws-sms-sender');
    // The adapter's own client makes one attempt per call whatever the budget says.
    return new AwsSmsSender({
      clientConfig,
      configurationSetName: settings.smsConfigurationSetName,
      allowedIdentities: settings.smsOriginationIdentities,
    });
  });
}

/** EventBridge targets' PutEvents, with the function's budget. */
export function createEventBus(clientConfig: EventBridgeClientConfig): EventBusPublisher {
  return lazyEventBus(async () => {
    const { eventBridgeForwarder } = await import('../adapters/eventbridge-forwarder');
    return eventBridgeForwarder(clientConfig);
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
