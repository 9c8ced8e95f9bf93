import { MethodNotAllowedError, NotFoundError } from './errors';

/**
 * The one route table. The local server dispatches with it, the CDK stack builds API Gateway routes from it, and
 * the ingest function answers 404/405 for anything else (it is API Gateway's $default route).
 */
export type FunctionKey = 'ingest' | 'register' | 'admin' | 'twilioStatus';
export type Operation =
  | 'ping'
  | 'ingest'
  | 'register'
  | 'getConfig'
  | 'deleteConfig'
  | 'listEvents'
  | 'resendEvents'
  | 'twilioStatus'
  | 'africastalkingStatus'
  | 'createTarget'
  | 'listTargets'
  | 'deleteTarget'
  | 'rotateTargetSecret'
  | 'testTarget'
  | 'getEvent'
  | 'findEvents'
  | 'traceEvent'
  | 'consolePage'
  | 'consoleAsset'
  | 'createSession'
  | 'getSession'
  | 'deleteSession'
  | 'listTemplates'
  | 'saveTemplate'
  | 'previewTemplate'
  | 'resendEvent'
  | 'disableTarget';

/** The functions ingest hands a request to when API Gateway sent it a path variant of theirs ($default). */
export type DelegateKey = Exclude<FunctionKey, 'ingest'>;

/** The environment variable on ingest naming each of those functions (lib/api.ts sets them). */
export const DELEGATE_ENV: Record<DelegateKey, string> = {
  register: 'REGISTER_FUNCTION_NAME',
  admin: 'ADMIN_FUNCTION_NAME',
  twilioStatus: 'TWILIO_STATUS_FUNCTION_NAME',
};

export interface RouteDef {
  method: 'GET' | 'POST' | 'DELETE';
  /** API Gateway syntax: `{name}` is one path segment. */
  path: string;
  operation: Operation;
  fn: FunctionKey;
}

// docs/protocol.md §4: senders hit `/modules/sms`, `/modules/sms/`, the host root, and `{prefix}/configuration` or the
// root `/configuration`, depending on version. Web hooks carry their key in the path (the template has no header).
const INGEST_PATHS = ['/', '/modules/sms', '/modules/sms/', '/hooks/{apiKey}', '/hooks/{apiKey}/'];

export const ROUTES: readonly RouteDef[] = [
  ...INGEST_PATHS.flatMap((path): RouteDef[] => [
    { method: 'GET', path, operation: 'ping', fn: 'ingest' },
    { method: 'POST', path, operation: 'ingest', fn: 'ingest' },
  ]),
  { method: 'POST', path: '/configuration', operation: 'register', fn: 'register' },
  { method: 'POST', path: '/modules/sms/configuration', operation: 'register', fn: 'register' },
  { method: 'GET', path: '/modules/sms/configuration/{tenantId}', operation: 'getConfig', fn: 'admin' },
  { method: 'DELETE', path: '/modules/sms/configuration/{tenantId}', operation: 'deleteConfig', fn: 'admin' },
  { method: 'GET', path: '/modules/sms/events/{tenantId}', operation: 'listEvents', fn: 'admin' },
  { method: 'POST', path: '/modules/sms/events/{tenantId}/_resend', operation: 'resendEvents', fn: 'admin' },
  { method: 'POST', path: '/twilio/status/{tenantId}/{messageId}', operation: 'twilioStatus', fn: 'twilioStatus' },
  // Africa's Talking posts every delivery report of an account to one URL (set in their dashboard): per tenant.
  {
    method: 'POST',
    path: '/africastalking/status/{tenantId}',
    operation: 'africastalkingStatus',
    fn: 'twilioStatus',
  },
  // The tenant API for forwarding (tenant-api.ts), served by the admin function with the tenant's admin key.
  ...(
    [
      ['POST', '/targets', 'createTarget'],
      ['GET', '/targets', 'listTargets'],
      ['DELETE', '/targets/{targetId}', 'deleteTarget'],
      ['POST', '/targets/{targetId}/rotate-secret', 'rotateTargetSecret'],
      ['POST', '/targets/{targetId}/test', 'testTarget'],
      ['GET', '/events/{eventId}', 'getEvent'],
      ['GET', '/events', 'findEvents'],
      ['GET', '/events/{eventId}/trace', 'traceEvent'],
    ] as const
  ).map(
    ([method, path, operation]): RouteDef => ({ method, path: `/tenants/{tenantId}${path}`, operation, fn: 'admin' }),
  ),
  // The web console (issue 15): its page, assets and session on the admin function, same origin as the API it calls.
  ...(
    [
      ['GET', '/console', 'consolePage'],
      ['GET', '/console/assets/{file}', 'consoleAsset'],
      ['POST', '/console/session', 'createSession'],
      ['GET', '/console/session', 'getSession'],
      ['DELETE', '/console/session', 'deleteSession'],
      ['GET', '/tenants/{tenantId}/templates', 'listTemplates'],
      ['POST', '/tenants/{tenantId}/templates/{key}', 'saveTemplate'],
      ['POST', '/tenants/{tenantId}/templates/{key}/preview', 'previewTemplate'],
      ['POST', '/tenants/{tenantId}/events/{eventId}/resend', 'resendEvent'],
      ['POST', '/tenants/{tenantId}/targets/{targetId}/disable', 'disableTarget'],
    ] as const
  ).map(([method, path, operation]): RouteDef => ({ method, path, operation, fn: 'admin' })),
];

export interface RouteMatch {
  route: RouteDef;
  params: Record<string, string>;
}

/**
 * Senders build URLs by string concatenation (`{Payload URL}/configuration` with a Payload URL that already ends
 * in `/`), so double slashes and a trailing slash must not change the meaning.
 */
export function canonicalPath(path: string): string {
  const collapsed = path.replace(/\/{2,}/g, '/');
  if (collapsed.length > 1 && collapsed.endsWith('/')) return collapsed.slice(0, -1);
  return collapsed || '/';
}

function matchPattern(pattern: string, path: string): Record<string, string> | undefined {
  const want = canonicalPath(pattern).split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (w.startsWith('{') && w.endsWith('}')) {
      if (g === '') return undefined;
      try {
        params[w.slice(1, -1)] = decodeURIComponent(g);
      } catch {
        return undefined;
      }
    } else if (w !== g) {
      return undefined;
    }
  }
  return params;
}

/** Throws NotFoundError / MethodNotAllowedError with messages an admin can act on. */
export function matchRoute(method: string, rawPath: string): RouteMatch {
  const path = canonicalPath(rawPath.split('?')[0] ?? '/');
  const upper = method.toUpperCase();
  const allowed = new Set<string>();
  for (const route of ROUTES) {
    const params = matchPattern(route.path, path);
    if (!params) continue;
    if (route.method === upper || (upper === 'HEAD' && route.method === 'GET')) return { route, params };
    allowed.add(route.method);
  }
  if (allowed.size > 0) throw new MethodNotAllowedError(upper, path, [...allowed]);
  throw new NotFoundError(
    `Nothing is served at ${path}. Hook events go to /modules/sms/ (SMS Bridge) or /hooks/{apiKey}/ (Web hook); registration to /configuration.`,
  );
}
