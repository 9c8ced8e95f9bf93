/**
 * Connection/request timeouts and attempts for every AWS SDK client, sized to the function that owns it. Without
 * them the SDK waits on a stalled socket for as long as the function lives (its default has no request timeout)
 * and retries 3 times, so one slow call could spend a whole invocation. Each function's worst case (every call
 * timing out on every attempt) stays inside its Lambda timeout (lib/api.ts, lib/processing.ts).
 */
export interface SdkBudget {
  /** TCP+TLS connect. */
  connectionTimeoutMs: number;
  /** One request, from sent to the full response. */
  requestTimeoutMs: number;
  /** Attempts in all (first try included). */
  maxAttempts: number;
}

export type AwsService = 'dynamodb' | 'sqs' | 'secretsManager' | 'eventBridge' | 'lambda' | 'smsVoice';
export type FunctionName = 'ingest' | 'register' | 'admin' | 'twilioStatus' | 'worker' | 'sweeper';

const QUICK: SdkBudget = { connectionTimeoutMs: 300, requestTimeoutMs: 1200, maxAttempts: 2 };
const INTERACTIVE: SdkBudget = { connectionTimeoutMs: 1000, requestTimeoutMs: 2000, maxAttempts: 3 };
const BACKGROUND: SdkBudget = { connectionTimeoutMs: 1000, requestTimeoutMs: 3000, maxAttempts: 3 };

/**
 * Ingest (10 s): the key lookup, the events put and the enqueue (or, when the put fails, the fallback send) are
 * at most three sequential calls of 2 × (0.3 + 1.2) s = 9 s. Register/admin (20 s) and twilio-status (10 s) answer a person or
 * Twilio; the worker and sweeper (60 s) can afford patience.
 */
/**
 * Ingest hands `//configuration` and the like to the function serving the canonical path (Lambda Invoke), once,
 * with what is left of its 10 s: the delegated call is the only call that request makes.
 */
const DELEGATION: SdkBudget = { connectionTimeoutMs: 500, requestTimeoutMs: 9000, maxAttempts: 1 };

const uniform = (budget: SdkBudget): Record<AwsService, SdkBudget> => ({
  dynamodb: budget,
  sqs: budget,
  secretsManager: budget,
  eventBridge: budget,
  lambda: budget,
  // One attempt whatever the budget says: AwsSmsSender never lets the SDK re-send a text.
  smsVoice: budget,
});

export const SDK_BUDGETS: Record<FunctionName, Record<AwsService, SdkBudget>> = {
  ingest: { ...uniform(QUICK), lambda: DELEGATION },
  twilioStatus: uniform(QUICK),
  register: uniform(INTERACTIVE),
  admin: uniform(INTERACTIVE),
  worker: uniform(BACKGROUND),
  sweeper: uniform(BACKGROUND),
};

/** The client config fragment every SDK v3 client accepts (the Node handler takes its options as a plain object). */
export function sdkClientConfig(budget: SdkBudget): {
  maxAttempts: number;
  requestHandler: { connectionTimeout: number; requestTimeout: number; throwOnRequestTimeout: true };
} {
  return {
    maxAttempts: budget.maxAttempts,
    requestHandler: {
      connectionTimeout: budget.connectionTimeoutMs,
      requestTimeout: budget.requestTimeoutMs,
      // Without it the current Node handler only logs a warning when the request timeout passes, and keeps waiting.
      throwOnRequestTimeout: true,
    },
  };
}

/** Worst case of one call under a budget (every attempt times out), for the budget test. */
export function worstCaseMs(budget: SdkBudget): number {
  return budget.maxAttempts * (budget.connectionTimeoutMs + budget.requestTimeoutMs);
}

export function clientConfigFor(fn: FunctionName, service: AwsService) {
  return sdkClientConfig(SDK_BUDGETS[fn][service]);
}
