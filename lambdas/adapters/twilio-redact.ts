/**
 * Redaction helpers for Twilio-facing adapters. No SDK import: safe to use from any bundle.
 */

/** `+254712345678` → `+2547******78`: enough to recognise a number, not enough to dial it. */
export function maskPhoneNumber(value: string): string {
  const s = value.trim();
  if (s.length <= 4) return '*'.repeat(s.length);
  const keepStart = s.length >= 10 ? 5 : 2;
  const keepEnd = 2;
  return s.slice(0, keepStart) + '*'.repeat(Math.max(s.length - keepStart - keepEnd, 1)) + s.slice(-keepEnd);
}

/** `AC0123…cdef` → `AC01…cdef`. */
export function maskSid(sid: string): string {
  return sid.length > 10 ? `${sid.slice(0, 4)}…${sid.slice(-4)}` : sid;
}

const PHONE_LIKE = /\+?\d[\d\s().-]{5,}\d/g;
const MAX_MESSAGE_LENGTH = 300;

/**
 * Makes a provider's text safe for logs and error messages: removes the secrets and the message body we know of,
 * masks the recipient and anything that looks like a phone number, and bounds the length.
 */
export function scrubText(text: string, secrets: { token?: string; to?: string; body?: string } = {}): string {
  let out = String(text);
  if (secrets.token && secrets.token.length >= 4) out = out.split(secrets.token).join('[redacted]');
  if (secrets.body && secrets.body.length >= 4) out = out.split(secrets.body).join('[message body]');
  if (secrets.to) out = out.split(secrets.to).join(maskPhoneNumber(secrets.to));
  out = out.replace(PHONE_LIKE, (match) => {
    const digits = match.replace(/\D/g, '').length;
    return digits >= 9 || (match.startsWith('+') && digits >= 7) ? maskPhoneNumber(match) : match;
  });
  return out.length > MAX_MESSAGE_LENGTH ? `${out.slice(0, MAX_MESSAGE_LENGTH - 1)}…` : out;
}
