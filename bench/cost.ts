/**
 * 5. Cost per event: the AWS requests one SMS event costs, counted by the request counter
 * (lambdas/adapters/request-counter.ts, COUNT_AWS_REQUESTS=1) in the local server during the end-to-end run,
 * plus what cannot be measured locally (stated as assumptions), priced per million at us-east-1 list prices.
 * One row per kind of event; a forwarded event adds a row the same way once forwarding exists.
 */
import type { OperationCount, RequestCounts } from '../lambdas/adapters/request-counter';
import { FUNCTION_MEMORY_MB } from '../lib/memory';
import { lambdaLineOverheadBytes, metricLineBytes } from './log-bytes';
import { type EventUsage, type Price, pricePerMillion } from './pricing';
import type { LogUsage } from './server-child';

/** Everything the local server cannot measure, per the AWS deployment (bench/README.md, "Cost per event"). */
export const COST_ASSUMPTIONS = {
  deliveryReportsPerSms: 2,
  /**
   * A status callback, from lambdas/core/status-callback.ts: one conditional update, no read (the container holds
   * the tenant's secret; a container reads the message record and the secret once per TENANT_CACHE_SECONDS only).
   */
  perDeliveryReport: { dynamoReads: 0, dynamoRru: 0, dynamoWrites: 1, dynamoWru: 1, durationMs: 20 },
  /** SendMessage by ingest, then the Lambda poller's ReceiveMessage and DeleteMessageBatch shared by a batch of 10. */
  sqsRequestsPerEvent: 1 + 2 / 10,
  workerBatch: 10,
  /** A worker batch waits on Twilio's API (~150-300 ms a call, the calls of a batch in parallel). */
  workerBatchDurationMs: 300,
  /** Used when the measured ack p50 is missing: ingest handler time in AWS. */
  ingestDurationMs: 25,
  /**
   * Delivery reports come through the status function's own URL (lib/api.ts), not the HTTP API: 0 requests each
   * (1 with `-c statusFunctionUrl=false`). Ingest's hook is the one HTTP API request per SMS event.
   */
  httpApiRequestsPerDeliveryReport: 0,
  /** Lambda's START/END/REPORT lines: none at system log level WARN (lib/hook-function.ts); 2 lines, ~600 B before. */
  platformLogLinesPerInvocation: 0,
  platformLogBytesPerInvocation: 0,
  /**
   * Application lines when the run measured none (the lines the local server logs are measured: bench/e2e.ts),
   * as the local log file writes them (196 B a line in a 100-event run); the Lambda keys are added to each
   * (bench/log-bytes.ts).
   */
  appLogLinesPerEvent: { ingest: 1, worker: 1 },
  appLogBytesPerLine: 196,
  /** A delivery report logs nothing at INFO (lambdas/core/status-callback.ts): it is on the message record. */
  appLogLinesPerDeliveryReport: 0,
  /**
   * Of the reports, those that write a metric line: the carrier's final word (delivered, undelivered, failed); a
   * "sent" report counts nothing (lambdas/core/status-callback.ts countCarrierOutcome).
   */
  deliveryReportsWithMetricsPerSms: 1,
  /** What each invocation counts, from the code: one EMF line per invocation that counted (bench/log-bytes.ts). */
  metricsPerInvocation: {
    ingest: { EventAccepted: 1 },
    worker: { Event_sent: 10, SmsSent: 10 },
    twilioStatus: { SmsStatus_delivered: 1 },
  },
  /**
   * Index writes of one SMS event, which the embedded engine leaves out of the capacity it reports (it reports the
   * table's only): byDueV2 2 (stored; final; the claim keeps ingest's due time), byTenantTimeV2 1, byPhone 1, each
   * index item under 1 KB. Measured per event by `npm run bench:partitions` (README, Performance).
   */
  indexWruPerSmsEvent: 4,
  /** Secrets (API key hash, Twilio credentials) are cached per container: one call per ~1000 events. */
  secretsCallsPerEvent: 0.001,
  /**
   * Not in the measured run (its caches stay warm): each worker container re-reads a tenant's config, templates and
   * forwarding targets every TENANT_CACHE_SECONDS (60 s): 3 reads a minute per busy tenant per container.
   */
  workerCacheRefillReadsPerMinute: 3,
} as const;

