import { fromApiGatewayEvent, toApiGatewayResult } from '../../lambdas/adapters/apigw';
import { Authenticator, hashApiKey, issueApiKey } from '../../lambdas/core/api-keys';
import {
  authoriseTenantRequest,
  consoleLinkUrl,
  createConsoleLink,
  handleCreateSession,
  handleGetSession,
  parseLinkTtl,
  SESSION_COOKIE,
} from '../../lambdas/core/console-session';
import { AppError } from '../../lambdas/core/errors';
import type { HttpRequest } from '../../lambdas/core/http';
import { apiEvent } from '../helpers/apigw-events';
import { CapturingLogger } from '../helpers/capturing-logger';
import { FakeClock } from '../helpers/fake-clock';
import { httpRequest, MemoryConsoleSessionStore, MemoryTenantStore } from '../helpers/memory-ports';

const HOST = 'hooks.example.org';
const SAME_ORIGIN = { host: HOST, origin: `https://${HOST}`, 'content-type': 'application/json', 'x-fhr-console': '1' };

function world() {
  const clock = new FakeClock();
  const sessions = new MemoryConsoleSessionStore();
  const tenants = new MemoryTenantStore();
  const logger = new CapturingLogger();
  return { clock, sessions, tenants, logger, auth: new Authenticator(tenants, clock, 0) };
}

type World = ReturnType<typeof world>;

async function signIn(w: World, role: 'viewer' | 'editor' = 'editor'): Promise<string> {
  const { token } = await createConsoleLink(w, { tenantId: 'default', role, ttlMs: 15 * 60_000 });
  const response = await handleCreateSession(
    httpRequest({ method: 'POST', path: '/console/session', headers: SAME_ORIGIN, body: JSON.stringify({ token }) }),
    w,
  );
  return /^__Host-fhr_console=([^;]+);/.exec(response.cookies![0]!)![1]!;
}

function withCookie(request: HttpRequest, session: string): HttpRequest {
  return { ...request, cookies: [`other=1`, `${SESSION_COOKIE}=${session}`] };
}

async function refusal(promise: Promise<unknown>): Promise<{ statusCode: number; code: string } | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    if (error instanceof AppError) return { statusCode: error.statusCode, code: error.code };
    throw error;
  }
}

