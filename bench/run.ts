/**
 * `npm run bench`: measures the receiver side by side with its baselines in one run, prints one table of ratios
 * with their targets, and writes it to bench/results.json. Not a test: nothing here fails on a slow machine.
 * See bench/README.md for what each figure means. Knobs (environment): BENCH_ONLY=cold,ack,e2e,throughput,
 * BENCH_CONNECTIONS, BENCH_ACK_EVENTS, BENCH_ACK_MAX_SECONDS, BENCH_DURATION, BENCH_WARMUP, BENCH_E2E_EVENTS,
 * BENCH_E2E_RATE, BENCH_COLD_RUNS, BENCH_DIAG=1 (extra diagnostic rows; may not fit the 5-minute budget),
 * BENCH_PROFILE_DIR (CPU profiles of the child processes).
 */
import { COST_ASSUMPTIONS, perEventOperations, smsEventCost, workerDynamoRequests } from './cost';
import { lambdaLineOverheadBytes } from './log-bytes';
import path from 'node:path';
import { measureAck } from './ack';
import { type BundleName, FUNCTIONS, measureColdStart } from './cold-start';
import { measureE2e } from './e2e';
import { Fakes } from './harness';
import { ChildProcessHandle } from './ipc';
import { buildFigures, type Measurements, renderTable, writeResults } from './report';
import { machineInfo } from './stats';
import { measureThroughput, type ThroughputTarget } from './throughput';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const num = (name: string, fallback: number) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};

const config = {
  connections: num('BENCH_CONNECTIONS', 10),
  ack: {
    events: num('BENCH_ACK_EVENTS', 2000),
    warmupEvents: 100,
    downstreamDelayMs: 2000,
    maxSecondsPerRun: num('BENCH_ACK_MAX_SECONDS', 25),
  },
  throughput: {
    warmupSeconds: num('BENCH_WARMUP', 2),
    durationSeconds: num('BENCH_DURATION', 5),
    // ABBA for the pair the target compares, then the diagnostics; the tail is dropped if the budget runs short.
    schedule: [
      'storage',
      'receiver',
      'receiver',
      'storage',
      'receiver-no-worker',
      'bare',
      ...(process.env.BENCH_DIAG === '1' ? ['storage-read-put', 'storage-event-item', 'receiver-worker-1'] : []),
    ] as ThroughputTarget[],
  },
  e2e: {
    events: num('BENCH_E2E_EVENTS', 300),
    warmupEvents: 30,
    ratePerSecond: num('BENCH_E2E_RATE', 10),
    timeoutMs: 30_000,
  },
  coldStart: {
    runs: num('BENCH_COLD_RUNS', 20),
    timed: (process.env.BENCH_DIAG === '1' ? ['empty', ...FUNCTIONS] : ['empty', 'ingest', 'worker']) as BundleName[],
  },
};

/** The whole run must end well within 5 minutes: sections that no longer fit are skipped, a watchdog ends it. */
const BUDGET_MS = 270_000;
const HARD_STOP_MS = 290_000;
const RESULTS = path.join(__dirname, 'results.json');
const started = Date.now();
const only = new Set((process.env.BENCH_ONLY ?? 'cold,ack,e2e,throughput').split(',').map((s) => s.trim()));

const measurements: Measurements = { errors: {} };
const machine = machineInfo();

