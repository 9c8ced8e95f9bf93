/**
 * The tenant API calls the web console needs beyond the listing, the event and the targets: templates (list, save,
 * live preview with the worker's own rendering code), resend of one event, disabling a target. Each takes the
 * tenant's admin key or a console session (console-session.ts), like the rest of the tenant API.
 */
import type { Authenticator } from './api-keys';
import type { ConsoleSessionDeps } from './console-session';
import { authoriseTenantRequest } from './console-session';
import { BadRequestError, ConflictError, NotFoundError } from './errors';
import { header, type HttpRequest, type HttpResponse, jsonResponse } from './http';
import { HEADERS } from './hook-parser';
import { RESENDABLE_STATUSES } from './lifecycle';
import type { StoredEvent } from './model';
import type { AdminDeps } from './admin';
import type { ConsoleAssets, EventStore, TargetStore, TenantStore } from './ports';
import type { TenantApiDeps } from './tenant-api';
import { type ReplayDeps, replayEventsBounded } from './replay';
import { countSegments } from './segments';
import { effectiveTemplates, previewTemplate, unknownVariables } from './template-preview';
import { TEMPLATE_VARIABLES, validateTemplate } from './templates';

export interface ConsoleApiDeps extends ReplayDeps, ConsoleSessionDeps {
  auth: Authenticator;
  tenants: TenantStore;
  events: EventStore;
  targets: TargetStore;
}

/** Everything the admin function serves: the old bridge's API, the tenant API and the web console. */
export type AdminFunctionDeps = AdminDeps & TenantApiDeps & ConsoleApiDeps & { consoleAssets: ConsoleAssets };

const TEMPLATE_KEY = /^[A-Z0-9_]+\.[A-Z0-9_]+$/;

/** The presented admin key, the same headers as the tenant API (tenant-api.ts). */
export function presentedKey(request: HttpRequest): string | undefined {
  const bearer = /^Bearer\s+(.+)$/i.exec(header(request, 'authorization') ?? '')?.[1];
  return header(request, ...HEADERS.apiKey) ?? bearer;
}

function templateKeyOf(request: HttpRequest): string {
  const key = (request.params.key ?? '').toUpperCase();
  if (!TEMPLATE_KEY.test(key)) throw new BadRequestError('The template key is ENTITY.ACTION, e.g. LOAN.REPAYMENT.');
  return key;
}

function jsonBody<T>(request: HttpRequest, shape: string): T {
  try {
    const value = JSON.parse(request.body.toString('utf8')) as unknown;
    if (value && typeof value === 'object') return value as T;
  } catch {
    // answered below
  }
  throw new BadRequestError(`The body must be JSON: ${shape}.`);
}

/** `GET /tenants/{t}/templates`: the effective template of each key and the variables a template may use. */
export async function handleListTemplates(request: HttpRequest, deps: ConsoleApiDeps): Promise<HttpResponse> {
  const tenantId = await authoriseTenantRequest(request, deps, presentedKey(request), 'read');
  const overrides = await deps.tenants.getTemplates(tenantId);
  return jsonResponse(200, {
    tenantId,
    templates: effectiveTemplates(overrides).map((t) => ({ ...t, template: t.template ?? '' })),
    variables: Object.keys(TEMPLATE_VARIABLES),
  });
}

/** `POST /tenants/{t}/templates/{key}` `{"template"}`: the tenant's override ("" silences the key). */
export async function handleSaveTemplate(request: HttpRequest, deps: ConsoleApiDeps): Promise<HttpResponse> {
  const tenantId = await authoriseTenantRequest(request, deps, presentedKey(request), 'write');
  const key = templateKeyOf(request);
  const { template } = jsonBody<{ template?: unknown }>(request, '{"template": "…"}');
  if (typeof template !== 'string' || template.length > 1600) {
    throw new BadRequestError('"template" must be text of at most 1600 characters.');
  }
  try {
    validateTemplate(template);
  } catch (error) {
    throw new BadRequestError(`Not a valid Mustache template: ${(error as Error).message}`, undefined, 'bad_template');
  }
  await deps.tenants.putTemplate(tenantId, key, template);
  deps.logger.info('template saved from the console', { tenantId, key });
  return jsonResponse(200, { tenantId, key, template, unknownVariables: unknownVariables(template) });
}

