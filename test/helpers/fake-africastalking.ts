/**
 * A fake Africa's Talking SMS API on 127.0.0.1, answering as their documentation describes:
 * - `POST /version1/messaging` (header `apiKey`, form `username`, `to`, `message`, `from`) → 201
 *   `{"SMSMessageData":{"Message":"Sent to 1/1 Total Cost: KES 0.8000","Recipients":[{"statusCode":101,"number",
 *   "status":"Success","cost","messageId"}]}}`; a recipient it refuses gets its status code (403 InvalidPhoneNumber…);
 * - `GET /version1/user?username=` → 200 `{"UserData":{"balance":"KES 100.0000"}}`;
 * - a wrong username / API key → 401 with a text body ("The supplied authentication is invalid").
 *
 *   const fake = new FakeAfricasTalking(); const { baseUrl } = await fake.start();  // AFRICASTALKING_API_BASE_URL
 *   fake.addAccount('sandbox', 'atsk_…');
 *   fake.failNext(1, { status: 429, retryAfter: 1 });         // an HTTP answer, nothing sent
 *   fake.refuseNumber('+254700000001', 403, 'InvalidPhoneNumber');
 *   fake.messages; fake.requests; await fake.stop();
 */
import { randomBytes } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeAtMessage {
  messageId: string;
  username: string;
  to: string;
  from: string | null;
  message: string;
  at: Date;
}

export interface FakeAtRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  form: Record<string, string>;
}

export interface AtFault {
  status: number;
  body?: string;
  retryAfter?: number;
}

export class FakeAfricasTalking {
  readonly messages: FakeAtMessage[] = [];
  readonly requests: FakeAtRequest[] = [];
  private readonly accounts = new Map<string, string>();
  private readonly refused = new Map<string, { code: number; status: string }>();
  private readonly faults: AtFault[] = [];
  private server?: http.Server;

  addAccount(username: string, apiKey: string): void {
    this.accounts.set(username, apiKey);
  }

  failNext(times: number, fault: AtFault): void {
    for (let i = 0; i < times; i++) this.faults.push(fault);
  }

  refuseNumber(number: string, code: number, status: string): void {
    this.refused.set(number, { code, status });
  }

  async start(): Promise<{ baseUrl: string }> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return { baseUrl: `http://127.0.0.1:${(this.server.address() as AddressInfo).port}` };
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://fake');
    const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname, headers: req.headers, form });
    const username = req.method === 'GET' ? (url.searchParams.get('username') ?? '') : (form.username ?? '');
    const apiKey = String(req.headers.apikey ?? '');
    if (!this.accounts.has(username) || this.accounts.get(username) !== apiKey) {
      res.writeHead(401, { 'content-type': 'text/plain' }).end('The supplied authentication is invalid');
      return;
    }
    const fault = this.faults.shift();
    if (fault) {
      res
        .writeHead(fault.status, {
          'content-type': 'text/plain',
          ...(fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {}),
        })
        .end(fault.body ?? 'Too Many Requests');
      return;
    }
    if (req.method === 'GET' && url.pathname === '/version1/user') {
      json(res, 200, { UserData: { balance: 'KES 100.0000' } });
      return;
    }
    if (req.method === 'POST' && url.pathname === '/version1/messaging') {
      const to = form.to ?? '';
      const refused = this.refused.get(to);
      if (refused) {
        json(res, 201, {
          SMSMessageData: {
            Message: 'Sent to 0/1 Total Cost: 0',
            Recipients: [
              { statusCode: refused.code, number: to, status: refused.status, cost: '0', messageId: 'None' },
            ],
          },
        });
        return;
      }
      const messageId = `ATXid_${randomBytes(16).toString('hex')}`;
      this.messages.push({
        messageId,
        username,
        to,
        from: form.from ?? null,
        message: form.message ?? '',
        at: new Date(),
      });
      json(res, 201, {
        SMSMessageData: {
          Message: 'Sent to 1/1 Total Cost: KES 0.8000',
          Recipients: [{ statusCode: 101, number: to, status: 'Success', cost: 'KES 0.8000', messageId }],
        },
      });
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