async function main(): Promise<void> {
  const watchdog = setTimeout(() => {
    process.stderr.write('\nbench: hard time limit reached; stopping the servers and writing what was measured\n');
    ChildProcessHandle.killAll();
    finish(2);
  }, HARD_STOP_MS);

  log(
    `machine: ${machine.cpus} x ${machine.cpuModel}, Node ${machine.node}, load average ${machine.loadAverage.join(' ')}`,
  );
  await section('3 cold start', 'cold', 60, async () => {
    measurements.coldStart = await measureColdStart(config.coldStart);
  });

  let fakes: Fakes | undefined;
  try {
    if (['ack', 'e2e', 'throughput'].some((s) => only.has(s))) fakes = await Fakes.start();
    await section('1 ack independence', 'ack', 2 * (config.ack.maxSecondsPerRun + 15), async () => {
      measurements.ack = await measureAck(fakes!, { ...config.ack, connections: config.connections });
    });
    await section('4 end to end', 'e2e', config.e2e.events / config.e2e.ratePerSecond + 15, async () => {
      measurements.e2e = await measureE2e(fakes!, config.e2e);
    });
    const perRun = config.throughput.warmupSeconds + config.throughput.durationSeconds + 8;
    await section('2 ingest throughput', 'throughput', 2 * perRun, async () => {
      const fit = Math.max(2, Math.floor(remainingMs() / 1000 / perRun));
      measurements.throughput = await measureThroughput(fakes!, {
        ...config.throughput,
        schedule: config.throughput.schedule.slice(0, fit),
        connections: config.connections,
      });
    });
  } catch (error) {
    measurements.errors.fakes = describe(error);
  } finally {
    await fakes?.stop().catch(() => undefined);
  }
  clearTimeout(watchdog);
  finish(Object.keys(measurements.errors).length > 0 ? 1 : 0);
}

