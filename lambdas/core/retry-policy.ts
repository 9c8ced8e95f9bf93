import { DownstreamError } from './errors';

/**
 * Delay before the next attempt after `attemptsMade` attempts, or undefined when the schedule is used up.
 * ±20 % jitter spreads a burst of failures (a Twilio outage) so retries do not arrive as a second burst;
 * a Retry-After from the provider is a floor.
 */
export function nextDelaySeconds(
  attemptsMade: number,
  schedule: readonly number[],
  retryAfterSeconds?: number,
  random: () => number = Math.random,
): number | undefined {
  const base = schedule[attemptsMade - 1];
  if (base === undefined) return undefined;
  // Integer percent first: 0.8 + 0.4 * 1 is 1.2000000000000002, which would round a step past its +20 % bound.
  const delay = Math.max((base * Math.round(80 + 40 * random())) / 100, retryAfterSeconds ?? 0);
  // Whole seconds as SQS takes them; sub-second schedules (tests, local runs) keep 10 ms precision.
  return delay >= 1 ? Math.ceil(delay) : Math.max(0.01, Math.round(delay * 100) / 100);
}

/** Anything we did not classify (a DynamoDB throttle, a bug fixed by a deploy) is worth another try. */
export function isRetryable(error: unknown): boolean {
  return error instanceof DownstreamError ? error.retryable : true;
}

/**
 * Seconds from a Retry-After header (RFC 9110: delta-seconds or an HTTP date), whichever provider sent it; a
 * repeated header counts by its first value. Undefined when absent or unreadable.
 */
export function parseRetryAfter(value: unknown, now: number = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw === null || raw === '') return undefined;
  const text = String(raw).trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.ceil(Number(text));
  // Every HTTP-date form names a month; Date.parse would take "-5" for a year.
  const at = /[A-Za-z]/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}