describe('console links and sessions', () => {
  it('stores only hashes; a link makes one session and is then gone', async () => {
    // Prepare
    const w = world();
    const { token } = await createConsoleLink(w, { tenantId: 'default', role: 'viewer', ttlMs: 60_000 });
    const body = JSON.stringify({ token });
    const exchange = () =>
      handleCreateSession(httpRequest({ method: 'POST', path: '/console/session', headers: SAME_ORIGIN, body }), w);

    // Act
    const first = await exchange();
    const second = await refusal(exchange());

    // Assess
    expect(first.statusCode).toBe(200);
    expect(first.cookies![0]).toMatch(/; Secure; HttpOnly; SameSite=Strict$/);
    expect(second).toEqual({ statusCode: 401, code: 'session_expired' });
    expect([...w.sessions.links.keys()]).toEqual([]);
    const stored = [...w.sessions.sessions.values()];
    expect(stored).toHaveLength(1);
    expect(JSON.stringify(stored)).not.toContain(token);
    expect(w.sessions.sessions.has(hashApiKey(/=([^;]+)/.exec(first.cookies![0]!)![1]!))).toBe(true);
  });

  it('refuses an expired link, and a session after it expires', async () => {
    // Prepare
    const w = world();
    const { token } = await createConsoleLink(w, { tenantId: 'default', role: 'viewer', ttlMs: 60_000 });
    const session = await signIn(w);
    w.clock.advanceSeconds(61);
    const late = handleCreateSession(
      httpRequest({ method: 'POST', headers: SAME_ORIGIN, body: JSON.stringify({ token }) }),
      w,
    );

    // Act
    const refusedLink = await refusal(late);
    const stillIn = await handleGetSession(withCookie(httpRequest({}), session), w);
    w.clock.advanceSeconds(8 * 3600);
    const refusedSession = await refusal(handleGetSession(withCookie(httpRequest({}), session), w));

    // Assess
    expect(refusedLink).toEqual({ statusCode: 401, code: 'session_expired' });
    expect(stillIn.statusCode).toBe(200);
    expect(refusedSession).toEqual({ statusCode: 401, code: 'session_expired' });
  });

  it('lets a viewer read, an editor change, nobody another tenant; unsafe requests need the CSRF proofs', async () => {
    // Prepare
    const w = world();
    const viewer = await signIn(w, 'viewer');
    const editor = await signIn(w, 'editor');
    const get = httpRequest({ method: 'GET', params: { tenantId: 'default' }, headers: { host: HOST } });
    const post = httpRequest({ method: 'POST', params: { tenantId: 'default' }, headers: SAME_ORIGIN });
    const check = (request: HttpRequest, session: string, access: 'read' | 'write') =>
      refusal(authoriseTenantRequest(withCookie(request, session), w, undefined, access));

    // Act
    const results = {
      viewerReads: await check(get, viewer, 'read'),
      viewerWrites: await check(post, viewer, 'write'),
      editorWrites: await check(post, editor, 'write'),
      otherTenant: await check({ ...get, params: { tenantId: 'other' } }, editor, 'read'),
      noHeader: await check({ ...post, headers: { ...SAME_ORIGIN, 'x-fhr-console': '' } }, editor, 'write'),
      formType: await check({ ...post, headers: { ...SAME_ORIGIN, 'content-type': 'text/plain' } }, editor, 'write'),
      crossSite: await check({ ...post, headers: { ...SAME_ORIGIN, origin: 'https://evil.example' } }, editor, 'write'),
      noSession: await refusal(authoriseTenantRequest(get, w, undefined, 'read')),
    };

    // Assess
    expect(results).toEqual({
      viewerReads: undefined,
      viewerWrites: { statusCode: 403, code: 'role_insufficient' },
      editorWrites: undefined,
      otherTenant: { statusCode: 403, code: 'tenant_mismatch' },
      noHeader: { statusCode: 403, code: 'csrf_refused' },
      formType: { statusCode: 403, code: 'csrf_refused' },
      crossSite: { statusCode: 403, code: 'csrf_refused' },
      noSession: { statusCode: 401, code: 'unauthorized' },
    });
  });

  it('still takes the admin key when one is presented', async () => {
    // Prepare
    const w = world();
    const { key } = await issueApiKey(w.tenants, w.clock, 'default', { label: 'test' });
    const request = httpRequest({ method: 'POST', params: { tenantId: 'default' } });

    // Act
    const tenantId = await authoriseTenantRequest(request, w, key, 'write');

    // Assess
    expect(tenantId).toBe('default');
  });

  it('parses link lifetimes from 1 minute to 24 hours and builds the fragment URL', () => {
    // Act / Assess
    expect(parseLinkTtl('15m')).toBe(900_000);
    expect(parseLinkTtl('24h')).toBe(86_400_000);
    for (const bad of ['30s', '2d', '15', 'soon']) expect(() => parseLinkTtl(bad)).toThrow(/--ttl/);
    expect(consoleLinkUrl('https://x.example/', 'fcl_abc')).toBe('https://x.example/console#login=fcl_abc');
  });
});

describe('API Gateway v2 cookies', () => {
  it('reads event.cookies and answers every Set-Cookie in the cookies array', () => {
    // Prepare
    const event = { ...apiEvent('GET', '/console/session'), cookies: ['a=1', `${SESSION_COOKIE}=fcs_x`] };

    // Act
    const request = fromApiGatewayEvent(event);
    const result = toApiGatewayResult({ statusCode: 200, headers: {}, body: '', cookies: ['a=1', 'b=2'] });

    // Assess
    expect(request.cookies).toEqual(['a=1', `${SESSION_COOKIE}=fcs_x`]);
    expect(result.cookies).toEqual(['a=1', 'b=2']);
  });
});
