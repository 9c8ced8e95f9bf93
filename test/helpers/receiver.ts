import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type LocalReceiver, startLocalReceiver } from '../../lambdas/wiring/local-receiver';
import { CapturingLogger } from './capturing-logger';
import type { Delivery } from './fixtures';

export interface TestReceiver {
  receiver: LocalReceiver;
  url: string;
  logger: CapturingLogger;
  dataDir: string;
  /** Stops the receiver and removes its data unless `keepData`. */
  stop(options?: { keepData?: boolean }): Promise<void>;
}

/**
 * The local server (the real handlers behind node:http, embedded DynamoDB, local queue and worker) on a free
 * loopback port with its own data directory. `env` overrides settings (e.g. TWILIO_API_BASE_URL,
 * RETRY_SCHEDULE_SECONDS).
 */
export async function startTestReceiver(
  options: { env?: Record<string, string>; dataDir?: string } = {},
): Promise<TestReceiver> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'fhr-test-'));
  const logger = new CapturingLogger();
  const receiver = await startLocalReceiver({
    port: 0,
    host: '127.0.0.1',
    dataDir,
    logger,
    env: { AUTH_CACHE_SECONDS: '0', ...options.env },
    sweepIntervalSeconds: 3600,
  });
  return {
    receiver,
    url: receiver.url,
    logger,
    dataDir,
    async stop(stopOptions) {
      await receiver.close();
      if (!stopOptions?.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Sent {
  status: number;
  body: unknown;
  text: string;
  headers: Headers;
}

/** Sends a recorded delivery exactly as its sender would (method, path, headers, raw body bytes). */
export async function send(
  baseUrl: string,
  delivery: Pick<Delivery, 'method' | 'path' | 'headers' | 'body'>,
): Promise<Sent> {
  const response = await fetch(new URL(delivery.path, baseUrl), {
    method: delivery.method,
    headers: delivery.headers,
    body: delivery.method === 'GET' || delivery.method === 'HEAD' ? undefined : delivery.body,
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, body, text, headers: response.headers };
}

/** Polls until `check` returns a value (not undefined/false) or the deadline passes. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