/**
 * `POST /tenants/{t}/templates/{key}/preview` `{"template", "eventId"?}`: renders an unsaved template the way the
 * worker would, with a stored event or sample data, and counts its segments. Reads only: a viewer may preview.
 */
export async function handlePreviewTemplate(request: HttpRequest, deps: ConsoleApiDeps): Promise<HttpResponse> {
  const tenantId = await authoriseTenantRequest(request, deps, presentedKey(request), 'read');
  const key = templateKeyOf(request);
  const input = jsonBody<{ template?: unknown; eventId?: unknown }>(request, '{"template": "…", "eventId": "…"}');
  if (typeof input.template !== 'string' || input.template.length > 1600) {
    throw new BadRequestError('"template" must be text of at most 1600 characters.');
  }
  let event: StoredEvent | undefined;
  if (typeof input.eventId === 'string' && input.eventId !== '') {
    event = /^[A-Za-z0-9_-]{1,128}$/.test(input.eventId) ? await deps.events.get(tenantId, input.eventId) : undefined;
    if (!event) throw new NotFoundError(`Tenant "${tenantId}" has no event "${input.eventId}".`);
  }
  try {
    validateTemplate(input.template);
  } catch (error) {
    return jsonResponse(200, { key, valid: false, error: (error as Error).message });
  }
  // An empty override silences the key: the preview says so instead of rendering the default.
  const preview = await previewTemplate({ tenantId, key, overrides: { [key]: input.template }, event });
  const text = preview.text ?? '';
  return jsonResponse(200, {
    key,
    valid: true,
    data: preview.data,
    silenced: preview.template === undefined,
    text,
    ...countSegments(text),
    unknownVariables: unknownVariables(input.template),
  });
}

/** `POST /tenants/{t}/events/{eventId}/resend`: re-drives one failed or dead event (sent SMS are never re-sent). */
export async function handleResendEvent(request: HttpRequest, deps: ConsoleApiDeps): Promise<HttpResponse> {
  const tenantId = await authoriseTenantRequest(request, deps, presentedKey(request), 'write');
  const eventId = request.params.eventId ?? '';
  const event = /^[A-Za-z0-9_-]{1,128}$/.test(eventId) ? await deps.events.get(tenantId, eventId) : undefined;
  if (!event) throw new NotFoundError(`Tenant "${tenantId}" has no event "${eventId}".`);
  if (!RESENDABLE_STATUSES.includes(event.status)) {
    throw new ConflictError(
      `Event "${eventId}" is ${event.status}; only failed or dead events are resent.`,
      'not_resendable',
    );
  }
  const { replayed } = await replayEventsBounded(tenantId, { eventIds: [eventId] }, deps);
  deps.logger.info('event re-driven from the console', { tenantId, eventId, count: replayed.length });
  return jsonResponse(200, { status: 'resent', tenantId, eventId, count: replayed.length });
}

/** `POST /tenants/{t}/targets/{targetId}/disable`: stops forwarding to a target, keeping it and its history. */
export async function handleDisableTarget(request: HttpRequest, deps: ConsoleApiDeps): Promise<HttpResponse> {
  const tenantId = await authoriseTenantRequest(request, deps, presentedKey(request), 'write');
  const targetId = request.params.targetId ?? '';
  const target = /^tgt_[0-9a-f]{16}$/.test(targetId) ? await deps.targets.getTarget(tenantId, targetId) : undefined;
  if (!target) throw new NotFoundError(`Tenant "${tenantId}" has no target "${targetId}".`);
  await deps.targets.disableTarget(tenantId, targetId, 'disabled by an operator', deps.clock.now().toISOString());
  deps.logger.info('forwarding target disabled', { tenantId, targetId });
  return jsonResponse(200, { targetId, status: 'disabled' });
}
