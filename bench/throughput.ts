/**
 * 2. Ingest throughput and 5. memory: the same load (same generator, connections, warm-up and duration) against
 * each server, one process each, one after the other:
 *   bare              node:http 200: HTTP on this machine
 *   storage           one conditional PutItem per request into dynalite through the SDK: the storage-bound limit
 *   storage-event-item  the same put of an item shaped like a stored event, GSI keys included (diagnostic)
 *   storage-read-put  a GetItem (ingest's previous dedup window read) before the put (diagnostic, BENCH_DIAG=1)
 *   receiver          the local server, worker running and sending to the fake Twilio (the figure)
 *   receiver-no-worker  the local server with LOCAL_WORKER_CONCURRENCY=0 (diagnostic: the worker's share)
 *   receiver-worker-1   LOCAL_WORKER_CONCURRENCY=1 instead of 4 (diagnostic, BENCH_DIAG=1)
 * Zero loss: after the receiver run, every event it answered `accepted` must be in the events table.
 */
import { fire } from './cannon';
import { eventSource } from './events';
import { type Fakes, nextRange, register, ServerUnderTest, startReceiver } from './harness';
import type { VerifyResult } from './server-child';
import { percentile, processCpuMs, processMemory, RssSampler, round } from './stats';

export type ThroughputTarget =
  | 'bare'
  | 'storage'
  | 'storage-event-item'
  | 'storage-read-put'
  | 'receiver'
  | 'receiver-worker-1'
  | 'receiver-no-worker';

/** LOCAL_WORKER_CONCURRENCY per receiver variant (4, the default, when absent). */
const WORKER_CONCURRENCY: Partial<Record<ThroughputTarget, string>> = {
  'receiver-no-worker': '0',
  'receiver-worker-1': '1',
};

export interface ThroughputOptions {
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  /** Runs in this order; a target listed twice is measured twice (storage, receiver, receiver, storage: ABBA). */
  schedule: ThroughputTarget[];
}

export interface ThroughputResult {
  /** Every run, in the order made. */
  runs: ThroughputRun[];
  /** Per target, its best run (highest events/s): interference from other work only ever slows a run down. */
  best: ThroughputRun[];
}

export interface ThroughputRun {
  target: ThroughputTarget;
  eventsPerSecond: number;
  accepted: number;
  rejected: Record<string, number>;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  seconds: number;
  /** CPU time the server process used during the measured load, per accepted event (all its threads). */
  cpuMsPerEvent: number;
  /** Share of one core the server used during the load (1 = one core busy all the time). */
  cpuCores: number;
  /** Highest VmRSS sampled every 50 ms during the measured load, and VmHWM (peak since the process started). */
  rssPeakDuringLoadMiB: number;
  vmHwmMiB: number;
  /** Receiver only: zero-loss check over warm-up + measured acknowledgements. */
  verify?: VerifyResult & { checked: number };
  /** Receiver only: SMS the fake Twilio got by the end of the load, and the queue then. */
  smsSent?: number;
  queueAtEnd?: unknown;
}

export async function measureThroughput(fakes: Fakes, options: ThroughputOptions): Promise<ThroughputResult> {
  const runs: ThroughputRun[] = [];
  for (const target of options.schedule) runs.push(await runOnce(fakes, options, target));
  const best = new Map<ThroughputTarget, ThroughputRun>();
  for (const run of runs) {
    const seen = best.get(run.target);
    if (!seen || run.eventsPerSecond > seen.eventsPerSecond) best.set(run.target, run);
  }
  return { runs, best: [...best.values()] };
}

async function runOnce(fakes: Fakes, options: ThroughputOptions, target: ThroughputTarget): Promise<ThroughputRun> {
  const receiver = target.startsWith('receiver');
  const concurrency = WORKER_CONCURRENCY[target];
  await fakes.reset();
  const server = receiver
    ? await startReceiver(fakes, concurrency ? { LOCAL_WORKER_CONCURRENCY: concurrency } : {})
    : await ServerUnderTest.start(target as 'bare' | 'storage' | 'storage-event-item' | 'storage-read-put');
  try {
    // The storage servers ignore the key; every server gets byte-for-byte the same kind of request.
    const apiKey = receiver ? await register(server, fakes) : 'fhk_not-checked-by-this-server';
    const source = eventSource({ apiKey, ...nextRange(), mix: 'envelope' });
    const warm = await fire({
      url: server.url,
      connections: options.connections,
      durationSeconds: options.warmupSeconds,
      source,
    });
    const sampler = new RssSampler(server.pid);
    const smsBefore = receiver ? (await fakes.stats()).twilioMessages : 0;
    const cpuBefore = processCpuMs(server.pid);
    const run = await fire({
      url: server.url,
      connections: options.connections,
      durationSeconds: options.durationSeconds,
      source,
      onTick: () => sampler.sample(),
    });
    const cpuMs = processCpuMs(server.pid) - cpuBefore;
    const result: ThroughputRun = {
      target,
      eventsPerSecond: round(run.accepted.length / run.seconds, 1),
      accepted: run.accepted.length,
      rejected: run.rejected,
      errors: run.errors + run.timeouts,
      p50Ms: round(percentile(run.latencies, 50), 2),
      p99Ms: round(percentile(run.latencies, 99), 2),
      seconds: round(run.seconds, 2),
      cpuMsPerEvent: round(cpuMs / run.accepted.length, 2),
      cpuCores: round(cpuMs / 1000 / run.seconds, 2),
      rssPeakDuringLoadMiB: round(sampler.peakMiB, 1),
      vmHwmMiB: round(processMemory(server.pid)?.peakMiB ?? Number.NaN, 1),
    };
    if (receiver) {
      result.smsSent = (await fakes.stats()).twilioMessages - smsBefore;
      result.queueAtEnd = await server.stats();
      const ids = [...warm.accepted, ...run.accepted];
      result.verify = { ...(await server.verify(ids)), checked: ids.length };
    }
    return result;
  } finally {
    await server.stop();
  }
}
