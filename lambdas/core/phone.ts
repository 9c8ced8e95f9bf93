import { type CountryCode, getCountryCallingCode, parsePhoneNumberFromString } from 'libphonenumber-js';

export type RecipientResult = { ok: true; e164: string } | { ok: false; reason: 'missing' | 'invalid' };

/**
 * A number as MifosX stores it (free text: `254712345678`, `+254 712 345 678`, `0712345678`, `00254…`) → E.164.
 * - with `+` or `00`: international as written;
 * - without: the tenant's default country when set (so national `07…` works), else `+` is prepended as the old
 *   bridge did (MifosX installs usually store numbers with the country code but without `+`);
 * - never `++`.
 */
export function toE164(raw: unknown, defaultCountry?: string): RecipientResult {
  if (raw === undefined || raw === null) return { ok: false, reason: 'missing' };
  const text = String(raw).trim();
  if (text === '') return { ok: false, reason: 'missing' };
  let cleaned = text.replace(/[\s().\-/]/g, '');
  if (cleaned.startsWith('00')) cleaned = `+${cleaned.slice(2)}`;
  cleaned = cleaned.replace(/^\++/, '+');
  if (!/^\+?\d{4,17}$/.test(cleaned)) return { ok: false, reason: 'invalid' };

  let parsed = undefined as ReturnType<typeof parsePhoneNumberFromString>;
  if (cleaned.startsWith('+')) {
    parsed = parsePhoneNumberFromString(cleaned);
  } else if (defaultCountry) {
    const country = resolveCountry(defaultCountry);
    parsed = country
      ? parsePhoneNumberFromString(cleaned, country)
      : parsePhoneNumberFromString(`+${defaultCountry.replace(/\D/g, '')}${cleaned.replace(/^0/, '')}`);
    // A number already carrying the country code, stored without `+`.
    if (!parsed?.isValid()) {
      const international = parsePhoneNumberFromString(`+${cleaned}`);
      if (international?.isValid()) parsed = international;
    }
  } else {
    parsed = parsePhoneNumberFromString(`+${cleaned}`);
  }
  if (!parsed?.isPossible()) return { ok: false, reason: 'invalid' };
  return { ok: true, e164: parsed.number };
}

/** Accepts `KE` or calling-code digits `254`. */
function resolveCountry(value: string): CountryCode | undefined {
  const upper = value.trim().toUpperCase();
  if (/^[A-Z]{2}$/.test(upper)) {
    try {
      getCountryCallingCode(upper as CountryCode);
      return upper as CountryCode;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export function isValidDefaultCountry(value: string): boolean {
  return resolveCountry(value) !== undefined || /^\+?\d{1,3}$/.test(value.trim());
}
