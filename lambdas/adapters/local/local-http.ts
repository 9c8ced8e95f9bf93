import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { type FunctionKey, matchRoute } from '../../core/routes';

export type HttpLambda = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * Requests being answered right now, counted from when their body has arrived (a slow or stalled upload is not
 * work the local worker should step aside for); `onIdle` fires when the count drops to zero.
 */
export interface RequestTracker {
  active: number;
  /** When the last request finished (Date.now()); 0 before the first. */
  lastDoneAt?: number;
  onIdle?: () => void;
}

/**
 * node:http → API Gateway HTTP API (payload v2) → the real handlers. Routing mirrors the deployed API: the route
 * table picks the function, anything else goes to the ingest function (API Gateway's `$default`).
 */
/** Bounds on a client's time, so slow or stalled clients cannot hold connections open for long. */
export const LOCAL_HEADERS_TIMEOUT_MS = 10_000;
export const LOCAL_REQUEST_TIMEOUT_MS = 30_000;

export function createLocalHttpServer(
  handlers: Record<FunctionKey, HttpLambda>,
  options: { maxBodyBytes: number; tracker?: RequestTracker; headersTimeoutMs?: number; requestTimeoutMs?: number },
): Server {
  const tracker = options.tracker ?? { active: 0 };
  const server = createServer((req, res) => {
    let counted = false;
    const arrived = () => {
      counted = true;
      tracker.active++;
    };
    void serve(req, res, handlers, options.maxBodyBytes, arrived)
      .catch((error: unknown) => {
        process.stderr.write(`local server error: ${error instanceof Error ? error.message : String(error)}\n`);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'internal_error', message: 'Internal error' } }));
      })
      .finally(() => {
        if (!counted) return;
        tracker.active--;
        tracker.lastDoneAt = Date.now();
        if (tracker.active === 0) tracker.onIdle?.();
      });
  });
  server.requestTimeout = options.requestTimeoutMs ?? LOCAL_REQUEST_TIMEOUT_MS;
  // Node refuses a headers timeout longer than the request timeout.
  server.headersTimeout = Math.min(options.headersTimeoutMs ?? LOCAL_HEADERS_TIMEOUT_MS, server.requestTimeout);
  return server;
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    // Keep one byte past the limit so the handler can answer 413; drop the rest unbuffered.
    if (size <= limit) chunks.push(chunk.subarray(0, limit + 1 - size));
    size += chunk.length;
  }
  return Buffer.concat(chunks);
}

async function serve(
  req: IncomingMessage,
  res: ServerResponse,
  handlers: Record<FunctionKey, HttpLambda>,
  maxBodyBytes: number,
  arrived: () => void,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://local');
  const body = await readBody(req, maxBodyBytes);
  arrived();
  const method = (req.method ?? 'GET').toUpperCase();
  let fn: FunctionKey = 'ingest';
  let routeKey = '$default';
  let pathParameters: Record<string, string> | undefined;
  try {
    const match = matchRoute(method, url.pathname);
    fn = match.route.fn;
    routeKey = `${match.route.method} ${match.route.path}`;
    pathParameters = match.params;
  } catch {
    // 404/405 are answered by the ingest function, as behind API Gateway.
  }
  const headers: Record<string, string> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!.toLowerCase();
    const value = req.rawHeaders[i + 1]!;
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  // As API Gateway v2 does: the Cookie header becomes `event.cookies`, one `name=value` each.
  const cookies = headers.cookie
    ?.split(';')
    .map((c) => c.trim())
    .filter(Boolean);
  delete headers.cookie;
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
  const now = Date.now();
  const requestId = randomUUID();
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    queryStringParameters: Object.keys(query).length ? query : undefined,
    ...(cookies?.length ? { cookies } : {}),
    pathParameters,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey,
      stage: '$default',
      time: new Date(now).toISOString(),
      timeEpoch: now,
    },
    body: body.length ? body.toString('base64') : undefined,
    isBase64Encoded: body.length > 0,
  };
  const result = await handlers[fn](event, lambdaContext(fn, requestId));
  const responseHeaders: Record<string, string | number | string[]> = { ...(result.headers as Record<string, string>) };
  if (result.cookies?.length) responseHeaders['set-cookie'] = result.cookies;
  const payload = result.body ? Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8') : Buffer.alloc(0);
  responseHeaders['content-length'] = payload.length;
  res.writeHead(result.statusCode ?? 200, responseHeaders);
  res.end(method === 'HEAD' ? undefined : payload);
}

function lambdaContext(fn: string, requestId: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `local-${fn}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:local-${fn}`,
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: `/local/${fn}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 30_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}
