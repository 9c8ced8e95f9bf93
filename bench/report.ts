/** Turns the measurements into one table of figures (value, target, PASS/MISS) and writes it as JSON. */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AckResult } from './ack';
import type { ColdStartBundle, ColdStartResult } from './cold-start';
import { smsEventCost, WORKER_DYNAMO_TARGET, workerDynamoRequests } from './cost';
import type { E2eResult } from './e2e';
import type { MachineInfo } from './stats';
import { round } from './stats';
import type { ThroughputResult, ThroughputTarget } from './throughput';

export interface Figure {
  section: string;
  figure: string;
  value: number | null;
  unit: string;
  /** What is printed in the value column. */
  shown: string;
  target?: string;
  result: 'PASS' | 'MISS' | 'info' | 'n/a';
}

export interface Measurements {
  ack?: AckResult;
  throughput?: ThroughputResult;
  coldStart?: ColdStartResult;
  e2e?: E2eResult;
  errors: Record<string, string>;
}

/** 150 KB is read as 150 000 bytes (the stricter reading). */
const KB = 1000;

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : String(n));
const check = (ok: boolean): Figure['result'] => (ok ? 'PASS' : 'MISS');

export function buildFigures(m: Measurements): Figure[] {
  const figures: Figure[] = [];
  const add = (f: Figure) => figures.push(f);

  if (m.ack) {
    const { instant, delayed } = m.ack;
    const s = '1 ack independence';
    add({
      section: s,
      figure: 'ack p50: downstream at once | 2 s late',
      value: null,
      unit: 'ms',
      shown: `${fmt(instant.p50Ms, 2)} | ${fmt(delayed.p50Ms, 2)} ms`,
      result: 'info',
    });
    add({
      section: s,
      figure: 'ack p99: downstream at once | 2 s late',
      value: null,
      unit: 'ms',
      shown: `${fmt(instant.p99Ms, 2)} | ${fmt(delayed.p99Ms, 2)} ms`,
      result: 'info',
    });
    add({
      section: s,
      figure: 'p50 ratio (2 s late / at once)',
      value: m.ack.p50Ratio,
      unit: 'x',
      shown: `${fmt(m.ack.p50Ratio, 2)}x`,
      target: '<= 1.2',
      result: check(m.ack.p50Ratio <= 1.2),
    });
    add({
      section: s,
      figure: 'p99 ratio (2 s late / at once)',
      value: m.ack.p99Ratio,
      unit: 'x',
      shown: `${fmt(m.ack.p99Ratio, 2)}x`,
      target: '<= 1.2',
      result: check(m.ack.p99Ratio <= 1.2),
    });
    const clean = (r: typeof instant) => r.accepted === r.completed && Object.keys(r.rejected).length === 0;
    const capped = instant.completed < m.ack.options.events || delayed.completed < m.ack.options.events;
    add({
      section: s,
      figure: `answered 200 accepted / answered${capped ? ` (burst capped at ${m.ack.options.maxSecondsPerRun} s)` : ''}`,
      value: Math.min(instant.accepted, delayed.accepted),
      unit: 'events',
      shown: `${instant.accepted}/${instant.completed} | ${delayed.accepted}/${delayed.completed} of ${m.ack.options.events}`,
      target: 'all',
      result: check(clean(instant) && clean(delayed)),
    });
  }

  if (m.throughput) {
    const s = '2 ingest throughput';
    const { runs, best } = m.throughput;
    const by = (t: ThroughputTarget) => best.find((r) => r.target === t);
    const all = (t: ThroughputTarget) => runs.filter((r) => r.target === t);
    const labels: Record<ThroughputTarget, string> = {
      bare: 'bare node:http 200 (scale)',
      storage: 'storage-bound: 1 conditional PutItem',
      'storage-event-item': 'storage-bound, item shaped like a stored event (diag)',
      'storage-read-put': 'storage-bound with the dedup read: GetItem + conditional PutItem (diag)',
      receiver: 'local server, worker on (full ingest path)',
      'receiver-no-worker': 'local server, worker off (diag)',
      'receiver-worker-1': 'local server, 1 worker batch at a time (diag)',
    };
    for (const run of best) {
      const n = all(run.target).length;
      add({
        section: s,
        figure: `${labels[run.target]}${n > 1 ? `, best of ${n}` : ''}`,
        value: run.eventsPerSecond,
        unit: 'events/s',
        shown: `${fmt(run.eventsPerSecond, 0)} /s, ${fmt(run.cpuMsPerEvent, 2)} CPU-ms/ev, ${fmt(run.cpuCores, 2)} cores`,
        result: 'info',
      });
    }
    const receiver = by('receiver');
    const storage = by('storage');
    if (receiver && storage) {
      const ratio = round(receiver.eventsPerSecond / storage.eventsPerSecond, 3);
      add({
        section: s,
        figure: 'ratio local server / storage-bound',
        value: ratio,
        unit: 'x',
        shown: `${fmt(ratio, 2)}x`,
        target: '>= 0.8',
        result: check(ratio >= 0.8),
      });
    }
    const noWorker = by('receiver-no-worker');
    if (noWorker && storage) {
      const ratio = round(noWorker.eventsPerSecond / storage.eventsPerSecond, 3);
      add({
        section: s,
        figure: 'ratio worker off / storage-bound (diag)',
        value: ratio,
        unit: 'x',
        shown: `${fmt(ratio, 2)}x`,
        result: 'info',
      });
    }
    const readPut = by('storage-read-put');
    if (receiver && readPut) {
      // The floor of a design that reads the previous dedup window before its put (events without a commandId).
      const ratio = round(receiver.eventsPerSecond / readPut.eventsPerSecond, 3);
      add({
        section: s,
        figure: 'ratio local server / storage-bound with the dedup read (diag)',
        value: ratio,
        unit: 'x',
        shown: `${fmt(ratio, 2)}x (storage-bound with the read / without: ${fmt(round(readPut.eventsPerSecond / (storage?.eventsPerSecond ?? Number.NaN), 3), 2)}x)`,
        result: 'info',
      });
    }
    // Events per CPU-ms: what the ratio would be if both were CPU-bound on an otherwise idle machine.
    for (const [run, label] of [
      [receiver, 'local server'],
      [noWorker, 'worker off'],
    ] as const) {
      if (!run || !storage) continue;
      const ratio = round(storage.cpuMsPerEvent / run.cpuMsPerEvent, 3);
      add({
        section: s,
        figure: `CPU-cost ratio ${label} / storage-bound (diag)`,
        value: ratio,
        unit: 'x',
        shown: `${fmt(ratio, 2)}x`,
        result: 'info',
      });
    }
    const checked = runs.filter((r) => r.verify);
    if (checked.length > 0) {
      const missing = checked.reduce((sum, r) => sum + (r.verify?.missing ?? 0), 0);
      const total = checked.reduce((sum, r) => sum + (r.verify?.checked ?? 0), 0);
      add({
        section: s,
        figure: `zero loss: acknowledged events missing from the store (${checked.length} local-server runs)`,
        value: missing,
        unit: 'events',
        shown: `${missing} of ${total}`,
        target: '0',
        result: check(missing === 0 && total > 0),
      });
    }
    const s5 = '5 memory';
    const receiverRuns = all('receiver');
    if (receiverRuns.length > 0) {
      const hwm = Math.max(...receiverRuns.map((r) => r.vmHwmMiB));
      const rss = Math.max(...receiverRuns.map((r) => r.rssPeakDuringLoadMiB));
      add({
        section: s5,
        figure: 'local server peak RSS (VmHWM of its child process)',
        value: hwm,
        unit: 'MiB',
        shown: `${fmt(hwm)} MiB`,
        result: 'info',
      });
      add({
        section: s5,
        figure: 'local server max VmRSS sampled every 50 ms under load',
        value: rss,
        unit: 'MiB',
        shown: `${fmt(rss)} MiB`,
        result: 'info',
      });
    }
    for (const t of ['storage', 'bare'] as const) {
      const run = by(t);
      if (run)
        add({
          section: s5,
          figure: `${t === 'bare' ? 'bare server' : 'storage-bound server'} peak RSS (scale)`,
          value: run.vmHwmMiB,
          unit: 'MiB',
          shown: `${fmt(run.vmHwmMiB)} MiB`,
          result: 'info',
        });
    }
  }

  if (m.coldStart) {
    const s = '3 cold start';
    const b = (name: string) => m.coldStart!.bundles.find((x) => x.name === name);
    const empty = b('empty');
    for (const bundle of m.coldStart.bundles) {
      add({
        section: s,
        figure: `${bundle.name}: bundle | init wall (over empty) | init CPU`,
        value: bundle.bytes,
        unit: 'bytes',
        shown: describeBundle(bundle, empty),
        result: 'info',
      });
    }
    const ingest = b('ingest');
    const worker = b('worker');
    if (ingest) {
      add({
        section: s,
        // Our code and its libraries; the SDK clients ingest carries (lib/bundling.ts) are shown beside it.
        figure: 'ingest bundle size without the SDK it carries',
        value: ingest.bytes - (ingest.sdkBytes ?? 0),
        unit: 'bytes',
        shown: `${fmt((ingest.bytes - (ingest.sdkBytes ?? 0)) / KB)} KB (${fmt(ingest.bytes / KB)} KB with its SDK clients)`,
        target: '<= 150 KB',
        result: check(ingest.bytes - (ingest.sdkBytes ?? 0) <= 150 * KB),
      });
    }
    if (ingest?.initOverEmptyMs !== undefined) {
      add({
        section: s,
        figure: 'ingest init over empty handler (wall)',
        value: ingest.initOverEmptyMs,
        unit: 'ms',
        shown: `${fmt(ingest.initOverEmptyMs)} ms (CPU ${fmt(ingest.initCpuOverEmptyMs ?? Number.NaN)} ms)`,
        target: '<= 50 ms',
        result: check(ingest.initOverEmptyMs <= 50),
      });
    }
    if (worker?.initOverEmptyMs !== undefined) {
      add({
        section: s,
        figure: 'SMS worker init over empty handler (wall)',
        value: worker.initOverEmptyMs,
        unit: 'ms',
        shown: `${fmt(worker.initOverEmptyMs)} ms (CPU ${fmt(worker.initCpuOverEmptyMs ?? Number.NaN)} ms)`,
        target: '<= 150 ms',
        result: check(worker.initOverEmptyMs <= 150),
      });
    }
  }

  if (m.e2e) {
    const s = '4 end to end';
    const e = m.e2e;
    add({
      section: s,
      figure: `hook -> SMS p50 (${e.options.events} events at ${e.options.ratePerSecond}/s)`,
      value: e.p50Ms,
      unit: 'ms',
      shown: `${fmt(e.p50Ms, 0)} ms`,
      target: '<= 100 ms',
      result: check(e.p50Ms <= 100),
    });
    add({
      section: s,
      figure: 'hook -> SMS p99 | max',
      value: e.p99Ms,
      unit: 'ms',
      shown: `${fmt(e.p99Ms, 0)} | ${fmt(e.maxMs, 0)} ms`,
      result: 'info',
    });
    add({
      section: s,
      figure: 'p50 envelope (no callback) | MifosX flat (+ Fineract GET)',
      value: null,
      unit: 'ms',
      shown: `${fmt(e.p50EnvelopeMs, 0)} | ${fmt(e.p50FlatMs, 0)} ms`,
      result: 'info',
    });
    add({
      section: s,
      figure: 'SMS delivered to the fake Twilio',
      value: e.delivered,
      unit: 'events',
      shown: `${e.delivered} of ${e.options.events}`,
      target: 'all',
      result: check(e.missing === 0),
    });
  }

  for (const [section, error] of Object.entries(m.errors)) {
    add({ section, figure: `not measured: ${error.split('\n')[0]}`, value: null, unit: '', shown: '-', result: 'n/a' });
  }
  if (m.e2e && Object.keys(m.e2e.counts).length > 0) {
    const s = '6 cost per event';
    const row = smsEventCost(m.e2e.counts, m.e2e.delivered, m.e2e.ackP50Ms, m.e2e.logs);
    const worker = workerDynamoRequests(m.e2e.counts, m.e2e.delivered);
    add({
      section: s,
      figure: 'worker DynamoDB requests per SMS event (warm caches; a transaction counts its items)',
      value: round(worker.total, 2),
      unit: 'requests',
      shown: `${fmt(worker.total, 2)} (${Object.entries(worker.byOperation)
        .map(([op, n]) => `${op} ${fmt(n, 2)}`)
        .join(', ')})`,
      target: `<= ${WORKER_DYNAMO_TARGET}`,
      result: check(worker.total <= WORKER_DYNAMO_TARGET),
    });
    add({
      section: s,
      figure: `${row.kind}: DynamoDB reads | writes`,
      value: null,
      unit: 'requests',
      shown: `${fmt(row.dynamoReads, 2)} | ${fmt(row.dynamoWrites, 2)} requests, ${fmt(row.dynamoRru, 2)} RRU | ${fmt(row.dynamoWru, 2)} WRU${row.capacityReported ? '' : ' (some estimated)'}`,
      result: 'info',
    });
    add({
      section: s,
      figure: `${row.kind}: SQS | Secrets Manager | log lines, bytes`,
      value: null,
      unit: 'requests',
      shown: `${fmt(row.sqsRequests, 2)} | ${fmt(row.secretsCalls, 3)} | ${fmt(row.logLines, 1)}, ${fmt(row.logBytes, 0)} B${row.logsMeasured ? '' : ' (assumed)'}`,
      result: 'info',
    });
    const p = row.perMillion;
    add({
      section: s,
      figure: `${row.kind}: $ per million, us-east-1 arm64`,
      value: round(p.total, 2),
      unit: '$',
      shown: `$${fmt(p.total, 2)} (API ${fmt(p.httpApi, 2)}, Lambda ${fmt(p.lambdaRequests + p.lambdaCompute, 2)}, DynamoDB ${fmt(p.dynamoWrites + p.dynamoReads, 2)}, SQS ${fmt(p.sqs, 2)}, logs ${fmt(p.logs, 2)}, secrets ${fmt(p.secrets, 2)})`,
      target: '<= $10',
      result: check(p.total <= 10),
    });
    add({
      section: s,
      figure: 'memory choice (lib/memory.ts) vs 512 MB everywhere',
      value: null,
      unit: '$',
      shown: `Lambda GB-s $${fmt(p.lambdaCompute, 2)} vs $${fmt(row.perMillionAt512.lambdaCompute, 2)} per million`,
      result: 'info',
    });
  }

  return figures.sort((a, b) => a.section.localeCompare(b.section));
}

