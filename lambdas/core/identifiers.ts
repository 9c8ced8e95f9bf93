import { BadRequestError } from './errors';

/**
 * What a tenant id, entity or action may look like wherever it arrives (registration body, hook header, URL path).
 * Checked before the value reaches a store: a 3 KB tenant id would otherwise exceed DynamoDB's key size and end
 * in a 500 instead of a 400 the sender's admin can read.
 */
export const TENANT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const TENANT_ID_RULE = '1-64 letters, digits, "_" or "-"';

/** Entity and action names are Fineract command names (`CLIENT`, `SAVINGSACCOUNTCHARGE`, `sms`, `send`…). */
export const COMMAND_NAME_PATTERN = /^[A-Za-z0-9_]{1,64}$/;
export const COMMAND_NAME_RULE = '1-64 letters, digits or "_"';

/** Ids we build ourselves (`{eventId}.{ENTITY.ACTION}`) and put in callback URLs: short printable ASCII. */
const MESSAGE_ID_PATTERN = /^[\x21-\x7e]{1,256}$/;

/** Checks the tenant id of an admin or callback URL; `where` names it in the 400 (e.g. "the path"). */
export function assertTenantId(tenantId: string, where: string): string {
  if (!TENANT_ID_PATTERN.test(tenantId)) {
    throw new BadRequestError(
      `The tenant id in ${where} must be ${TENANT_ID_RULE}.`,
      { tenantIdLength: tenantId.length },
      'bad_tenant_id',
    );
  }
  return tenantId;
}

export function assertMessageId(messageId: string): string {
  if (!MESSAGE_ID_PATTERN.test(messageId)) {
    throw new BadRequestError(
      'The message id in the path is not one this receiver issues.',
      undefined,
      'bad_message_id',
    );
  }
  return messageId;
}

/**
 * A header value against its rule; the 400 names the header as the sender spelled it in the hook's family
 * (`Fineract-Platform-TenantId` or `X-Mifos-Platform-TenantId`) and never echoes the value.
 */
export function assertHeaderValue(headerName: string, value: string, pattern: RegExp, rule: string): string {
  if (!pattern.test(value)) {
    throw new BadRequestError(
      `${headerName} must be ${rule}.`,
      { header: headerName, length: value.length },
      'bad_header',
    );
  }
  return value;
}

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
