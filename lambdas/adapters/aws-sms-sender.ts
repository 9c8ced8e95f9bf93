/**
 * SmsSender on AWS End User Messaging SMS (`@aws-sdk/client-pinpoint-sms-voice-v2`): SendTextMessage from the
 * tenant's origination identity, under the function's IAM role (no tenant credential). Locally and in tests the
 * unmodified client talks to a loopback fake through `AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2`.
 *
 * At most once: the API has no way to list sent messages, so an attempt that may have been accepted (a timeout, a
 * dropped connection) cannot be looked up; `findSent` says so and the delivery machine fails the message rather
 * than text it twice. The client therefore makes one attempt per call: the SDK's own retry would re-send after a
 * timeout inside one invocation.
 */
import type { PinpointSMSVoiceV2ClientConfig } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import {
  DescribePhoneNumbersCommand,
  DescribePoolsCommand,
  DescribeSenderIdsCommand,
  PinpointSMSVoiceV2Client,
  SendTextMessageCommand,
} from './aws-sms-vendor';
import { DownstreamError } from '../core/errors';
import type { AwsSmsCredentials, OutboundSms, SentSms } from '../core/model';
import type { SmsSender } from '../core/ports';
import { maskPhone } from '../core/redaction';
import { parseRetryAfter } from '../core/retry-policy';

export interface AwsSmsSenderOptions {
  client?: PinpointSMSVoiceV2Client;
  /** Client settings when no client is given (timeouts); `maxAttempts` is always 1. */
  clientConfig?: PinpointSMSVoiceV2ClientConfig;
  /** Every send names it, so its event destination (SNS → the status function) reports deliveries. */
  configurationSetName?: string;
  /**
   * The identities the stack granted `sms-voice:SendTextMessage` on (`-c smsOriginationIdentities`): registration
   * refuses any other, which could never send. Unset: any identity the account has.
   */
  allowedIdentities?: readonly string[];
}

const SERVICE = 'aws-sms' as const;

/** Refusals that are about the recipient: final, `invalid-recipient`. */
const RECIPIENT_REASONS = new Set([
  'DESTINATION_PHONE_NUMBER_OPTED_OUT',
  'DESTINATION_PHONE_NUMBER_NOT_VERIFIED',
  'DESTINATION_PHONE_NUMBER_BLOCKED_BY_PROTECT_NUMBER_OVERRIDE',
  'DESTINATION_COUNTRY_BLOCKED',
  'DESTINATION_COUNTRY_BLOCKED_BY_PROTECT_CONFIGURATION',
  'COUNTRY_NOT_ENABLED',
]);

const RETRYABLE_NAMES = new Set(['ThrottlingException', 'ServiceQuotaExceededException', 'InternalServerException']);

/** Missing grants or a missing identity: a configuration problem of the tenant's registration, not of one message. */
const CREDENTIAL_NAMES = new Set(['AccessDeniedException', 'ResourceNotFoundException']);

export class AwsSmsSender implements SmsSender<AwsSmsCredentials> {
  private readonly client: PinpointSMSVoiceV2Client;

  constructor(private readonly options: AwsSmsSenderOptions = {}) {
    this.client = options.client ?? new PinpointSMSVoiceV2Client({ ...options.clientConfig, maxAttempts: 1 });
  }

  async send(_credentials: AwsSmsCredentials, message: OutboundSms): Promise<SentSms> {
    const what = `AWS SMS send to ${maskPhone(message.to)}`;
    try {
      const out = await this.client.send(
        new SendTextMessageCommand({
          DestinationPhoneNumber: message.to,
          OriginationIdentity: message.from,
          MessageBody: message.body,
          MessageType: 'TRANSACTIONAL',
          ...(this.options.configurationSetName ? { ConfigurationSetName: this.options.configurationSetName } : {}),
          ...(message.context ? { Context: message.context } : {}),
        }),
      );
      if (!out.MessageId) {
        // Accepted without an id: it may go out, and nothing could find it again.
        throw new DownstreamError(SERVICE, `${what} was answered without a MessageId.`, { retryable: true });
      }
      return { sid: out.MessageId, status: 'accepted' };
    } catch (error) {
      throw classifyAwsSmsError(error, what);
    }
  }

  /** SendTextMessage has no list of sent messages to look an interrupted attempt up in. */
  async findSent(): Promise<SentSms | undefined> {
    throw new DownstreamError(
      SERVICE,
      'AWS End User Messaging SMS has no way to look up an interrupted send; it may have gone out, so it is not sent again.',
      { retryable: false, code: 'lookup_unavailable' },
    );
  }

  /**
   * The origination identity exists in this account and region, and is one the stack granted when identities are
   * listed. With a list, only the listed identities are described (by id or ARN): the role's describe grants name
   * exactly those, and the hook's Phone Number (a number, an id, an ARN, a sender ID) is matched against what they
   * are called.
   */
  async verifyAccount(_credentials: AwsSmsCredentials, options: { from?: string } = {}): Promise<void> {
    const identity = options.from ?? '';
    const what = 'AWS SMS origination identity check';
    const allowed = this.options.allowedIdentities ?? [];
    const candidates = allowed.length > 0 ? allowed : [identity];
    for (const candidate of candidates) {
      let names: string[] | undefined;
      try {
        names = await this.describe(candidate, allowed.length > 0 ? undefined : identity);
      } catch (error) {
        const e = error as { name?: string };
        if (e.name === 'ResourceNotFoundException' || e.name === 'ValidationException') continue;
        const classified = classifyAwsSmsError(error, what);
        // No grant to describe it: not an identity this receiver may use.
        if (classified.credentialsInvalid) continue;
        throw classified;
      }
      if (names?.includes(identity)) return;
    }
    throw new DownstreamError(SERVICE, `${what}: not found among the identities this receiver may send from.`, {
      retryable: false,
      code: 'identity_not_found',
    });
  }

