import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { type DelegateKey, matchRoute } from '../core/routes';

/** Lambda's Invoke (RequestResponse); the SDK client is loaded by the caller, so this module imports none. */
export type LambdaInvoke = (
  functionName: string,
  payload: Uint8Array,
) => Promise<{ Payload?: Uint8Array; FunctionError?: string }>;

/** Invoke over an SDK client loaded on first use: requiring it would slow every cold start of ingest. */
export function lazyLambdaInvoke(config: object): LambdaInvoke {
  let loaded: Promise<LambdaInvoke> | undefined;
  return async (functionName, payload) => {
    loaded ??= import('@aws-sdk/client-lambda').then(({ InvokeCommand, LambdaClient }) => {
      const client = new LambdaClient(config);
      return (name: string, body: Uint8Array) => client.send(new InvokeCommand({ FunctionName: name, Payload: body }));
    });
    return (await loaded)(functionName, payload);
  };
}

export type HttpDelegate = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * Hands an API Gateway event, unchanged, to another function of the stack and returns its answer. Ingest is
 * API Gateway's `$default`, so path spellings no route key matches (`//configuration` from a Payload URL ending
 * in `/`) arrive there; the function that serves the canonical path answers them, as the local server does.
 */
export function lambdaDelegate(invoke: LambdaInvoke, functionName: string): HttpDelegate {
  return async (event) => {
    const out = await invoke(functionName, new TextEncoder().encode(JSON.stringify(event)));
    const text = out.Payload ? new TextDecoder().decode(out.Payload) : '';
    if (out.FunctionError) throw new Error(`${functionName} failed (${out.FunctionError})`);
    return JSON.parse(text) as APIGatewayProxyStructuredResultV2;
  };
}

/** The functions ingest may hand a request to, by the route table's function key. */
export type Delegates = Partial<Record<DelegateKey, HttpDelegate>>;

/** The delegate serving this event's canonical path, when another function serves it. */
export function delegateFor(event: APIGatewayProxyEventV2, delegates: Delegates | undefined): HttpDelegate | undefined {
  if (!delegates) return undefined;
  try {
    const { route } = matchRoute(event.requestContext.http.method, event.rawPath);
    return route.fn === 'ingest' ? undefined : delegates[route.fn];
  } catch {
    // Unknown path or method: ingest answers the 404/405 itself.
    return undefined;
  }
}
