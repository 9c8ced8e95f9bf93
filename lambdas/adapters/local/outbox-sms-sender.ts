/**
 * Dry-run SmsSender (`SMS_DRY_RUN=true`): nothing leaves the machine. Each message becomes one JSON line in
 * `{dataDir}/outbox.jsonl`; `findSent` reads them back, so the "accepted, then the worker died" path behaves as
 * with Twilio.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { SmsSender } from '../../core/ports';
import type { OutboundSms, ProviderCredentials, SentSms } from '../../core/model';
import { countSegments } from '../../core/segments';
import { accountOf, checkDryRunAccount } from '../dry-run-sms-sender';

export interface OutboxEntry {
  sid: string;
  /** Account the message was "sent" for (lets one outbox serve several tenants). */
  accountSid?: string;
  to: string;
  from: string | null;
  messagingServiceSid: string | null;
  body: string;
  statusCallback: string | null;
  at: string;
}

export interface OutboxSmsSenderOptions {
  dataDir: string;
  /** Called after each message is written (the app logs a masked line). */
  onMessage?: (entry: OutboxEntry) => void;
  now?: () => Date;
}

const FIND_SKEW_MS = 60_000;

export class OutboxSmsSender implements SmsSender {
  readonly file: string;
  private readonly dataDir: string;
  private readonly onMessage?: (entry: OutboxEntry) => void;
  private readonly now: () => Date;

  constructor(options: OutboxSmsSenderOptions) {
    this.dataDir = options.dataDir;
    this.file = path.join(options.dataDir, 'outbox.jsonl');
    this.onMessage = options.onMessage;
    this.now = options.now ?? (() => new Date());
  }

  async send(credentials: ProviderCredentials, message: OutboundSms): Promise<SentSms> {
    const entry: OutboxEntry = {
      sid: `SM${randomBytes(16).toString('hex')}`,
      accountSid: accountOf(credentials),
      to: message.to,
      from: message.from ?? null,
      messagingServiceSid: message.messagingServiceSid ?? null,
      body: message.body,
      statusCallback: message.statusCallback ?? null,
      at: this.now().toISOString(),
    };
    // Full numbers and texts: readable by this user only.
    await fs.mkdir(this.dataDir, { recursive: true, mode: 0o700 });
    // One write per line (O_APPEND): concurrent sends in one process never interleave within a line.
    await fs.appendFile(this.file, `${JSON.stringify(entry)}\n`, { encoding: 'utf8', mode: 0o600 });
    this.onMessage?.(entry);
    return { sid: entry.sid, status: 'queued', numSegments: countSegments(message.body).segments };
  }

  async findSent(
    credentials: ProviderCredentials,
    query: { to: string; from?: string; body: string; since: Date },
  ): Promise<SentSms | undefined> {
    const notBefore = query.since.getTime() - FIND_SKEW_MS;
    const entries = await this.readAll();
    // Newest first, like Twilio's list.
    for (let i = entries.length - 1; i >= 0; i--) {
      const e = entries[i]!;
      if (e.accountSid && e.accountSid !== accountOf(credentials)) continue;
      if (e.to !== query.to || e.body !== query.body) continue;
      if (query.from && e.from !== query.from) continue;
      if (Date.parse(e.at) < notBefore) continue;
      return { sid: e.sid, status: 'queued', numSegments: countSegments(e.body).segments };
    }
    return undefined;
  }

  async verifyAccount(credentials: ProviderCredentials, options: { from?: string } = {}): Promise<void> {
    checkDryRunAccount(credentials, options.from);
  }

  /** Every entry in the outbox, oldest first; unreadable lines are skipped. */
  async readAll(): Promise<OutboxEntry[]> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const out: OutboxEntry[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line) as OutboxEntry);
      } catch {
        // A torn last line (process killed mid-write) is ignored.
      }
    }
    return out;
  }
}
