/**
 * autocannon with a request generator: every request gets the next event of an EventSource (distinct bodies),
 * every response is read (status + eventId) so acknowledged events can be checked against the store, and every
 * latency is kept exactly (autocannon's own histogram has 1 ms buckets, too coarse for loopback p50s).
 */
import autocannon from 'autocannon';
import { type EventSource, HOOK_PATH } from './events';

export interface CannonOptions {
  url: string;
  connections: number;
  /** Stop after this many requests … */
  amount?: number;
  /** … or after this many seconds. */
  durationSeconds?: number;
  source: EventSource;
  /** With `amount`: stop anyway after this many seconds (keeps the whole bench inside its time budget). */
  maxSeconds?: number;
  /** Called every ~50 ms while the load runs (memory sampling). */
  onTick?: () => void;
}

export interface CannonResult {
  /** Every response's latency (ms, hrtime-based), in completion order. */
  latencies: number[];
  /** Ids of the events answered 200 `accepted`. */
  accepted: string[];
  duplicates: number;
  /** Non-200 answers and 200s that were not `accepted`/`duplicate`, by status. */
  rejected: Record<string, number>;
  errors: number;
  timeouts: number;
  /** Wall time from the first request to the last response. */
  seconds: number;
  completed: number;
}

export function fire(options: CannonOptions): Promise<CannonResult> {
  const latencies: number[] = [];
  const accepted: string[] = [];
  const rejected: Record<string, number> = {};
  let duplicates = 0;
  const reject = (key: string) => {
    rejected[key] = (rejected[key] ?? 0) + 1;
  };
  return new Promise((resolve, fail) => {
    const ticker = options.onTick ? setInterval(options.onTick, 50) : undefined;
    let cap: NodeJS.Timeout | undefined;
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        // autocannon rejects an explicit `duration: undefined`: pass exactly one of the two.
        ...(options.amount ? { amount: options.amount } : { duration: options.durationSeconds ?? 10 }),
        timeout: 30,
        requests: [
          {
            setupRequest: (request) => {
              const event = options.source.next();
              return { ...request, method: 'POST', path: HOOK_PATH, headers: event.headers, body: event.body };
            },
            onResponse: (status, body) => {
              if (status !== 200) return reject(String(status));
              try {
                const answer = JSON.parse(body) as { status?: string; eventId?: string };
                if (answer.status === 'accepted' && answer.eventId) accepted.push(answer.eventId);
                else if (answer.status === 'duplicate') duplicates++;
                else reject('200 (unexpected body)');
              } catch {
                reject('200 (not JSON)');
              }
            },
          },
        ],
      },
      (error, result) => {
        if (ticker) clearInterval(ticker);
        if (cap) clearTimeout(cap);
        if (error) return fail(error);
        resolve({
          latencies,
          accepted,
          duplicates,
          rejected,
          errors: result.errors,
          timeouts: result.timeouts,
          seconds: (result.finish.getTime() - result.start.getTime()) / 1000,
          completed: latencies.length,
        });
      },
    );
    if (options.amount && options.maxSeconds) cap = setTimeout(() => instance.stop(), options.maxSeconds * 1000);
    instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
      latencies.push(responseTime);
    });
  });
}
