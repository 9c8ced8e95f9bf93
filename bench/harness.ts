import type { RequestCounts } from '../lambdas/adapters/request-counter';
/** Starting the processes of a measurement and getting a registered tenant's key. */
import type { FakesInfo, FakesStats } from './fakes-child';
import { ChildProcessHandle } from './ipc';
import { registrationBody } from './events';
import type { LogUsage, ServerMode, VerifyResult } from './server-child';

export class Fakes {
  private constructor(
    readonly handle: ChildProcessHandle,
    readonly info: FakesInfo,
  ) {}

  static async start(): Promise<Fakes> {
    const handle = await ChildProcessHandle.start('fakes', 'fakes-child.ts');
    return new Fakes(handle, await handle.call<FakesInfo>('start'));
  }

  delay(ms: number): Promise<number> {
    return this.handle.call('delay', { ms });
  }
  reset(): Promise<boolean> {
    return this.handle.call('reset');
  }
  stats(): Promise<FakesStats> {
    return this.handle.call('stats');
  }
  messages(from = 0): Promise<{ body: string; at: number }[]> {
    return this.handle.call('messages', { from });
  }
  seedClients(range: EventRange, count: number): Promise<number> {
    return this.handle.call('seedClients', { idBase: range.idBase, prefix: range.prefix, count });
  }
  stop(): Promise<void> {
    return this.handle.stop();
  }
}

export class ServerUnderTest {
  private constructor(
    readonly mode: ServerMode,
    readonly handle: ChildProcessHandle,
    readonly url: string,
  ) {}

  static async start(mode: ServerMode, env: Record<string, string> = {}): Promise<ServerUnderTest> {
    const handle = await ChildProcessHandle.start(mode, 'server-child.ts');
    try {
      const { url } = await handle.call<{ url: string }>('start', { mode, env });
      return new ServerUnderTest(mode, handle, url);
    } catch (error) {
      handle.kill();
      throw error;
    }
  }

  get pid(): number {
    return this.handle.pid;
  }
  verify(eventIds: string[]): Promise<VerifyResult> {
    return this.handle.call('verify', { eventIds });
  }
  /** AWS SDK requests counted in the server (lambdas/adapters/request-counter.ts). */
  counts(): Promise<RequestCounts> {
    return this.handle.call('counts');
  }

  /** The receiver's log file so far, in bytes, and the lines logged since such a mark (bench/server-child.ts). */
  logSize(): Promise<number> {
    return this.handle.call('logSize');
  }
  logUsage(from: number): Promise<LogUsage> {
    return this.handle.call('logUsage', { from });
  }

  stats<T>(): Promise<T> {
    return this.handle.call('stats');
  }
  /** A V8 CPU profile of the server between the two calls (bench/profile.ts). */
  profileStart(intervalUs?: number): Promise<boolean> {
    return this.handle.call('profileStart', { intervalUs });
  }
  profileStop(): Promise<unknown> {
    return this.handle.call('profileStop');
  }
  stop(): Promise<void> {
    return this.handle.stop();
  }
}

/** A fresh local server (the real handlers, embedded DynamoDB, local queue + worker) sending SMS to the fake Twilio. */
export function startReceiver(fakes: Fakes, env: Record<string, string> = {}): Promise<ServerUnderTest> {
  return ServerUnderTest.start('receiver', { TWILIO_API_BASE_URL: fakes.info.twilioBaseUrl, ...env });
}

/** The SMS Bridge registration handshake, as MifosX sends it; returns the issued API key. */
export async function register(server: ServerUnderTest, fakes: Fakes): Promise<string> {
  const response = await fetch(new URL('/modules/sms/configuration', server.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=UTF-8' },
    body: registrationBody(fakes.info.fineractApiBase, fakes.info.fineractToken),
  });
  const text = await response.text();
  if (response.status !== 201) throw new Error(`registration answered ${response.status}: ${text}`);
  return JSON.parse(text) as string;
}

export interface EventRange {
  prefix: string;
  idBase: number;
}

let ranges = 0;
/** Client ids and name tags no earlier run used, so bodies never repeat across runs either. */
export function nextRange(): EventRange {
  ranges++;
  return { prefix: `r${ranges}x`, idBase: ranges * 10_000_000 };
}
