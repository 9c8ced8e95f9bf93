import type { StoredEvent } from './model';
import { gatherSmsData } from './sms-data';
import { hookFromStored } from './stored-event';
import {
  DEFAULT_TEMPLATES,
  renderTemplate,
  resolveTemplate,
  TEMPLATE_VARIABLES,
  templateKey,
  variablesOf,
} from './templates';

/**
 * Templates as an operator sees them (the CLI's `templates` and `events replay --dry-run`): the effective list,
 * the names a template uses that no event provides, and previews rendered the way the worker would.
 */

export interface EffectiveTemplate {
  key: string;
  /** Undefined when the tenant silenced the key with an empty override. */
  template: string | undefined;
  source: 'tenant' | 'default';
}

/** Defaults and the tenant's overrides, one row per key, sorted. */
export function effectiveTemplates(overrides: Record<string, string>): EffectiveTemplate[] {
  const keys = [...new Set([...Object.keys(DEFAULT_TEMPLATES), ...Object.keys(overrides)])].sort();
  return keys.map((key) => ({
    key,
    template: resolveTemplate(key, overrides),
    source: Object.hasOwn(overrides, key) ? 'tenant' : 'default',
  }));
}

/** Variables a template refers to that no event fills (they render empty); `name`/`account` are the old bridge's. */
export function unknownVariables(template: string): string[] {
  return [...variablesOf(template)].filter((v) => !(v in TEMPLATE_VARIABLES) && v !== 'name' && v !== 'account');
}

/** What a template shows when there is no event to render it with. */
export function sampleView(tenantId: string, key: string): Record<string, unknown> {
  const [entity = '', action = ''] = key.split('.');
  return {
    clientName: 'Jane Doe',
    name: 'Jane Doe',
    firstName: 'Jane',
    lastName: 'Doe',
    accountNo: '000000007',
    account: '000000007',
    amount: '500',
    date: '24 October 2024',
    officeName: 'Head Office',
    tenantId,
    entity,
    action,
  };
}

/**
 * A template rendered from a stored event alone: data the worker would fetch from the sender (names, account
 * numbers missing from the body) shows as blanks.
 */
export async function renderFromStoredEvent(template: string, event: StoredEvent): Promise<string> {
  const { view } = await gatherSmsData(hookFromStored(event), { needed: variablesOf(template) });
  return renderTemplate(template, view);
}

export interface TemplatePreview {
  key: string;
  /** Undefined: no template (events of this key are stored as `ignored`). */
  template?: string;
  /** What the view came from: the stored event given, or sample data. */
  data: 'event' | 'sample';
  text?: string;
}

/** `templates preview`: the tenant's effective template for `key`, rendered with a stored event or sample data. */
export async function previewTemplate(input: {
  tenantId: string;
  key: string;
  overrides: Record<string, string>;
  event?: StoredEvent;
}): Promise<TemplatePreview> {
  const data = input.event ? 'event' : 'sample';
  const template = resolveTemplate(input.key, input.overrides);
  if (!template) return { key: input.key, data };
  const text = input.event
    ? await renderFromStoredEvent(template, input.event)
    : renderTemplate(template, sampleView(input.tenantId, input.key));
  return { key: input.key, template, data, text };
}

/** `events replay --dry-run`: the SMS a stored event would produce with the tenant's templates, if any. */
export async function previewEventSms(
  event: StoredEvent,
  overrides: Record<string, string>,
): Promise<string | undefined> {
  const template = resolveTemplate(templateKey(event.entity, event.action), overrides);
  return template ? renderFromStoredEvent(template, event) : undefined;
}
