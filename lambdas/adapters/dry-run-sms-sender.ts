/**
 * Dry-run SmsSender for AWS (`SMS_DRY_RUN=true`, `-c smsDryRun=true`): nothing is sent and no Twilio request is
 * made. Each message is logged masked and answered with a `dry-run` status, which the message record keeps as its
 * provider status, so a dry run is visible in `events show`. Unlike the local outbox there is no file to read back:
 * `findSent` remembers only this container's sends, which is all a retry inside one container needs.
 */
import { randomBytes } from 'node:crypto';
import { DownstreamError } from '../core/errors';
import { isTwilioAccountSid } from '../core/identifiers';
import type { OutboundSms, ProviderCredentials, SentSms } from '../core/model';
import type { Logger, SmsSender } from '../core/ports';
import { maskPhone } from '../core/redaction';
import { countSegments } from '../core/segments';
import { PROVIDER_FACTS, providerOfCredentials } from '../core/sms-providers';

export const DRY_RUN_STATUS = 'dry-run';

/** Sends remembered for `findSent`: enough for a container's retries, bounded so a long-lived container stays small. */
const REMEMBERED_SENDS = 1000;

interface Remembered {
  accountSid: string;
  to: string;
  body: string;
  at: number;
  sent: SentSms;
}

export class DryRunSmsSender implements SmsSender {
  private readonly sends: Remembered[] = [];

  constructor(
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async send(credentials: ProviderCredentials, message: OutboundSms): Promise<SentSms> {
    const segments = countSegments(message.body).segments;
    const sent: SentSms = {
      sid: `SM${randomBytes(16).toString('hex')}`,
      status: DRY_RUN_STATUS,
      numSegments: segments,
    };
    this.sends.push({
      accountSid: accountOf(credentials),
      to: message.to,
      body: message.body,
      at: this.now().getTime(),
      sent,
    });
    if (this.sends.length > REMEMBERED_SENDS) this.sends.shift();
    // Never the text or the full number: the log line only proves that a message would have gone out.
    this.logger.info('SMS not sent (dry run)', {
      to: maskPhone(message.to),
      sid: sent.sid,
      chars: message.body.length,
      segments,
    });
    return sent;
  }

  async findSent(
    credentials: ProviderCredentials,
    query: { to: string; from?: string; body: string; since: Date },
  ): Promise<SentSms | undefined> {
    for (let i = this.sends.length - 1; i >= 0; i--) {
      const s = this.sends[i]!;
      if (s.accountSid === accountOf(credentials) && s.to === query.to && s.body === query.body) {
        if (s.at >= query.since.getTime()) return s.sent;
      }
    }
    return undefined;
  }

  /** No call to any provider: a dry run must work without a live account, so only the fields' shapes are checked. */
  async verifyAccount(credentials: ProviderCredentials, options: { from?: string } = {}): Promise<void> {
    checkDryRunAccount(credentials, options.from);
  }
}

/** Which provider account a dry-run message was "sent" for (one outbox serves several tenants and providers). */
export function accountOf(credentials: ProviderCredentials): string {
  switch (credentials.provider) {
    case 'aws':
      return 'aws';
    case 'africastalking':
      return `africastalking:${credentials.username}`;
    default:
      return credentials.accountSid;
  }
}

/** The shape checks a dry run can make without the provider: a Twilio SID, an Africa's Talking username, an identity. */
export function checkDryRunAccount(credentials: ProviderCredentials, from: string | undefined): void {
  const service = PROVIDER_FACTS[providerOfCredentials(credentials)].service;
  const fail = (message: string) => {
    throw new DownstreamError(service, `${message} (dry run).`, { retryable: false, credentialsInvalid: true });
  };
  if (credentials.provider === 'aws') {
    if (!from) fail('An AWS origination identity is required');
  } else if (credentials.provider === 'africastalking') {
    if (!credentials.username || !credentials.apiKey) fail("An Africa's Talking username and API key are required");
  } else if (!isTwilioAccountSid(credentials.accountSid ?? '')) {
    fail('The account SID must be AC followed by 32 hex digits');
  }
}
