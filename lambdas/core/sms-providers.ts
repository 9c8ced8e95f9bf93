/**
 * The SMS providers a tenant may pick in the hook form's SMS Provider field, and what differs between them: how
 * the hook's fields become credentials, which service name errors carry, the longest text each takes, and which
 * adapter sends (the router below). Everything else (at most once, retries, the message record) is shared.
 */
import { DownstreamError, type DownstreamService } from './errors';
import {
  type AfricasTalkingCredentials,
  type AwsSmsCredentials,
  type ProviderCredentials,
  SMS_PROVIDERS,
  type SmsProvider,
  type TenantConfig,
  type TenantSecret,
  type TwilioCredentials,
} from './model';
import type { SmsSender } from './ports';

export { SMS_PROVIDERS, type SmsProvider };

export function isSmsProvider(value: string): value is SmsProvider {
  return (SMS_PROVIDERS as readonly string[]).includes(value);
}

/** The provider a stored tenant sends with; configs from before other providers existed are Twilio's. */
export function providerOf(tenant: Pick<TenantConfig, 'smsProvider'>): SmsProvider {
  const name = (tenant.smsProvider ?? 'twilio').toLowerCase();
  return isSmsProvider(name) ? name : 'twilio';
}

export function providerOfCredentials(credentials: ProviderCredentials): SmsProvider {
  return credentials.provider ?? 'twilio';
}

interface ProviderFacts {
  /** The service DownstreamErrors of this provider name. */
  service: DownstreamService;
  /** For messages: "could not check Twilio …". */
  label: string;
  /**
   * The longest body the provider's send API takes, in characters. Twilio: 1600. AWS SendTextMessage:
   * MessageBody up to 1600. Africa's Talking documents no limit of its own; the carriers concatenate at most a few
   * parts, so we hold it to the same 1600 rather than let a longer text fail at the carrier unseen.
   */
  maxChars: number;
}

export const PROVIDER_FACTS: Record<SmsProvider, ProviderFacts> = {
  twilio: { service: 'twilio', label: 'Twilio', maxChars: 1600 },
  aws: { service: 'aws-sms', label: 'AWS End User Messaging SMS', maxChars: 1600 },
  africastalking: { service: 'africastalking', label: "Africa's Talking", maxChars: 1600 },
};

/** The credentials a tenant sends with: from its config (account) and secret (token) of the same registration. */
export function credentialsOf(tenant: TenantConfig, secret: TenantSecret | undefined): ProviderCredentials {
  const provider = providerOf(tenant);
  switch (provider) {
    case 'aws':
      return { provider: 'aws' };
    case 'africastalking':
      return { provider, username: tenant.accountSid ?? '', apiKey: secret?.smsProviderToken ?? '' };
    default:
      // Twilio credentials keep their original shape (no `provider`): they predate the other providers.
      return { accountSid: tenant.accountSid ?? '', authToken: secret?.smsProviderToken ?? '' };
  }
}

/** The adapters of one runtime; a provider without one answers every call with a final error naming it. */
export interface ProviderSenders {
  twilio: SmsSender<TwilioCredentials>;
  aws?: SmsSender<AwsSmsCredentials>;
  africastalking?: SmsSender<AfricasTalkingCredentials>;
}

/** One SmsSender over every provider: each call goes to the adapter of `credentials.provider`. */
export function routeByProvider(senders: ProviderSenders): SmsSender {
  const pick = (credentials: ProviderCredentials): SmsSender<never> => {
    const provider = providerOfCredentials(credentials);
    const sender = senders[provider];
    if (!sender) {
      throw new DownstreamError(
        PROVIDER_FACTS[provider].service,
        `${PROVIDER_FACTS[provider].label} is not set up here.`,
        {
          retryable: false,
          code: 'provider_unavailable',
        },
      );
    }
    return sender as SmsSender<never>;
  };
  return {
    send: async (credentials, message) => pick(credentials).send(credentials as never, message),
    findSent: async (credentials, query) => pick(credentials).findSent(credentials as never, query),
    verifyAccount: async (credentials, options) => pick(credentials).verifyAccount(credentials as never, options),
  };
}
