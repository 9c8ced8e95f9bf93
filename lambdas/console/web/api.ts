/**
 * The console's calls to its own origin. The session is an HttpOnly cookie the page cannot read; every change
 * sends JSON with the custom header the server requires (CSRF). A 401 `session_expired` anywhere ends the session.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let onExpired: () => void = () => {};

export function whenSessionExpires(handler: () => void): void {
  onExpired = handler;
}

export async function api<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const unsafe = method !== 'GET';
  const response = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: unsafe ? { 'content-type': 'application/json', 'x-fhr-console': '1' } : {},
    ...(unsafe ? { body: JSON.stringify(body ?? {}) } : {}),
  });
  if (response.status === 204) return undefined as T;
  const payload = (await response.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
  if (!response.ok) {
    const code = payload.error?.code ?? 'error';
    if (response.status === 401 && path !== '/console/session') onExpired();
    throw new ApiError(response.status, code, payload.error?.message ?? `HTTP ${response.status}`);
  }
  return payload as T;
}

export interface Session {
  tenantId: string;
  role: 'viewer' | 'editor';
  expiresAt: string;
}

export interface SmsSummary {
  to: string;
  status: string;
  sid: string | null;
}

export interface EventRow {
  id: string;
  entity: string;
  action: string;
  status: string;
  createdOn: string;
  sms?: SmsSummary[];
}

export interface EventPage {
  events: EventRow[];
  nextCursor: string | null;
}

export interface Delivery {
  channel: 'sms' | 'forward';
  status: string;
  error: string | null;
  // sms
  messageId?: string;
  to?: string;
  segments?: number;
  sid?: string | null;
  providerStatus?: string | null;
  encoding?: string;
  text?: string;
  attemptStartedAt?: string | null;
  updatedAt?: string;
  // forward
  targetId?: string;
  attempts?: number;
  lastStatusCode?: number | null;
  latencyMs?: number | null;
}

export interface EventDetail {
  eventId: string;
  entity: string;
  action: string;
  status: string;
  failedCommand: boolean;
  receivedAt: string;
  updatedAt?: string;
  attempts: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  source?: string;
  template?: string;
  deliveries: Delivery[];
}

export interface TemplateRow {
  key: string;
  template: string;
  source: 'tenant' | 'default';
}

export interface Preview {
  valid: boolean;
  error?: string;
  silenced?: boolean;
  text?: string;
  encoding?: 'GSM-7' | 'UCS-2';
  segments?: number;
  units?: number;
}

export interface Target {
  targetId: string;
  kind: string;
  url?: string;
  eventBusArn?: string;
  events: string[];
  includeFailed: boolean;
  format: string;
  status: string;
}
