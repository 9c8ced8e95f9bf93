/**
 * A fake AWS End User Messaging SMS API (pinpoint-sms-voice-v2, AWS JSON 1.0) on 127.0.0.1, for the unmodified
 * SDK client pointed at it with `AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2` (or `endpoint`):
 * - `SendTextMessage` {DestinationPhoneNumber, OriginationIdentity, MessageBody, MessageType, ConfigurationSetName,
 *   Context} → `{MessageId}`; an origination identity the account lacks → ResourceNotFoundException;
 * - `DescribePhoneNumbers` / `DescribePools` (by id or ARN, or all) and `DescribeSenderIds` (all);
 * - errors as the JSON protocol sends them: HTTP 400 (5xx for InternalServerException), `x-amzn-errortype`, body
 *   `{"__type","message",…}` with `Reason` / `Fields` for ValidationException.
 *
 *   const fake = new FakeSmsVoice(); const { endpoint } = await fake.start();
 *   fake.addPhoneNumber('+15005550006');           // → its PhoneNumberId / PhoneNumberArn
 *   fake.failNext(1, 'ThrottlingException');
 *   fake.refuseNumber('+15005550001');             // ValidationException on DestinationPhoneNumber
 *   fake.messages; await fake.stop();
 */
import { randomBytes, randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const FAKE_ACCOUNT = '123456789012';
export const FAKE_REGION = 'us-east-1';

export interface FakeSmsVoiceMessage {
  messageId: string;
  to: string;
  originationIdentity: string;
  body: string;
  configurationSetName?: string;
  context?: Record<string, string>;
  at: Date;
}

interface PhoneNumber {
  PhoneNumber: string;
  PhoneNumberId: string;
  PhoneNumberArn: string;
}

export class FakeSmsVoice {
  readonly messages: FakeSmsVoiceMessage[] = [];
  readonly operations: string[] = [];
  readonly phoneNumbers: PhoneNumber[] = [];
  readonly pools: { PoolId: string; PoolArn: string }[] = [];
  readonly senderIds: { SenderId: string; SenderIdArn: string; IsoCountryCode: string }[] = [];
  private readonly refused = new Set<string>();
  private readonly faults: string[] = [];
  private server?: http.Server;

  addPhoneNumber(number: string): PhoneNumber {
    const id = `phone-${randomBytes(16).toString('hex')}`;
    const entry = {
      PhoneNumber: number,
      PhoneNumberId: id,
      PhoneNumberArn: `arn:aws:sms-voice:${FAKE_REGION}:${FAKE_ACCOUNT}:phone-number/${id}`,
    };
    this.phoneNumbers.push(entry);
    return entry;
  }

  addPool(): { PoolId: string; PoolArn: string } {
    const id = `pool-${randomBytes(16).toString('hex')}`;
    const entry = { PoolId: id, PoolArn: `arn:aws:sms-voice:${FAKE_REGION}:${FAKE_ACCOUNT}:pool/${id}` };
    this.pools.push(entry);
    return entry;
  }

  addSenderId(senderId: string, isoCountryCode = 'KE'): void {
    this.senderIds.push({
      SenderId: senderId,
      IsoCountryCode: isoCountryCode,
      SenderIdArn: `arn:aws:sms-voice:${FAKE_REGION}:${FAKE_ACCOUNT}:sender-id/${senderId}/${isoCountryCode}`,
    });
  }

  /** The next `times` SendTextMessage calls answer this error (ThrottlingException, InternalServerException…). */
  failNext(times: number, errorName: string): void {
    for (let i = 0; i < times; i++) this.faults.push(errorName);
  }

  refuseNumber(number: string): void {
    this.refused.add(number);
  }

  async start(): Promise<{ endpoint: string }> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return { endpoint: `http://127.0.0.1:${(this.server.address() as AddressInfo).port}` };
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<ServerResponse> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const operation = String(req.headers['x-amz-target'] ?? '').replace(/^PinpointSMSVoiceV2\./, '');
    this.operations.push(operation);
    const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256')) {
      return error(res, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
    }
    switch (operation) {
      case 'SendTextMessage':
        return this.sendText(input, res);
      case 'DescribePhoneNumbers': {
        const ids = (input.PhoneNumberIds as string[] | undefined) ?? [];
        const found = ids.length
          ? this.phoneNumbers.filter((p) => ids.includes(p.PhoneNumberId) || ids.includes(p.PhoneNumberArn))
          : this.phoneNumbers;
        if (ids.length && found.length < ids.length) return error(res, 'ResourceNotFoundException', 'not found');
        return ok(res, { PhoneNumbers: found });
      }
      case 'DescribePools': {
        const ids = (input.PoolIds as string[] | undefined) ?? [];
        const found = ids.length
          ? this.pools.filter((p) => ids.includes(p.PoolId) || ids.includes(p.PoolArn))
          : this.pools;
        if (ids.length && found.length < ids.length) return error(res, 'ResourceNotFoundException', 'not found');
        return ok(res, { Pools: found });
      }
      case 'DescribeSenderIds': {
        const wanted = (input.SenderIds as { SenderId: string; IsoCountryCode: string }[] | undefined) ?? [];
        const found = wanted.length
          ? this.senderIds.filter((s) =>
              wanted.some((w) => w.SenderId === s.SenderId && w.IsoCountryCode === s.IsoCountryCode),
            )
          : this.senderIds;
        if (wanted.length && found.length < wanted.length) return error(res, 'ResourceNotFoundException', 'not found');
        return ok(res, { SenderIds: found });
      }
      default:
        return error(res, 'UnknownOperationException', `unknown operation ${operation}`);
    }
  }

  private sendText(input: Record<string, unknown>, res: ServerResponse): ServerResponse {
    const fault = this.faults.shift();
    if (fault) return error(res, fault, `${fault} (fake)`);
    const to = String(input.DestinationPhoneNumber ?? '');
    const identity = String(input.OriginationIdentity ?? '');
    const known =
      this.phoneNumbers.some((p) => [p.PhoneNumber, p.PhoneNumberId, p.PhoneNumberArn].includes(identity)) ||
      this.pools.some((p) => [p.PoolId, p.PoolArn].includes(identity)) ||
      this.senderIds.some((s) => [s.SenderId, s.SenderIdArn].includes(identity));
    if (!known) return error(res, 'ResourceNotFoundException', 'origination identity not found');
    if (this.refused.has(to) || !/^\+\d{6,15}$/.test(to)) {
      return error(res, 'ValidationException', 'invalid destination', {
        Reason: 'INVALID_PARAMETER',
        Fields: [{ Name: 'DestinationPhoneNumber', Message: 'not a valid phone number' }],
      });
    }
    const messageId = randomUUID();
    this.messages.push({
      messageId,
      to,
      originationIdentity: identity,
      body: String(input.MessageBody ?? ''),
      configurationSetName: input.ConfigurationSetName as string | undefined,
      context: input.Context as Record<string, string> | undefined,
      at: new Date(),
    });
    return ok(res, { MessageId: messageId });
  }
}

function ok(res: ServerResponse, body: unknown): ServerResponse {
  return res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify(body));
}

function error(
  res: ServerResponse,
  name: string,
  message: string,
  extra: Record<string, unknown> = {},
): ServerResponse {
  const status = name === 'InternalServerException' ? 500 : 400;
  return res
    .writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': name })
    .end(JSON.stringify({ __type: name, message, ...extra }));
}
