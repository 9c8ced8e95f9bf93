import { ConditionFailedError, DownstreamError } from '../../lambdas/core/errors';
import { isRetryable, nextDelaySeconds, parseRetryAfter } from '../../lambdas/core/retry-policy';
import { DEFAULT_RETRY_SCHEDULE } from '../../lambdas/core/settings';

const SCHEDULE = [10, 60, 300, 1800, 7200, 21600, 43200] as const;
const LOWEST = () => 0;
/** The largest value Math.random can return. */
const HIGHEST = () => 1 - Number.EPSILON / 2;
const ONE = () => 1;
const MIDDLE = () => 0.5;

describe('nextDelaySeconds', () => {
  it.each(SCHEDULE.map((base, i) => [i + 1, base] as const))(
    'after attempt %i stays within ±20 %% of %i s',
    (attemptsMade, base) => {
      // Prepare
      const schedule = SCHEDULE;

      // Act
      const lowest = nextDelaySeconds(attemptsMade, schedule, undefined, LOWEST);
      const highest = nextDelaySeconds(attemptsMade, schedule, undefined, HIGHEST);
      const middle = nextDelaySeconds(attemptsMade, schedule, undefined, MIDDLE);

      // Assess
      expect(lowest).toBe(Math.ceil(base * 0.8));
      expect(highest).toBe(Math.ceil(base * 1.2));
      expect(middle).toBe(base);
    },
  );

  // BUG (minor, lambdas/core/retry-policy.ts, nextDelaySeconds): with an injected random of exactly 1, float error
  // (10 * (0.8 + 0.4) = 12.000000000000002) and Math.ceil give 1.2 × base + 1 s (13 for 10, 73 for 60). Math.random
  // never returns 1, so production is unaffected; an injected source that does (tests, simulations) is.
  it('with an injected random of exactly 1 waits 1.2 × base, not a second more', () => {
    // Prepare
    const expected = SCHEDULE.map((base) => Math.round(base * 1.2));

    // Act
    const delays = SCHEDULE.map((_, i) => nextDelaySeconds(i + 1, SCHEDULE, undefined, ONE));

    // Assess
    expect(delays).toEqual(expected);
  });

  it('keeps random jitter within the bounds over many draws', () => {
    // Prepare
    const draws = 500;

    // Act
    const delays = Array.from({ length: draws }, () => nextDelaySeconds(2, SCHEDULE));

    // Assess
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual(48);
      expect(delay).toBeLessThanOrEqual(72);
      expect(Number.isInteger(delay)).toBe(true);
    }
    expect(new Set(delays).size).toBeGreaterThan(1);
  });

  it('returns undefined once the schedule is used up', () => {
    // Prepare
    const attemptsMade = SCHEDULE.length + 1;

    // Act
    const last = nextDelaySeconds(SCHEDULE.length, SCHEDULE, undefined, MIDDLE);
    const after = nextDelaySeconds(attemptsMade, SCHEDULE, undefined, MIDDLE);
    const farAfter = nextDelaySeconds(100, SCHEDULE, 30, MIDDLE);

    // Assess
    expect(last).toBe(43200);
    expect(after).toBeUndefined();
    expect(farAfter).toBeUndefined();
  });

  it.each([
    ['zero attempts', 0],
    ['a negative count', -1],
  ])('returns undefined for %s', (_label, attemptsMade) => {
    // Prepare
    const schedule = SCHEDULE;

    // Act
    const delay = nextDelaySeconds(attemptsMade, schedule, undefined, MIDDLE);

    // Assess
    expect(delay).toBeUndefined();
  });

  it('uses a Retry-After longer than the jittered delay as a floor', () => {
    // Prepare
    const retryAfter = 30;

    // Act
    const delay = nextDelaySeconds(1, SCHEDULE, retryAfter, HIGHEST);

    // Assess
    expect(delay).toBe(30);
  });

  it('ignores a Retry-After shorter than the jittered delay', () => {
    // Prepare
    const retryAfter = 5;

    // Act
    const delay = nextDelaySeconds(1, SCHEDULE, retryAfter, LOWEST);

    // Assess
    expect(delay).toBe(8);
  });

  it('rounds a fractional Retry-After up to whole seconds', () => {
    // Prepare
    const retryAfter = 30.2;

    // Act
    const delay = nextDelaySeconds(1, SCHEDULE, retryAfter, MIDDLE);

    // Assess
    expect(delay).toBe(31);
  });

  it('keeps sub-second schedules (local runs, tests) at 10 ms precision', () => {
    // Prepare
    const schedule = [0.5, 0.05];

    // Act
    const lowest = nextDelaySeconds(1, schedule, undefined, LOWEST);
    const highest = nextDelaySeconds(1, schedule, undefined, HIGHEST);
    const tiny = nextDelaySeconds(2, schedule, undefined, LOWEST);

    // Assess
    expect(lowest).toBeCloseTo(0.4, 10);
    expect(highest).toBeCloseTo(0.6, 10);
    expect(tiny).toBeCloseTo(0.04, 10);
  });

  it('never returns a zero or negative delay', () => {
    // Prepare
    const schedule = [0];

    // Act
    const delay = nextDelaySeconds(1, schedule, undefined, LOWEST);

    // Assess
    expect(delay).toBeGreaterThan(0);
  });

  it('works with the deployment default schedule', () => {
    // Prepare
    const schedule = DEFAULT_RETRY_SCHEDULE;

    // Act
    const delays = schedule.map((_, i) => nextDelaySeconds(i + 1, schedule, undefined, MIDDLE));

    // Assess
    expect(delays).toEqual(schedule);
    expect(nextDelaySeconds(schedule.length + 1, schedule, undefined, MIDDLE)).toBeUndefined();
  });
});

