/**
 * Web console sign-in: an operator's one-time link (`cli console link`) is exchanged by the page for an opaque
 * session cookie; API calls then carry the cookie instead of an API key, so no long-lived secret ever sits in the
 * browser. Tokens are random (256 bits) and only their SHA-256 is stored, like API keys.
 */
import { randomBytes } from 'node:crypto';
import type { Authenticator } from './api-keys';
import { hashApiKey } from './api-keys';
import { BadRequestError, ForbiddenError, SessionExpiredError } from './errors';
import { header, type HttpRequest, type HttpResponse, jsonResponse } from './http';
import { assertTenantId } from './identifiers';
import type { ConsoleGrant, ConsoleRole } from './model';
import type { Clock, ConsoleSessionStore, Logger } from './ports';

/** `__Host-`: the browser only accepts it Secure, for the whole host, from this origin (no Domain). */
export const SESSION_COOKIE = '__Host-fhr_console';
/** Every unsafe console request sends it; a cross-site form or image cannot add a custom header. */
export const CSRF_HEADER = 'x-fhr-console';
export const CONSOLE_ROLES: readonly ConsoleRole[] = ['viewer', 'editor'];
export const DEFAULT_LINK_TTL_MS = 15 * 60 * 1000;
export const MAX_LINK_TTL_MS = 24 * 3600 * 1000;
/** A working day: long enough not to interrupt a shift, short enough that a forgotten tab stops working. */
export const SESSION_TTL_MS = 8 * 3600 * 1000;

export interface ConsoleSessionDeps {
  sessions: ConsoleSessionStore;
  clock: Clock;
  logger: Logger;
}

/** What a request may do: read anything of the tenant, or change it (resend, templates, targets). */
export type Access = 'read' | 'write';

const newToken = (prefix: string) => prefix + randomBytes(32).toString('base64url');

/** `15m`, `2h`, `90s`, `1d` → milliseconds, within 1 minute … 24 hours. */
export function parseLinkTtl(text: string): number {
  const match = /^(\d+)\s*([smhd])$/.exec(text.trim());
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match?.[2] as 's'];
  const ms = match ? Number(match[1]) * unit : Number.NaN;
  if (!Number.isFinite(ms) || ms < 60_000 || ms > MAX_LINK_TTL_MS) {
    throw new BadRequestError('--ttl is a duration from 1m to 24h, e.g. 15m or 2h.');
  }
  return ms;
}

/** A new one-time link token for a tenant; the caller prints it in a URL fragment and nowhere else. */
export async function createConsoleLink(
  deps: Pick<ConsoleSessionDeps, 'sessions' | 'clock'>,
  input: { tenantId: string; role: ConsoleRole; ttlMs: number },
): Promise<{ token: string; expiresAt: string }> {
  assertTenantId(input.tenantId, 'the tenant id');
  const token = newToken('fcl_');
  const now = deps.clock.now();
  const expiresAt = new Date(now.getTime() + input.ttlMs).toISOString();
  await deps.sessions.putLink({
    tokenHash: hashApiKey(token),
    tenantId: input.tenantId,
    role: input.role,
    createdAt: now.toISOString(),
    expiresAt,
  });
  return { token, expiresAt };
}

export function consoleLinkUrl(baseUrl: string, token: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/console#login=${token}`;
}

function sessionCookie(token: string, maxAgeSeconds: number): string {
  return `${SESSION_COOKIE}=${token}; Path=/; Max-Age=${maxAgeSeconds}; Secure; HttpOnly; SameSite=Strict`;
}

function cookieValue(request: HttpRequest, name: string): string | undefined {
  for (const pair of request.cookies ?? []) {
    const at = pair.indexOf('=');
    if (at > 0 && pair.slice(0, at).trim() === name) return pair.slice(at + 1).trim();
  }
  return undefined;
}

export function hasSessionCookie(request: HttpRequest): boolean {
  return cookieValue(request, SESSION_COOKIE) !== undefined;
}

/**
 * CSRF defence for cookie-authenticated changes: a JSON body (a cross-site form cannot send one without a
 * preflight), the custom header (same), and an Origin naming this host (a browser always sends it on POST).
 */
export function assertSameOriginJson(request: HttpRequest): void {
  const contentType = header(request, 'content-type') ?? '';
  const origin = header(request, 'origin');
  const host = header(request, 'host');
  let originHost: string | undefined;
  try {
    originHost = origin ? new URL(origin).host : undefined;
  } catch {
    originHost = undefined;
  }
  const site = header(request, 'sec-fetch-site');
  if (
    !/^application\/json\b/i.test(contentType) ||
    header(request, CSRF_HEADER) !== '1' ||
    !originHost ||
    originHost !== host ||
    (site !== undefined && site !== 'same-origin')
  ) {
    throw new ForbiddenError('This request did not come from the console page of this receiver.', 'csrf_refused');
  }
}