export interface CostRow {
  kind: string;
  dynamoReads: number;
  dynamoWrites: number;
  dynamoRru: number;
  dynamoWru: number;
  /**
   * True when the engine reported every request's capacity; else unreported ones are estimated per item (1 WRU,
   * 0.5 RRU; twice that in a transaction).
   */
  capacityReported: boolean;
  sqsRequests: number;
  secretsCalls: number;
  logLines: number;
  logBytes: number;
  /** True when the application lines are the ones the local server logged in the run, not COST_ASSUMPTIONS'. */
  logsMeasured: boolean;
  usage: EventUsage;
  perMillion: Price;
  /** The same with every function at 512 MB (the previous default), to show the memory choice's effect. */
  perMillionAt512: Price;
}

const READS = /\.(GetItem|Query|Scan|BatchGetItem|TransactGetItems)$/;
/** Transactions cost twice the units of their items (DynamoDB pricing), and count as their items here. */
const TRANSACTIONS = /\.Transact(Write|Get)Items$/;

/** Units estimated for the requests the engine reported none for: per item, doubled for transactions. */
function estimatedUnits(op: string, c: OperationCount, perItem: number): number {
  if (c.requests === 0 || c.unreported === 0) return 0;
  return (c.unreported / c.requests) * c.items * perItem * (TRANSACTIONS.test(op) ? 2 : 1);
}

/** The worker's own DynamoDB requests per SMS event: counted on its client (`worker:` in the counts). */
export const WORKER_SCOPE = 'worker:';
export const WORKER_DYNAMO_TARGET = 4;

export interface WorkerRequests {
  /** Items acted on per event: a transaction or batch counts as its items. */
  total: number;
  reads: number;
  writes: number;
  byOperation: Record<string, number>;
}

export function workerDynamoRequests(counts: RequestCounts, events: number): WorkerRequests {
  const prefix = `${WORKER_SCOPE}DynamoDB.`;
  const rows = Object.entries(counts).filter(([op]) => op.startsWith(prefix));
  const per = (n: number) => n / Math.max(1, events);
  const reads = per(rows.filter(([op]) => READS.test(op)).reduce((n, [, c]) => n + c.items, 0));
  const writes = per(rows.filter(([op]) => !READS.test(op)).reduce((n, [, c]) => n + c.items, 0));
  return {
    total: reads + writes,
    reads,
    writes,
    byOperation: Object.fromEntries(
      rows.map(([op, c]) => [op.slice(prefix.length), Math.round(per(c.items) * 100) / 100]),
    ),
  };
}

