/**
 * SMS encoding and segment count as carriers bill them: GSM-7 (160 chars, 153 per part; extension characters
 * count double) unless any character is outside GSM 03.38, then UCS-2 (70, 67 per part; astral characters such
 * as emoji take two UTF-16 units).
 */
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENDED = '\f^{}\\[~]|€';
const basic = new Set(GSM_BASIC);
const extended = new Set(GSM_EXTENDED);

export interface SegmentInfo {
  encoding: 'GSM-7' | 'UCS-2';
  segments: number;
  units: number;
}

export function countSegments(text: string): SegmentInfo {
  const chars = [...text];
  const gsm = chars.every((ch) => basic.has(ch) || extended.has(ch));
  // Units per character: septets for GSM-7, UTF-16 code units for UCS-2 (an emoji is a surrogate pair).
  const sizes = chars.map((ch) => (gsm ? (extended.has(ch) ? 2 : 1) : ch.length));
  const units = sizes.reduce((a, b) => a + b, 0);
  const single = gsm ? 160 : 70;
  const part = gsm ? 153 : 67;
  if (units <= single) return { encoding: gsm ? 'GSM-7' : 'UCS-2', units, segments: 1 };
  // Multipart: an escape pair or a surrogate pair is never split across two parts.
  let segments = 1;
  let used = 0;
  for (const size of sizes) {
    if (used + size > part) {
      segments++;
      used = 0;
    }
    used += size;
  }
  return { encoding: gsm ? 'GSM-7' : 'UCS-2', units, segments };
}