function describeBundle(bundle: ColdStartBundle, empty: ColdStartBundle | undefined): string {
  const size = `${fmt(bundle.bytes / KB)} KB`;
  if (bundle.initMedianMs === undefined) return `${size} | not timed`;
  const over = empty && bundle !== empty ? ` (+${fmt(bundle.initOverEmptyMs ?? Number.NaN)})` : '';
  return `${size} | ${fmt(bundle.initMedianMs)} ms${over} | ${fmt(bundle.initCpuMedianMs ?? Number.NaN)} ms`;
}

export function renderTable(figures: Figure[]): string {
  const head = ['section', 'figure', 'value', 'target', 'result'];
  const rows = figures.map((f) => [f.section, f.figure, f.shown, f.target ?? '', f.result === 'info' ? '' : f.result]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const out = [line(head), widths.map((w) => '-'.repeat(w)).join('  ')];
  let last = '';
  for (const r of rows) {
    out.push(line([r[0] === last ? '' : r[0]!, ...r.slice(1)]));
    last = r[0]!;
  }
  return out.join('\n');
}

/**
 * Writes `npm run bench`'s results, keeping what `npm run bench:partitions` wrote under `partitions` (a separate,
 * 9-minute run the README quotes beside these figures).
 */
export function writeResults(file: string, content: Record<string, unknown>): void {
  let kept: Record<string, unknown> = {};
  try {
    const previous = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    if (previous.partitions !== undefined) kept = { partitions: previous.partitions };
  } catch {
    // No earlier results (or unreadable ones): nothing to keep.
  }
  const tmp = path.join(path.dirname(file), `${path.basename(file)}.tmp`);
  writeFileSync(tmp, `${JSON.stringify({ ...content, ...kept }, null, 2)}\n`);
  renameSync(tmp, file);
}

export type { MachineInfo };
