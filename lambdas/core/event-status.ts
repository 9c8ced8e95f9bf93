/**
 * Event lifecycle. `received`/`processing`/`retrying` are in flight; every other status is final (lifecycle.ts).
 * `failed` and `dead` can be re-driven by an operator (`_resend`, `cli events resend`).
 * Its own module, free of Node types, because the web console (lambdas/console/web) offers the same list as a filter.
 */
export const EVENT_STATUSES = [
  'received',
  'processing',
  'retrying',
  'sent',
  'forwarded',
  'ignored',
  'failed-command',
  'no-recipient',
  'invalid-recipient',
  'failed',
  'dead',
] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];
