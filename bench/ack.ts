/**
 * 1. Ack independence: the same burst of SMS Bridge events against a fresh local server twice, with the fake
 * Twilio and fake Fineract answering at once, then answering 2 s late. The ingest path stores, enqueues and
 * answers; if anything in it waited on Twilio or Fineract, the second run's latencies would grow by seconds.
 */
import { fire } from './cannon';
import { eventSource } from './events';
import { type Fakes, nextRange, register, startReceiver } from './harness';
import { percentile, round } from './stats';

export interface AckOptions {
  events: number;
  warmupEvents: number;
  connections: number;
  downstreamDelayMs: number;
  /** Each burst stops after this long even if not all events were sent (a loaded machine). */
  maxSecondsPerRun: number;
}

export interface AckRun {
  downstreamDelayMs: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
  completed: number;
  accepted: number;
  rejected: Record<string, number>;
  eventsPerSecond: number;
  /** SMS the fake Twilio accepted while the measured burst ran: shows the worker was busy (or held up). */
  smsDuringBurst: number;
}

export interface AckResult {
  options: AckOptions;
  instant: AckRun;
  delayed: AckRun;
  p50Ratio: number;
  p99Ratio: number;
}

export async function measureAck(fakes: Fakes, options: AckOptions): Promise<AckResult> {
  const instant = await runOnce(fakes, options, 0);
  const delayed = await runOnce(fakes, options, options.downstreamDelayMs);
  return {
    options,
    instant,
    delayed,
    p50Ratio: round(delayed.p50Ms / instant.p50Ms, 3),
    p99Ratio: round(delayed.p99Ms / instant.p99Ms, 3),
  };
}

async function runOnce(fakes: Fakes, options: AckOptions, delayMs: number): Promise<AckRun> {
  await fakes.reset();
  const server = await startReceiver(fakes);
  try {
    const apiKey = await register(server, fakes);
    const range = nextRange();
    // Half the events are MifosX's flat bodies: their SMS needs the client from Fineract.
    await fakes.seedClients(range, options.warmupEvents + options.events + 4 * options.connections);
    await fakes.delay(delayMs);
    const source = eventSource({ apiKey, ...range, mix: 'mixed' });
    await fire({
      url: server.url,
      connections: options.connections,
      amount: options.warmupEvents,
      maxSeconds: 10,
      source,
    });
    const before = await fakes.stats();
    const run = await fire({
      url: server.url,
      connections: options.connections,
      amount: options.events,
      maxSeconds: options.maxSecondsPerRun,
      source,
    });
    const after = await fakes.stats();
    return {
      downstreamDelayMs: delayMs,
      p50Ms: round(percentile(run.latencies, 50), 3),
      p99Ms: round(percentile(run.latencies, 99), 3),
      meanMs: round(run.latencies.reduce((a, b) => a + b, 0) / run.latencies.length, 3),
      maxMs: round(Math.max(...run.latencies), 3),
      completed: run.completed,
      accepted: run.accepted.length,
      rejected: run.rejected,
      eventsPerSecond: round(run.accepted.length / run.seconds, 1),
      smsDuringBurst: after.twilioMessages - before.twilioMessages,
    };
  } finally {
    await server.stop();
    await fakes.reset();
  }
}
