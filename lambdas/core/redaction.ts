/**
 * What of a phone number, a SID or a provider's text may reach a log, an error message or a listing. One policy,
 * used by the core and by every adapter.
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js';

/** For logs and listings: the country calling code (when known) and the last two digits, nothing more. */
export function maskPhone(value: string | undefined): string {
  if (!value) return '';
  const digits = value.replace(/\D/g, '');
  if (digits.length <= 6) return '***';
  const parsed = value.trim().startsWith('+') ? parsePhoneNumberFromString(value.replace(/[^\d+]/g, '')) : undefined;
  const prefix = parsed ? `+${parsed.countryCallingCode}` : '';
  const hidden = digits.length - 2 - (parsed ? parsed.countryCallingCode.length : 0);
  return `${prefix}${'*'.repeat(Math.max(3, hidden))}${digits.slice(-2)}`;
}

/** `AC0123…cdef`: enough to tell two accounts apart, not to use one. Short values are hidden whole. */
export function maskSid(sid: string | undefined): string | undefined {
  if (!sid) return undefined;
  return sid.length > 8 ? `${sid.slice(0, 4)}…${sid.slice(-4)}` : '…';
}

/** Phone-number fields in a stored body: JSON (`"mobileNo":"…"` or a bare number), form and Java-map `mobileNo=…`. */
const PHONE_FIELDS =
  /("(?:mobileNo|mobileNumber|phoneNo|phoneNumber)"\s*:\s*)(?:"([^"\\]*)"|(\d+))|((?:^|[&{,]\s*)(?:mobileNo|mobileNumber|phoneNo|phoneNumber)=)([^&,}]*)/gi;

/** Listings show numbers masked like the logs do; everything else in the payload stays as received. */
export function maskPhonesInPayload(text: string): string {
  return text.replace(
    PHONE_FIELDS,
    (
      _match,
      jsonKey: string | undefined,
      quoted: string | undefined,
      bare: string | undefined,
      formKey: string,
      formValue: string,
    ) => (jsonKey !== undefined ? `${jsonKey}"${maskPhone(quoted ?? bare)}"` : `${formKey}${maskPhone(formValue)}`),
  );
}

const PHONE_LIKE = /\+?\d[\d\s().-]{5,}\d/g;
const DOTTED_QUAD = /^\d{1,3}(\.\d{1,3}){3}$/;
const MAX_TEXT_LENGTH = 300;

export interface RedactOptions {
  /** Credentials the text must not carry (tokens, passwords); values shorter than 4 characters are ignored. */
  secrets?: (string | undefined)[];
  /** The recipient we called: masked wherever it appears. */
  to?: string;
  /** The message we sent: a provider may echo it, and it is the client's business. */
  body?: string;
}

/**
 * Makes a provider's text (an error answer, an SDK message) safe for logs and error messages: removes the secrets
 * and the message body we know of, masks the recipient and anything that looks like a phone number, and bounds
 * the length.
 */
export function redactText(text: string, options: RedactOptions = {}): string {
  let out = String(text);
  for (const secret of options.secrets ?? []) {
    if (secret && secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  if (options.body && options.body.length >= 4) out = out.split(options.body).join('[message body]');
  if (options.to) out = out.split(options.to).join(maskPhone(options.to));
  out = out.replace(PHONE_LIKE, (match) => {
    if (DOTTED_QUAD.test(match)) return match; // an IPv4 address in a network error, not a number to hide
    const digits = match.replace(/\D/g, '').length;
    return digits >= 9 || (match.startsWith('+') && digits >= 7) ? maskPhone(match) : match;
  });
  return out.length > MAX_TEXT_LENGTH ? `${out.slice(0, MAX_TEXT_LENGTH - 1)}…` : out;
}