async function currentSession(request: HttpRequest, deps: ConsoleSessionDeps): Promise<ConsoleGrant> {
  const token = cookieValue(request, SESSION_COOKIE);
  if (!token) throw new SessionExpiredError();
  const session = await deps.sessions.getSession(hashApiKey(token));
  if (!session || Date.parse(session.expiresAt) <= deps.clock.now().getTime()) throw new SessionExpiredError();
  return session;
}

const isUnsafe = (method: string) => !['GET', 'HEAD', 'OPTIONS'].includes(method.toUpperCase());

/**
 * The tenant a request acts for, authorised by the tenant's admin key when it presents one, else by a console
 * session cookie (with the role and CSRF checks). Reading needs a viewer, changing an editor.
 */
export async function authoriseTenantRequest(
  request: HttpRequest,
  deps: { auth: Authenticator } & Partial<ConsoleSessionDeps>,
  presentedKey: string | undefined,
  access: Access,
): Promise<string> {
  const tenantId = assertTenantId(request.params.tenantId ?? '', 'the path');
  if (presentedKey === undefined && deps.sessions && deps.clock && deps.logger && hasSessionCookie(request)) {
    if (isUnsafe(request.method)) assertSameOriginJson(request);
    const session = await currentSession(request, deps as ConsoleSessionDeps);
    if (session.tenantId !== tenantId) {
      throw new ForbiddenError(`This console session is for another tenant than "${tenantId}".`, 'tenant_mismatch');
    }
    if (access === 'write' && session.role !== 'editor') {
      throw new ForbiddenError(
        'Your console role is viewer: ask for an editor link to change this.',
        'role_insufficient',
      );
    }
    return tenantId;
  }
  await deps.auth.authenticate(tenantId, presentedKey, 'admin');
  return tenantId;
}

/** `POST /console/session` `{"token"}`: uses up the link, answers the session as a cookie. */
export async function handleCreateSession(request: HttpRequest, deps: ConsoleSessionDeps): Promise<HttpResponse> {
  assertSameOriginJson(request);
  let token: unknown;
  try {
    token = (JSON.parse(request.body.toString('utf8')) as { token?: unknown }).token;
  } catch {
    throw new BadRequestError('The body must be JSON: {"token": "…"}.');
  }
  if (typeof token !== 'string' || !/^fcl_[A-Za-z0-9_-]{20,100}$/.test(token)) {
    throw new BadRequestError('"token" is not a console sign-in token.');
  }
  const link = await deps.sessions.takeLink(hashApiKey(token));
  const now = deps.clock.now();
  if (!link || Date.parse(link.expiresAt) <= now.getTime()) {
    throw new SessionExpiredError('This sign-in link was already used or has expired. Ask for a new one.');
  }
  const sessionToken = newToken('fcs_');
  const expiresAt = new Date(now.getTime() + SESSION_TTL_MS).toISOString();
  await deps.sessions.putSession({
    tokenHash: hashApiKey(sessionToken),
    tenantId: link.tenantId,
    role: link.role,
    createdAt: now.toISOString(),
    expiresAt,
  });
  deps.logger.info('console session started', { tenantId: link.tenantId, role: link.role });
  const response = jsonResponse(200, { tenantId: link.tenantId, role: link.role, expiresAt });
  return { ...response, cookies: [sessionCookie(sessionToken, SESSION_TTL_MS / 1000)] };
}

/** `GET /console/session`: who the page is signed in as, or 401 `session_expired`. */
export async function handleGetSession(request: HttpRequest, deps: ConsoleSessionDeps): Promise<HttpResponse> {
  const session = await currentSession(request, deps);
  return jsonResponse(200, { tenantId: session.tenantId, role: session.role, expiresAt: session.expiresAt });
}

/** `DELETE /console/session`: signs out (the stored session goes, the cookie is cleared). */
export async function handleDeleteSession(request: HttpRequest, deps: ConsoleSessionDeps): Promise<HttpResponse> {
  assertSameOriginJson(request);
  const token = cookieValue(request, SESSION_COOKIE);
  if (token) await deps.sessions.deleteSession(hashApiKey(token));
  return { statusCode: 204, headers: { 'cache-control': 'no-store' }, body: '', cookies: [sessionCookie('', 0)] };
}
