/**
 * Dry-run SmsSender for AWS (`SMS_DRY_RUN=true`, `-c smsDryRun=true`): nothing is sent and no Twilio request is
 * made. Each message is logged masked and answered with a `dry-run` status, which the message record keeps as its
 * provider status, so a dry run is visible in `events show`. Unlike the local outbox there is no file to read back:
 * `findSent` remembers only this container's sends, which is all a retry inside one container needs.
 */
import { randomBytes } from 'node:crypto';
import { DownstreamError } from '../core/errors';
import { isTwilioAccountSid } from '../core/identifiers';
import type { OutboundSms, SentSms, TwilioCredentials } from '../core/model';
import type { Logger, SmsSender } from '../core/ports';
import { maskPhone } from '../core/redaction';
import { countSegments } from '../core/segments';

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

  async send(credentials: TwilioCredentials, message: OutboundSms): Promise<SentSms> {
    const segments = countSegments(message.body).segments;
    const sent: SentSms = {
      sid: `SM${randomBytes(16).toString('hex')}`,
      status: DRY_RUN_STATUS,
      numSegments: segments,
    };
    this.sends.push({
      accountSid: credentials.accountSid,
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
    credentials: TwilioCredentials,
    query: { to: string; from?: string; body: string; since: Date },
  ): Promise<SentSms | undefined> {
    for (let i = this.sends.length - 1; i >= 0; i--) {
      const s = this.sends[i]!;
      if (s.accountSid === credentials.accountSid && s.to === query.to && s.body === query.body) {
        if (s.at >= query.since.getTime()) return s.sent;
      }
    }
    return undefined;
  }

  /** No call to Twilio: a dry run must work without a live account, so only the SID's shape is checked. */
  async verifyAccount(credentials: TwilioCredentials): Promise<void> {
    if (!isTwilioAccountSid(credentials.accountSid ?? '')) {
      throw new DownstreamError('twilio', 'The account SID must be AC followed by 32 hex digits (dry run).', {
        retryable: false,
        credentialsInvalid: true,
      });
    }
  }
}
