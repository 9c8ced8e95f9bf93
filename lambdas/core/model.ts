/** Shared domain vocabulary. */

export type HookSource = 'mifosx' | 'fineract';
/** sms-bridge: carries an API-key header; web: the stock Web template (no key header). */
export type HookTemplate = 'sms-bridge' | 'web';
/** Structure of the body, whatever its encoding. */
export type BodyShape = 'flat' | 'envelope' | 'failed-envelope' | 'sms-send' | 'empty';
export type BodyEncoding = 'json' | 'form';

export const ID_FIELDS = [
  'commandId',
  'officeId',
  'groupId',
  'clientId',
  'loanId',
  'savingsId',
  'resourceId',
  'subResourceId',
  'transactionId',
] as const;
export type IdField = (typeof ID_FIELDS)[number];
export type HookIds = Partial<Record<IdField, number | string>>;

/**
 * Event lifecycle. `received`/`processing`/`retrying` are in flight; every other status is final.
 * `failed` and `dead` can be re-driven by an operator (`_resend`, `cli events resend`).
 */
export const EVENT_STATUSES = [
  'received',
  'processing',
  'retrying',
  'sent',
  'ignored',
  'failed-command',
  'no-recipient',
  'invalid-recipient',
  'failed',
  'dead',
] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];
export const FINAL_STATUSES: ReadonlySet<EventStatus> = new Set([
  'sent',
  'ignored',
  'failed-command',
  'no-recipient',
  'invalid-recipient',
  'failed',
  'dead',
]);
export const RESENDABLE_STATUSES: readonly EventStatus[] = ['failed', 'dead'];

export function isFinal(status: EventStatus): boolean {
  return FINAL_STATUSES.has(status);
}