describe('isRetryable', () => {
  it.each<[string, unknown, boolean]>([
    [
      'a retryable Twilio error (429)',
      new DownstreamError('twilio', 'Too Many Requests', { retryable: true, status: 429 }),
      true,
    ],
    [
      'a retryable Fineract 503',
      new DownstreamError('fineract', 'Service Unavailable', { retryable: true, status: 503 }),
      true,
    ],
    [
      'a permanent Twilio error (invalid number)',
      new DownstreamError('twilio', 'invalid To', { retryable: false, status: 400, code: 21211 }),
      false,
    ],
    [
      'bad Twilio credentials',
      new DownstreamError('twilio', 'auth', { retryable: false, status: 401, code: 20003, credentialsInvalid: true }),
      false,
    ],
    [
      'a permanent Fineract 403',
      new DownstreamError('fineract', 'Forbidden', { retryable: false, status: 403 }),
      false,
    ],
    ['an unclassified Error', new Error('ProvisionedThroughputExceededException'), true],
    ['a TypeError (a bug fixed by a deploy)', new TypeError('x is undefined'), true],
    ['a ConditionFailedError', new ConditionFailedError(), true],
    ['a thrown string', 'boom', true],
    ['undefined', undefined, true],
  ])('%s → %p', (_label, error, expected) => {
    // Prepare
    const input = error;

    // Act
    const retryable = isRetryable(input);

    // Assess
    expect(retryable).toBe(expected);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2024-10-24T09:00:00.000Z');

  it.each<[unknown, number | undefined]>([
    ['120', 120],
    ['1.5', 2],
    [['30', '60'], 30],
    ['Thu, 24 Oct 2024 09:01:00 GMT', 60],
    ['Thu, 24 Oct 2024 08:59:00 GMT', 0],
    ['', undefined],
    [undefined, undefined],
    ['soon', undefined],
    ['-5', undefined],
  ])('reads %p as %p seconds', (value, expected) => {
    // Prepare
    const header = value;

    // Act
    const seconds = parseRetryAfter(header, now);

    // Assess
    expect(seconds).toBe(expected);
  });
});
