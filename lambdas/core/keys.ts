import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Recognisable prefix so secret scanners and humans can tell our keys apart. */
const KEY_PREFIX = 'fhk_';

/** 256 random bits, URL-safe, well under the sender's 100-character Api Key field. */
export function generateApiKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

/** Keys carry 256 bits of entropy, so a fast hash is enough: nothing to brute-force. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function fingerprintOf(keyHash: string): string {
  return keyHash.slice(0, 12);
}

const HEX = /^(?:[0-9a-f]{2})+$/;

export function hashesEqual(a: string, b: string): boolean {
  // Buffer.from(…, 'hex') silently drops what is not hex: check the text first.
  if (a.length !== b.length || !HEX.test(a) || !HEX.test(b)) return false;
  return timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}
