/**
 * What an event's SMS says and to whom: the template (tenant override, default, or the verbatim `sms/send`
 * message), the data it needs (the event first, the sender's API for the rest), the rendered text and the
 * recipient in E.164. No sending here (sms-delivery.ts).
 */
import type { HookEvent } from './hook-parser';
import type { EventStatus, TenantConfig } from './model';
import { toE164 } from './phone';
import type { FineractClient, TenantStore } from './ports';
import { maskPhone } from './redaction';
import { gatherSmsData } from './sms-data';
import { renderTemplate, resolveTemplate, SMS_SEND_KEY, templateKey, variablesOf } from './templates';
import { normaliseApiBase } from './url-policy';

/** No SMS for this event: the final status to record and a note for operators. */
export interface NoSms {
  kind: 'none';
  status: EventStatus;
  note: string;
}

/** The template an event is texted with; none for `sms/send`, whose message the sender already rendered. */
export interface SmsTemplateChoice {
  kind: 'template';
  key: string;
  template?: string;
}

export interface ComposedSms {
  kind: 'sms';
  key: string;
  /** E.164. */
  to: string;
  body: string;
  /** Which sender APIs were called for data, for the event's outcome. */
  callbacks: string[];
}

/** The tenant's override or the default for ENTITY.ACTION; `sms/send` needs none. */
export async function chooseSmsTemplate(
  hook: HookEvent,
  tenants: Pick<TenantStore, 'getTemplates'>,
): Promise<SmsTemplateChoice | NoSms> {
  if (hook.shape === 'sms-send') return { kind: 'template', key: SMS_SEND_KEY };
  const key = templateKey(hook.entity, hook.action);
  const template = resolveTemplate(key, await tenants.getTemplates(hook.tenantId));
  if (!template) return { kind: 'none', status: 'ignored', note: `no SMS template for ${key}` };
  return { kind: 'template', key, template };
}

export interface ComposeInput {
  hook: HookEvent;
  tenant: TenantConfig;
  choice: SmsTemplateChoice;
  /** The sender's API credential, for the data the event does not carry. */
  mifosToken?: string;
}

/** Renders the text and resolves the recipient; Fineract errors propagate as DownstreamError for the retry policy. */
export async function composeSms(
  input: ComposeInput,
  deps: { fineract: FineractClient },
): Promise<ComposedSms | NoSms> {
  const { hook, tenant, choice } = input;
  let body: string;
  let mobileNo: unknown;
  let callbacks: string[] = [];
  if (choice.template === undefined) {
    body = String(hook.body.message ?? '').trim();
    mobileNo = hook.body.mobileNo;
  } else {
    const apiBase = tenant.apiBase ?? (tenant.endpoint ? normaliseApiBase(tenant.endpoint) : undefined);
    const data = await gatherSmsData(hook, {
      needed: variablesOf(choice.template),
      fineract: apiBase
        ? { client: deps.fineract, apiBase, auth: { tenantId: hook.tenantId, mifosToken: input.mifosToken } }
        : undefined,
    });
    body = renderTemplate(choice.template, data.view);
    mobileNo = data.mobileNo;
    callbacks = data.callbacks;
  }

  const recipient = toE164(mobileNo, tenant.defaultCountry);
  if (!recipient.ok) {
    return recipient.reason === 'missing'
      ? { kind: 'none', status: 'no-recipient', note: 'the client has no mobile number' }
      : { kind: 'none', status: 'invalid-recipient', note: `not a phone number: ${maskPhone(String(mobileNo))}` };
  }
  if (body === '') return { kind: 'none', status: 'ignored', note: 'the rendered message is empty' };
  return { kind: 'sms', key: choice.key, to: recipient.e164, body, callbacks };
}