async function section(name: string, key: string, needSeconds: number, body: () => Promise<void>): Promise<void> {
  if (!only.has(key)) return;
  if (remainingMs() < needSeconds * 1000) {
    measurements.errors[name] =
      `skipped: ${Math.round(remainingMs() / 1000)} s left of the time budget, needs ~${needSeconds} s`;
    return;
  }
  const t0 = Date.now();
  log(`${name} …`);
  try {
    await body();
    log(`${name}: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  } catch (error) {
    measurements.errors[name] = describe(error);
    log(`${name}: FAILED ${describe(error)}`);
  }
}

function finish(code: number): never {
  const figures = buildFigures(measurements);
  const notes = buildNotes();
  const table = renderTable(figures);
  const header = `Fineract hook receiver bench: ${machine.cpus} x ${machine.cpuModel}, Node ${machine.node}, ${machine.date}, load average at start ${machine.loadAverage.join(' ')}`;
  process.stdout.write(`\n${header}\n\n${table}\n\nNotes:\n${notes.map((n) => `  - ${n}`).join('\n')}\n`);
  writeResults(RESULTS, {
    machine,
    config,
    elapsedSeconds: Math.round((Date.now() - started) / 1000),
    table,
    figures,
    notes,
    details: measurements,
  });
  process.stdout.write(
    `\nwritten to ${path.relative(process.cwd(), RESULTS)} in ${Math.round((Date.now() - started) / 1000)} s\n`,
  );
  process.exit(code);
}

function buildNotes(): string[] {
  const notes: string[] = [];
  const { ack, throughput, coldStart, e2e } = measurements;
  if (ack) {
    notes.push(
      `ack: ${ack.options.events} distinct SMS Bridge events (half Fineract envelopes, half MifosX flat) per run, autocannon, ${ack.options.connections} connections, unpaced, after ${ack.options.warmupEvents} warm-up events; a fresh local server per run. ` +
        `Throughput ${ack.instant.eventsPerSecond} | ${ack.delayed.eventsPerSecond} events/s; the fake Twilio accepted ${ack.instant.smsDuringBurst} | ${ack.delayed.smsDuringBurst} SMS during the burst (the worker was held up by the 2 s delay in the second run).`,
    );
  }
  if (throughput) {
    const r = throughput.best.find((t) => t.target === 'receiver');
    notes.push(
      `throughput: ${config.connections} connections, ${config.throughput.warmupSeconds} s warm-up + ${config.throughput.durationSeconds} s measured per run, runs in the order ${throughput.runs.map((x) => x.target).join(', ')} (best run per target shown; all in results.json: ${throughput.runs.map((x) => `${x.target} ${x.eventsPerSecond}/s`).join(', ')}); each server alone in its own child process (node --import tsx bench/server-child.ts) with dynalite on disk in that process; distinct Fineract client-create envelopes.`,
    );
    if (r) {
      notes.push(
        `best local-server run: the worker sent ${r.smsSent} SMS to the fake Twilio during the ${config.throughput.durationSeconds} s load (ingest accepted ${r.accepted}); local queue at the end ${JSON.stringify(r.queueAtEnd)}; rejected ${JSON.stringify(r.rejected)}, socket errors/timeouts ${r.errors}.`,
      );
    }
    notes.push(
      'memory: the server runs in a child process; VmHWM (peak RSS since it started, includes start-up and warm-up) and VmRSS sampled every 50 ms are read from /proc/<pid>/status by the bench process.',
    );
  }
  if (coldStart) {
    notes.push(
      `cold start: esbuild with lib/bundling.ts's options, as lib/hook-function.ts (platform node, target node24, cjs, minify, bundle; each bundles its SDK clients from their ES module builds and leaves out only what is loaded lazily; Twilio in a file beside the worker's and register's bundle, required on first use); init = median of ${coldStart.runs} fresh node processes per timed bundle, require() timed inside the child (wall: hrtime; CPU: cpuUsage), rounds in rotating order (Node ${machine.node}; Lambda runs nodejs24.x); ${coldStart.resolution}.`,
    );
    for (const name of ['ingest', 'worker'] as const) {
      const b = coldStart.bundles.find((x) => x.name === name);
      if (b)
        notes.push(
          `${name} bundle, largest packages: ${b.topPackages.map((p) => `${p.path} ${p.kib} KiB`).join(', ')}`,
        );
    }
  }
  if (e2e && Object.keys(e2e.counts).length > 0) {
    const row = smsEventCost(e2e.counts, e2e.delivered, e2e.ackP50Ms, e2e.logs);
    const worker = workerDynamoRequests(e2e.counts, e2e.delivered);
    notes.push(
      `worker: DynamoDB requests per SMS event on the worker's own client: ${JSON.stringify(worker.byOperation)} = ${worker.total.toFixed(2)} (claim = UpdateItem returning the event; message record created already sending = PutItem; message sent + event final = 2 UpdateItem; tenant config, templates, targets and the secret from the per-container cache). Each container re-reads a busy tenant's config, templates and targets once a TENANT_CACHE_SECONDS (60 s), not in this run.`,
    );
    notes.push(
      `cost: AWS SDK requests per SMS event measured in the local server during the end-to-end run (ingest + worker + the sweeper meanwhile; half the events need a Fineract callback): ${JSON.stringify(perEventOperations(e2e.counts, e2e.delivered))}. Assumed (bench/cost.ts COST_ASSUMPTIONS): ${JSON.stringify(COST_ASSUMPTIONS)}. Ingest duration = measured ack p50 (${e2e.ackP50Ms} ms). Prices: us-east-1 list, arm64, on-demand, no free tier (bench/pricing.ts). Breakdown $/million: ${JSON.stringify(row.perMillion)}.`,
    );
    if (e2e.logs) {
      notes.push(
        `logs: the local server logged ${e2e.logs.lines} lines, ${e2e.logs.bytes} B for ${e2e.delivered} SMS events (${JSON.stringify(e2e.logs.byMessage)}); in Lambda each gains ${lambdaLineOverheadBytes()} B of Powertools keys, and each invocation writes one EMF metric line (bench/log-bytes.ts); no platform lines at system log level WARN.`,
      );
    }
  }
  if (e2e) {
    notes.push(
      `end to end: ${e2e.options.events} events POSTed at ${e2e.options.ratePerSecond}/s (after ${e2e.options.warmupEvents} warm-up), half needing a Fineract callback; latency = fake Twilio's acceptance time - send time; ack p50 ${e2e.ackP50Ms} ms.`,
    );
  }
  notes.push(
    `machine load average at the end: ${machineInfo().loadAverage.join(' ')} (${machine.cpus} CPUs): other engineers' test runs share this machine, so absolute numbers are noisy; the ratios compare runs made seconds to minutes apart; CPU-ms/event varies less than events/s.`,
  );
  return notes;
}

function remainingMs(): number {
  return BUDGET_MS - (Date.now() - started);
}

function log(message: string): void {
  process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${message}\n`);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

process.on('SIGINT', () => {
  ChildProcessHandle.killAll();
  process.exit(130);
});

main().catch((error: unknown) => {
  measurements.errors.bench = describe(error);
  ChildProcessHandle.killAll();
  finish(1);
});
