/**
 * 4. End to end: hook → SMS. Events are POSTed at a steady, moderate rate (not a burst: this is the latency a
 * client sees on a normal day); each one's SMS is found at the fake Twilio by the unique name it carries, and
 * the latency is "fake Twilio accepted the message" minus "the POST was sent" (both wall-clock ms, one machine).
 */
import { Agent, request } from 'node:http';
import { diffCounts, type RequestCounts } from '../lambdas/adapters/request-counter';
import { eventSource, type HookRequest, HOOK_PATH, tagOfSms } from './events';
import { type Fakes, nextRange, register, type ServerUnderTest, startReceiver } from './harness';
import type { LogUsage } from './server-child';
import { percentile, round } from './stats';

export interface E2eOptions {
  events: number;
  warmupEvents: number;
  ratePerSecond: number;
  timeoutMs: number;
}

export interface E2eResult {
  options: E2eOptions;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** By shape: Fineract envelopes (no callback) and MifosX flat bodies (one GET to the fake Fineract first). */
  p50EnvelopeMs: number;
  p50FlatMs: number;
  delivered: number;
  missing: number;
  ackP50Ms: number;
  /** AWS SDK requests of the measured events (ingest + worker + the sweeper meanwhile), not of the warm-up. */
  counts: RequestCounts;
  /** The lines the receiver logged for the measured events, as its local log file holds them. */
  logs?: LogUsage;
}

export async function measureE2e(fakes: Fakes, options: E2eOptions): Promise<E2eResult> {
  await fakes.reset();
  const server = await startReceiver(fakes, { COUNT_AWS_REQUESTS: '1' });
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  try {
    const apiKey = await register(server, fakes);
    const range = nextRange();
    await fakes.seedClients(range, options.warmupEvents + options.events);
    const source = eventSource({ apiKey, ...range, mix: 'mixed' });
    const url = new URL(HOOK_PATH, server.url);

    const warm = await sendPaced(url, agent, source, options.warmupEvents, options.ratePerSecond);
    await waitForSms(fakes, new Set(warm.sent.keys()), 0, options.timeoutMs);
    const skip = (await fakes.stats()).twilioMessages;
    await drained(server, options.timeoutMs);
    const countsBefore = await server.counts();
    const logFrom = await server.logSize();

    const run = await sendPaced(url, agent, source, options.events, options.ratePerSecond);
    const arrived = await waitForSms(fakes, new Set(run.sent.keys()), skip, options.timeoutMs);
    // The worker records the send after Twilio accepted it: wait for the queue to empty before counting.
    await drained(server, options.timeoutMs);
    const counts = diffCounts(await server.counts(), countsBefore);
    const logs = await server.logUsage(logFrom);
    const all: number[] = [];
    const byShape: Record<HookRequest['shape'], number[]> = { envelope: [], flat: [] };
    for (const [tag, sent] of run.sent) {
      const at = arrived.get(tag);
      if (at === undefined) continue;
      all.push(at - sent.at);
      byShape[sent.shape].push(at - sent.at);
    }
    return {
      options,
      p50Ms: percentile(all, 50),
      p99Ms: percentile(all, 99),
      maxMs: Math.max(...all),
      p50EnvelopeMs: percentile(byShape.envelope, 50),
      p50FlatMs: percentile(byShape.flat, 50),
      delivered: all.length,
      missing: run.sent.size - all.length,
      ackP50Ms: round(percentile(run.ackMs, 50), 2),
      counts,
      logs,
    };
  } finally {
    agent.destroy();
    await server.stop();
  }
}

interface Sent {
  at: number;
  shape: HookRequest['shape'];
}

/** One POST every 1000/rate ms (not waiting for answers); resolves when every answer is in. */
async function sendPaced(
  url: URL,
  agent: Agent,
  source: ReturnType<typeof eventSource>,
  count: number,
  rate: number,
): Promise<{ sent: Map<string, Sent>; ackMs: number[] }> {
  const sent = new Map<string, Sent>();
  const ackMs: number[] = [];
  const answers: Promise<void>[] = [];
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const event = source.next();
    const t0 = performance.now();
    sent.set(event.tag, { at: Date.now(), shape: event.shape });
    const answer = post(url, agent, event).then((status) => {
      ackMs.push(performance.now() - t0);
      if (status !== 200) throw new Error(`event ${event.tag} answered ${status}`);
    });
    // Failures are reported by Promise.all below; until the loop gets there they must not end the process.
    answer.catch(() => undefined);
    answers.push(answer);
  }
  await Promise.all(answers);
  return { sent, ackMs };
}

/**
 * One POST; sent again once when the connection was reset, which is what a kept-alive socket the server closed
 * meanwhile looks like (a repeat of a stored event is answered 200 duplicate, so nothing is counted twice).
 */
async function post(url: URL, agent: Agent, event: HookRequest): Promise<number> {
  try {
    return await postOnce(url, agent, event);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET') throw error;
    return postOnce(url, agent, event);
  }
}

function postOnce(url: URL, agent: Agent, event: HookRequest): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { ...event.headers, 'content-length': Buffer.byteLength(event.body) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(event.body);
  });
}

/** Polls the fake Twilio until every tag has its SMS (or the timeout); returns tag → acceptance time. */
async function waitForSms(
  fakes: Fakes,
  tags: Set<string>,
  from: number,
  timeoutMs: number,
): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  const deadline = Date.now() + timeoutMs;
  let next = from;
  while (found.size < tags.size && Date.now() < deadline) {
    const messages = await fakes.messages(next);
    next += messages.length;
    for (const m of messages) {
      const tag = tagOfSms(m.body);
      if (tag && tags.has(tag) && !found.has(tag)) found.set(tag, m.at);
    }
    if (found.size < tags.size) await new Promise((r) => setTimeout(r, 100));
  }
  return found;
}

/** Until the local queue has nothing visible or in flight (then a little more for the last writes). */
async function drained(server: ServerUnderTest, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const q = await server.stats<{ visible: number; inFlightOrDelayed: number }>();
    if (q.visible === 0 && q.inFlightOrDelayed === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 300));
}
