/**
 * Counts the requests every AWS SDK client sends, per service and operation, with the DynamoDB capacity the
 * engine reports. The bench turns it on (`COUNT_AWS_REQUESTS=1` in the server's environment) to price one event;
 * in AWS the variable is unset, nothing is attached and nothing is counted.
 */

/** The part of an SDK v3 client the counter needs: its middleware stack. */
export interface CountableClient {
  // The SDK's own stack type differs per client; `never` accepts every one of them.
  middlewareStack: { add(middleware: never, options: never): void };
}

export interface OperationCount {
  requests: number;
  /** Capacity units the engine reported (ReturnConsumedCapacity TOTAL), summed; 0 when it reported none. */
  readCapacityUnits: number;
  writeCapacityUnits: number;
  /** Requests for which the engine reported no capacity (the bench then estimates from item sizes). */
  unreported: number;
  /** Bytes of the request input as JSON (DynamoDB items written are inside it). */
  requestBytes: number;
  /**
   * Items the requests acted on: one per request, except DynamoDB transactions and batches, which count their
   * items (a TransactWriteItems of two items is priced and counted as two writes, not one request).
   */
  items: number;
}

export type RequestCounts = Record<string, OperationCount>;

interface Capacity {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

const DYNAMODB_READS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);

export class RequestCounter {
  private readonly counts: RequestCounts = {};

  /**
   * Adds the counting middleware to a client (SDK v3: DynamoDB, SQS, Secrets Manager, EventBridge…). With a
   * `scope` (a function's name) each request is also counted under `{scope}:{service}.{operation}`, so one process
   * running several functions (the local server) still tells what each one sends.
   */
  attach<C extends CountableClient>(client: C, service: string, scope?: string): C {
    client.middlewareStack.add(
      ((
        next: (args: { input: Record<string, unknown> }) => Promise<{ output?: Record<string, unknown> }>,
        context: { commandName?: string },
      ) =>
        async (args: { input: Record<string, unknown> }) => {
          const operation = `${service}.${(context.commandName ?? 'Unknown').replace(/Command$/, '')}`;
          if (service === 'DynamoDB' && args.input && args.input.ReturnConsumedCapacity === undefined) {
            args.input.ReturnConsumedCapacity = 'TOTAL';
          }
          const operations = scope ? [operation, `${scope}:${operation}`] : [operation];
          const bytes = jsonBytes(args.input);
          const items = itemCount(args.input);
          for (const op of operations) {
            const entry = this.entry(op);
            entry.requests += 1;
            entry.requestBytes += bytes;
            entry.items += items;
          }
          const result = await next(args);
          for (const op of operations) this.recordCapacity(op, result.output?.ConsumedCapacity);
          return result;
        }) as never,
      { step: 'initialize', name: 'requestCounter', override: true } as never,
    );
    return client;
  }

  /** Records capacity for a response (exposed for the tests; the middleware calls it). */
  recordCapacity(operation: string, consumed: unknown): void {
    const entry = this.entry(operation);
    const list = (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) as Capacity[];
    if (list.length === 0) {
      entry.unreported += 1;
      return;
    }
    const isRead = DYNAMODB_READS.has(operation.slice(operation.lastIndexOf('.') + 1));
    for (const c of list) {
      const read = c.ReadCapacityUnits ?? (isRead ? (c.CapacityUnits ?? 0) : 0);
      const write = c.WriteCapacityUnits ?? (isRead ? 0 : (c.CapacityUnits ?? 0));
      entry.readCapacityUnits += read;
      entry.writeCapacityUnits += write;
    }
  }

  snapshot(): RequestCounts {
    return structuredClone(this.counts);
  }

  reset(): void {
    for (const key of Object.keys(this.counts)) delete this.counts[key];
  }

  private entry(operation: string): OperationCount {
    this.counts[operation] ??= {
      requests: 0,
      readCapacityUnits: 0,
      writeCapacityUnits: 0,
      unreported: 0,
      requestBytes: 0,
      items: 0,
    };
    return this.counts[operation];
  }
}

/** Counts minus an earlier snapshot: what happened in between. */
export function diffCounts(after: RequestCounts, before: RequestCounts): RequestCounts {
  const out: RequestCounts = {};
  for (const [op, a] of Object.entries(after)) {
    const b = before[op];
    const d: OperationCount = {
      requests: a.requests - (b?.requests ?? 0),
      readCapacityUnits: a.readCapacityUnits - (b?.readCapacityUnits ?? 0),
      writeCapacityUnits: a.writeCapacityUnits - (b?.writeCapacityUnits ?? 0),
      unreported: a.unreported - (b?.unreported ?? 0),
      requestBytes: a.requestBytes - (b?.requestBytes ?? 0),
      items: a.items - (b?.items ?? 0),
    };
    if (d.requests > 0) out[op] = d;
  }
  return out;
}

/** TransactItems, or the items of every table in a batch's RequestItems; 1 for any other request. */
function itemCount(input: Record<string, unknown> | undefined): number {
  if (Array.isArray(input?.TransactItems)) return input.TransactItems.length;
  const batch = input?.RequestItems;
  if (batch && typeof batch === 'object') {
    return Object.values(batch as Record<string, unknown>).reduce<number>((n, table) => {
      if (Array.isArray(table)) return n + table.length;
      const keys = (table as { Keys?: unknown[] } | null)?.Keys;
      return n + (Array.isArray(keys) ? keys.length : 0);
    }, 0);
  }
  return 1;
}

function jsonBytes(value: unknown): number {
  try {
    return Buffer.byteLength(JSON.stringify(value) ?? '');
  } catch {
    return 0;
  }
}

let processCounter: RequestCounter | undefined;

/** The process's counter when `COUNT_AWS_REQUESTS=1`, else undefined (the default: nothing attached). */
export function requestCounterFromEnv(env: NodeJS.ProcessEnv = process.env): RequestCounter | undefined {
  if (env.COUNT_AWS_REQUESTS !== '1') return undefined;
  processCounter ??= new RequestCounter();
  return processCounter;
}

/** Attaches the process's counter to a client when counting is on; returns the client either way. */
export function countRequests<C extends CountableClient>(client: C, service: string, scope?: string): C {
  return requestCounterFromEnv()?.attach(client, service, scope) ?? client;
}