  /**
   * Every name of one identity given by id or ARN (a phone number's E.164 form, ids, ARNs, a sender ID), or, for a
   * number or sender ID given as such (`match`), of the account's identity that matches it.
   */
  private async describe(candidate: string, match?: string): Promise<string[] | undefined> {
    const arn = /^arn:[^:]+:sms-voice:[^:]*:\d{12}:(phone-number|pool|sender-id)\/(.+)$/.exec(candidate);
    const kind =
      arn?.[1] ??
      (candidate.startsWith('pool-') ? 'pool' : candidate.startsWith('phone-') ? 'phone-number' : undefined);
    const names = (...values: (string | undefined)[]) => values.filter((v): v is string => !!v);
    if (kind === 'pool') {
      const pool = (await this.client.send(new DescribePoolsCommand({ PoolIds: [candidate] }))).Pools?.[0];
      return pool && names(pool.PoolId, pool.PoolArn);
    }
    if (kind === 'phone-number') {
      const out = await this.client.send(new DescribePhoneNumbersCommand({ PhoneNumberIds: [candidate] }));
      const p = out.PhoneNumbers?.[0];
      return p && names(p.PhoneNumber, p.PhoneNumberId, p.PhoneNumberArn);
    }
    if (kind === 'sender-id') {
      const [senderId, isoCountryCode] = (arn?.[2] ?? '').split('/');
      const out = await this.client.send(
        new DescribeSenderIdsCommand({ SenderIds: [{ SenderId: senderId, IsoCountryCode: isoCountryCode }] }),
      );
      const found = out.SenderIds?.[0];
      return found && names(found.SenderId, found.SenderIdArn);
    }
    // A number or a bare sender ID, with no list to go by: look through the account's identities.
    const wanted = match ?? candidate;
    if (wanted.startsWith('+')) {
      let nextToken: string | undefined;
      do {
        const out = await this.client.send(new DescribePhoneNumbersCommand({ NextToken: nextToken }));
        const p = (out.PhoneNumbers ?? []).find((n) => n.PhoneNumber === wanted);
        if (p) return names(p.PhoneNumber, p.PhoneNumberId, p.PhoneNumberArn);
        nextToken = out.NextToken;
      } while (nextToken);
      return undefined;
    }
    let nextToken: string | undefined;
    do {
      const out = await this.client.send(new DescribeSenderIdsCommand({ NextToken: nextToken }));
      const found = (out.SenderIds ?? []).find((s) => s.SenderId === wanted);
      if (found) return names(found.SenderId, found.SenderIdArn);
      nextToken = out.NextToken;
    } while (nextToken);
    return undefined;
  }
}

interface SdkError {
  name?: string;
  message?: string;
  Reason?: string;
  Fields?: { Name?: string; Message?: string }[];
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string> };
  code?: string;
  cause?: unknown;
}

/**
 * Maps what the SDK threw to the shared classification. An answered error (any HTTP status) proves nothing was
 * sent; no answer (timeout, reset) may have been accepted. Messages carry no number beyond its mask and no text.
 */
export function classifyAwsSmsError(error: unknown, what: string): DownstreamError {
  if (error instanceof DownstreamError) return error;
  const e = (error && typeof error === 'object' ? error : {}) as SdkError;
  const name = e.name ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  const detail = `${name}${e.Reason ? ` (${e.Reason})` : ''}`;
  const answered = status !== undefined ? { status, code: e.Reason ?? name } : { code: e.Reason ?? name };
  if (RETRYABLE_NAMES.has(name)) {
    const retryAfterSeconds = parseRetryAfter(e.$response?.headers?.['retry-after']);
    return new DownstreamError(SERVICE, `${what} was refused for now: ${detail}.`, {
      retryable: true,
      ...answered,
      ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
    });
  }
  if (CREDENTIAL_NAMES.has(name)) {
    return new DownstreamError(
      SERVICE,
      `${what} failed: ${detail}; the receiver may not send from this identity. Sends pause until the tenant registers again.`,
      { retryable: false, credentialsInvalid: true, ...answered },
    );
  }
  if (name === 'ValidationException' || name === 'ConflictException') {
    const aboutRecipient =
      (e.Reason !== undefined && RECIPIENT_REASONS.has(e.Reason)) ||
      (e.Fields ?? []).some((f) => f.Name === 'DestinationPhoneNumber');
    return new DownstreamError(SERVICE, `${what} was rejected: ${detail}.`, {
      retryable: false,
      recipientRejected: aboutRecipient,
      ...answered,
    });
  }
  if (status !== undefined && status >= 500) {
    return new DownstreamError(SERVICE, `${what} failed with a server error: ${detail}.`, {
      retryable: true,
      ...answered,
    });
  }
  if (status !== undefined && status >= 400) {
    return new DownstreamError(SERVICE, `${what} was rejected: ${detail}.`, { retryable: false, ...answered });
  }
  // No answer: a refused connection never reached AWS; anything else may have.
  const code = networkCode(error);
  return new DownstreamError(
    SERVICE,
    `${what} got no answer (${code ?? name}); it may have been accepted, so it is not sent again without a lookup.`,
    { retryable: true, code: code ?? name },
  );
}

function networkCode(error: unknown): string | undefined {
  const e = error as SdkError | undefined;
  if (!e || typeof e !== 'object') return undefined;
  if (typeof e.code === 'string') return e.code;
  return e.cause && e.cause !== error ? networkCode(e.cause) : undefined;
}