/** Per SMS event (ingest + worker, measured) with its delivery reports (assumed), priced. */
export function smsEventCost(
  counts: RequestCounts,
  events: number,
  ingestDurationMs?: number,
  logs?: LogUsage,
): CostRow {
  const a = COST_ASSUMPTIONS;
  // Every client's requests (ingest, worker, sweeper) under `DynamoDB.`; the `worker:` copies are not added again.
  const dynamo = Object.entries(counts).filter(([op]) => op.startsWith('DynamoDB.'));
  const sum = (rows: [string, OperationCount][], f: (c: OperationCount) => number) =>
    rows.reduce((s, [, c]) => s + f(c), 0) / Math.max(1, events);
  const reads = dynamo.filter(([op]) => READS.test(op));
  const writes = dynamo.filter(([op]) => !READS.test(op));
  const reported = dynamo.every(([, c]) => c.unreported === 0);
  const r = a.deliveryReportsPerSms;
  const estimated = (rows: [string, OperationCount][], perItem: number) =>
    rows.reduce((s, [op, c]) => s + estimatedUnits(op, c, perItem), 0) / Math.max(1, events);
  const dynamoRru = sum(reads, (c) => c.readCapacityUnits) + estimated(reads, 0.5) + r * a.perDeliveryReport.dynamoRru;
  const dynamoWru =
    sum(writes, (c) => c.writeCapacityUnits) +
    estimated(writes, 1) +
    a.indexWruPerSmsEvent +
    r * a.perDeliveryReport.dynamoWru;
  const invocations = 1 + 1 / a.workerBatch + r;
  const log = logUsagePerEvent(events, logs);
  const logLines = log.lines + invocations * a.platformLogLinesPerInvocation;
  const logBytes = log.bytes + invocations * a.platformLogBytesPerInvocation;
  const lambda = (memory: (fn: 'ingest' | 'worker' | 'twilioStatus') => number) => [
    { fn: 'ingest', invocations: 1, durationMs: ingestDurationMs ?? a.ingestDurationMs, memoryMb: memory('ingest') },
    { fn: 'worker', invocations: 1 / a.workerBatch, durationMs: a.workerBatchDurationMs, memoryMb: memory('worker') },
    {
      fn: 'twilioStatus',
      invocations: r,
      durationMs: a.perDeliveryReport.durationMs,
      memoryMb: memory('twilioStatus'),
    },
  ];
  const measuredSqs = sum(
    Object.entries(counts).filter(([op]) => op.startsWith('SQS.')),
    (c) => c.requests,
  );
  const usage: EventUsage = {
    httpApiRequests: 1 + r * a.httpApiRequestsPerDeliveryReport,
    lambda: lambda((fn) => FUNCTION_MEMORY_MB[fn]),
    dynamoWru,
    dynamoRru,
    sqsRequests: Math.max(measuredSqs, a.sqsRequestsPerEvent),
    secretsCalls: a.secretsCallsPerEvent,
    logBytes,
  };
  return {
    kind: `SMS event + ${r} delivery reports`,
    dynamoReads: sum(reads, (c) => c.items) + r * a.perDeliveryReport.dynamoReads,
    dynamoWrites: sum(writes, (c) => c.items) + r * a.perDeliveryReport.dynamoWrites,
    dynamoRru,
    dynamoWru,
    capacityReported: reported,
    sqsRequests: usage.sqsRequests,
    secretsCalls: usage.secretsCalls,
    logLines,
    logBytes,
    logsMeasured: log.measured,
    usage,
    perMillion: pricePerMillion(usage),
    perMillionAt512: pricePerMillion({ ...usage, lambda: lambda(() => 512) }),
  };
}

/**
 * Application and metric log lines of one SMS event with its reports, in bytes as CloudWatch ingests them: the
 * lines the local server logged in the run (else the assumed ones), each with the keys Powertools adds in Lambda,
 * plus one EMF line per invocation that counted something (ingest, a tenth of a worker batch, the final report).
 */
export function logUsagePerEvent(events: number, logs?: LogUsage): { lines: number; bytes: number; measured: boolean } {
  const a = COST_ASSUMPTIONS;
  const r = a.deliveryReportsPerSms;
  const measured = logs !== undefined && logs.lines > 0;
  const appLines = measured
    ? logs.lines / Math.max(1, events)
    : a.appLogLinesPerEvent.ingest + a.appLogLinesPerEvent.worker;
  const appBytes = measured ? logs.bytes / Math.max(1, events) : appLines * a.appLogBytesPerLine;
  const reportLines = r * a.appLogLinesPerDeliveryReport;
  const lambdaKeys = (appLines + reportLines) * lambdaLineOverheadBytes();
  const m = a.metricsPerInvocation;
  const countedReports = a.deliveryReportsWithMetricsPerSms;
  const metricLines = 1 + 1 / a.workerBatch + countedReports;
  const metricBytes =
    metricLineBytes(m.ingest) +
    metricLineBytes(m.worker) / a.workerBatch +
    countedReports * metricLineBytes(m.twilioStatus);
  return {
    lines: appLines + reportLines + metricLines,
    bytes: appBytes + reportLines * a.appLogBytesPerLine + lambdaKeys + metricBytes,
    measured,
  };
}

/** The measured part alone (ingest + worker of one SMS event), per operation, for the notes. */
export function perEventOperations(counts: RequestCounts, events: number): Record<string, number> {
  return Object.fromEntries(
    Object.entries(counts)
      .filter(([op]) => !op.includes(':'))
      .map(([op, c]) => [op, Math.round((c.requests / Math.max(1, events)) * 100) / 100]),
  );
}
