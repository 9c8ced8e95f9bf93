import { type EventUsage, pricePerMillion, readUnits, sqsRequests, writeUnits } from '../../bench/pricing';

const none: EventUsage = {
  httpApiRequests: 0,
  lambda: [],
  dynamoWru: 0,
  dynamoRru: 0,
  sqsRequests: 0,
  secretsCalls: 0,
  logBytes: 0,
};

describe('pricePerMillion (us-east-1 list prices)', () => {
  it('prices each line item on its own', () => {
    // Act
    const price = pricePerMillion({
      httpApiRequests: 3,
      lambda: [],
      dynamoWru: 2,
      dynamoRru: 4,
      sqsRequests: 5,
      secretsCalls: 1,
      logBytes: 1024,
    });

    // Assess
    expect(price.httpApi).toBeCloseTo(3, 10);
    expect(price.dynamoWrites).toBeCloseTo(1.25, 10);
    expect(price.dynamoReads).toBeCloseTo(0.5, 10);
    expect(price.sqs).toBeCloseTo(2, 10);
    expect(price.secrets).toBeCloseTo(5, 10);
    // 1 KB × 1e6 = 0.9537 GB at $0.50
    expect(price.logs).toBeCloseTo(0.476837, 5);
    expect(price.total).toBeCloseTo(3 + 1.25 + 0.5 + 2 + 5 + 0.476837, 5);
  });

  it('bills Lambda per invocation and per GB-second with the duration rounded up to 1 ms', () => {
    // Act: 1 GB for 99.2 ms → 0.1 GB-s per event, 100 000 GB-s per million
    const price = pricePerMillion({ ...none, lambda: [{ fn: 'x', invocations: 1, durationMs: 99.2, memoryMb: 1024 }] });
    // 0.5 invocation at 256 MB for 40 ms → 0.005 GB-s per event
    const half = pricePerMillion({ ...none, lambda: [{ fn: 'y', invocations: 0.5, durationMs: 40, memoryMb: 256 }] });

    // Assess
    expect(price.lambdaRequests).toBeCloseTo(0.2, 10);
    expect(price.lambdaCompute).toBeCloseTo(1.33334, 5);
    expect(half.lambdaRequests).toBeCloseTo(0.1, 10);
    expect(half.lambdaCompute).toBeCloseTo(0.066667, 6);
  });
});

describe('capacity units from item sizes', () => {
  it('writes 1 WRU per started KB, once more per index the item lands in', () => {
    expect(writeUnits(100)).toBe(1);
    expect(writeUnits(1024)).toBe(1);
    expect(writeUnits(1025)).toBe(2);
    expect(writeUnits(1500, 2)).toBe(6);
  });

  it('reads per started 4 KB: 1 RRU strongly consistent, 0.5 eventually consistent', () => {
    expect(readUnits(10, true)).toBe(1);
    expect(readUnits(10, false)).toBe(0.5);
    expect(readUnits(8193, false)).toBe(1.5);
  });

  it('counts one SQS request per started 64 KB', () => {
    expect(sqsRequests(2000)).toBe(1);
    expect(sqsRequests(65_537)).toBe(2);
  });
});
