import { BadRequestError } from './errors';

/**
 * Limits on what a hook body may look like before anything hashes, stores or walks it. MifosX and Fineract bodies
 * nest a handful of levels (an envelope's `request.changes.…`); 64 leaves ample room and keeps every later walk
 * (canonical hashing, Java-map reading) shallow.
 */
export const MAX_NESTING_DEPTH = 64;

/**
 * Work done by a parser, for tests that prove it linear without timing it: each parser adds one per character it
 * looks at and the length of every piece of text it copies.
 */
export interface StepCounter {
  steps: number;
}

export interface JsonBoundOptions {
  maxDepth?: number;
  counter?: StepCounter;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
/** Characters a JSON number token is made of: digits, `-`, `+`, `.`, `e`, `E`. */
const isNumberChar = (c: number) => isDigit(c) || c === MINUS || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45;

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;
/**
 * Longer integers than this are not ids (2^64 has 20 digits); such a number keeps the text it was sent as. The cap
 * also bounds how much a short exponent token (`1e23`) can grow when written out.
 */
const MAX_INTEGER_DIGITS = 24;

/**
 * The exact integer a decimal text denotes (`1.0E20` → `100000000000000000000`, `9007199254740993` unchanged),
 * computed on the digits so nothing is rounded through a double. Undefined when the text has a fractional part or
 * is not a plain decimal number.
 */
export function exactIntegerText(text: string): string | undefined {
  const m = DECIMAL.exec(text);
  if (!m) return undefined;
  const [, sign = '', whole = '', fraction = '', exponentText = '0'] = m;
  const exponent = Number(exponentText);
  const digits = whole + fraction;
  const point = whole.length + exponent;
  if (!Number.isFinite(point) || point > MAX_INTEGER_DIGITS) return undefined;
  const dropped = point < 0 ? digits : digits.slice(Math.max(point, 0));
  if (/[1-9]/.test(dropped)) return undefined;
  const integer =
    point <= 0
      ? '0'
      : (digits.slice(0, point) + '0'.repeat(Math.max(point - digits.length, 0))).replace(/^0+(?=\d)/, '');
  return integer === '0' ? '0' : sign + integer;
}

/**
 * A number beyond ±(2^53 − 1) cannot be stored or compared exactly (DynamoDB's marshaller refuses it), so such a
 * value is kept as a string: its exact integer digits when it is an integer, else the text as sent.
 * Undefined for numbers that are safe as they are (and for text that is not a number).
 */
export function unsafeNumberText(text: string): string | undefined {
  const value = Number(text);
  if (text.trim() === '' || Number.isNaN(value) || Math.abs(value) <= Number.MAX_SAFE_INTEGER) return undefined;
  return exactIntegerText(text) ?? text;
}

/** The same rule for a number that is already a double (no text to read digits from). */
export function safeNumberOrText(value: number): number | string {
  if (Math.abs(value) <= Number.MAX_SAFE_INTEGER) return value;
  if (Number.isInteger(value)) return BigInt(value).toString();
  return String(value);
}

/**
 * One linear scan of JSON text before `JSON.parse`: refuses nesting deeper than `maxDepth` (400, nothing stored)
 * and rewrites number tokens beyond ±(2^53 − 1) as JSON strings of their exact digits, so an id like
 * `9007199254740993` survives parsing unrounded. Strings are skipped, escapes honoured; anything else that is not
 * valid JSON is left for `JSON.parse` to reject. Returns the text unchanged (same string) when nothing needed
 * rewriting.
 */
export function boundJsonText(text: string, options: JsonBoundOptions = {}): string {
  const maxDepth = options.maxDepth ?? MAX_NESTING_DEPTH;
  const n = text.length;
  const parts: string[] = [];
  let copied = 0;
  let depth = 0;
  let steps = 0;
  let i = 0;
  while (i < n) {
    steps++;
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i++;
      while (i < n) {
        steps++;
        const d = text.charCodeAt(i);
        if (d === QUOTE) break;
        i += d === BACKSLASH ? 2 : 1;
      }
      i++;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
      if (depth > maxDepth) {
        if (options.counter) options.counter.steps += steps;
        throw new BadRequestError(
          `The body nests JSON objects or arrays more than ${maxDepth} levels deep; MifosX and Fineract events never do. Nothing was stored.`,
          { maxDepth },
          'body_too_deep',
        );
      }
      i++;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
      i++;
    } else if (c === MINUS || isDigit(c)) {
      const start = i;
      i++;
      while (i < n && isNumberChar(text.charCodeAt(i))) {
        steps++;
        i++;
      }
      const token = text.slice(start, i);
      steps += token.length;
      const replacement = JSON_NUMBER.test(token) ? unsafeNumberText(token) : undefined;
      if (replacement !== undefined) {
        parts.push(text.slice(copied, start), '"', replacement, '"');
        steps += start - copied + replacement.length;
        copied = i;
      }
    } else {
      i++;
    }
  }
  if (options.counter) options.counter.steps += steps;
  if (parts.length === 0) return text;
  parts.push(text.slice(copied));
  return parts.join('');
}
