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
  const jittered = base * (0.8 + 0.4 * random());
  return Math.max(1, Math.ceil(Math.max(jittered, retryAfterSeconds ?? 0)));
}

/** Anything we did not classify (a DynamoDB throttle, a bug fixed by a deploy) is worth another try. */
export function isRetryable(error: unknown): boolean {
  return error instanceof DownstreamError ? error.retryable : true;
}
