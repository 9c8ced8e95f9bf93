/**
 * The shapes of the identifiers we accept from senders and operators. Checked at every door (registration, the
 * CLI, secret stores, Twilio adapters) against these, so no two doors disagree.
 */

/** A tenant id as MifosX/Fineract names tenants; safe in DynamoDB keys, URL paths and secret names. */
export const TENANT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** Twilio Account SID: `AC` and 32 hex digits. */
const TWILIO_ACCOUNT_SID_PATTERN = /^AC[0-9a-f]{32}$/i;
/** Twilio Messaging Service SID: `MG` and 32 hex digits. */
const TWILIO_MESSAGING_SERVICE_SID_PATTERN = /^MG[0-9a-f]{32}$/i;

export function isTenantId(value: string): boolean {
  return TENANT_ID_PATTERN.test(value);
}

export function isTwilioAccountSid(value: string): boolean {
  return TWILIO_ACCOUNT_SID_PATTERN.test(value);
}

export function isMessagingServiceSid(value: string): boolean {
  return TWILIO_MESSAGING_SERVICE_SID_PATTERN.test(value);
}
