/**
 * Prices one million events at public list prices, us-east-1, arm64, on-demand, no free tier (bench/README.md,
 * "Cost per event", cites the pages). Pure: the known-answer tests in test/unit/pricing.test.ts pin it.
 */

export const PRICES_US_EAST_1 = {
  /** API Gateway HTTP API, first 300 million requests a month, per million (each 512 KB of a request is one). */
  httpApiPerMillionRequests: 1.0,
  /** Lambda arm64, per million requests. */
  lambdaPerMillionRequests: 0.2,
  /** Lambda arm64, per GB-second (billed duration rounded up to 1 ms). */
  lambdaArmPerGbSecond: 0.0000133334,
  /** DynamoDB on-demand, standard table class, per million write / read request units. */
  dynamoPerMillionWru: 0.625,
  dynamoPerMillionRru: 0.125,
  /** SQS standard queue, per million requests (each 64 KB chunk of a payload is one request). */
  sqsPerMillionRequests: 0.4,
  /** CloudWatch Logs standard ingestion, per GB. */
  logsPerGbIngested: 0.5,
  /** Secrets Manager, per 10 000 API calls. */
  secretsPer10kCalls: 0.05,
} as const;

export type Prices = typeof PRICES_US_EAST_1;

export interface LambdaUse {
  /** Function name as in lib/memory.ts. */
  fn: string;
  /** Invocations per event (a worker batch of 10 is 0.1). */
  invocations: number;
  /** Billed duration per invocation, ms (rounded up to a whole ms here). */
  durationMs: number;
  memoryMb: number;
}

/** What one event costs in requests, units and bytes. */
export interface EventUsage {
  httpApiRequests: number;
  lambda: LambdaUse[];
  dynamoWru: number;
  dynamoRru: number;
  sqsRequests: number;
  secretsCalls: number;
  logBytes: number;
}

export interface Price {
  httpApi: number;
  lambdaRequests: number;
  lambdaCompute: number;
  dynamoWrites: number;
  dynamoReads: number;
  sqs: number;
  logs: number;
  secrets: number;
  total: number;
}

const MILLION = 1_000_000;

/** Dollars for one million events of this usage. */
export function pricePerMillion(usage: EventUsage, prices: Prices = PRICES_US_EAST_1): Price {
  const invocations = usage.lambda.reduce((sum, l) => sum + l.invocations, 0);
  const gbSeconds = usage.lambda.reduce(
    (sum, l) => sum + l.invocations * (Math.ceil(l.durationMs) / 1000) * (l.memoryMb / 1024),
    0,
  );
  const parts = {
    httpApi: usage.httpApiRequests * prices.httpApiPerMillionRequests,
    lambdaRequests: invocations * prices.lambdaPerMillionRequests,
    lambdaCompute: gbSeconds * MILLION * prices.lambdaArmPerGbSecond,
    dynamoWrites: usage.dynamoWru * prices.dynamoPerMillionWru,
    dynamoReads: usage.dynamoRru * prices.dynamoPerMillionRru,
    sqs: usage.sqsRequests * prices.sqsPerMillionRequests,
    logs: ((usage.logBytes * MILLION) / 1024 ** 3) * prices.logsPerGbIngested,
    secrets: ((usage.secretsCalls * MILLION) / 10_000) * prices.secretsPer10kCalls,
  };
  const total = Object.values(parts).reduce((a, b) => a + b, 0);
  return { ...parts, total };
}

/** Write request units of one item write: 1 per started KB, per table or index the item lands in. */
export function writeUnits(itemBytes: number, indexesWritten = 0): number {
  return Math.max(1, Math.ceil(itemBytes / 1024)) * (1 + indexesWritten);
}

/** Read request units of one item read: per started 4 KB, 1 strongly consistent, 0.5 eventually consistent. */
export function readUnits(itemBytes: number, consistent: boolean): number {
  const chunks = Math.max(1, Math.ceil(itemBytes / 4096));
  return consistent ? chunks : chunks / 2;
}

/** SQS requests of one message: one per started 64 KB. */
export function sqsRequests(payloadBytes: number): number {
  return Math.max(1, Math.ceil(payloadBytes / 65_536));
}
