/**
 * Web hooks with Content Type `form` send each top-level value as Java `toString()` of the parsed JSON:
 * numbers become doubles (`42.0`, `1.5E7`), objects `{k=v, k2=v2}`, arrays `[a, b]`. These helpers read them back.
 */
import { exactIntegerText, MAX_NESTING_DEPTH, type StepCounter } from './json-text';

const JAVA_DOUBLE = /^-?\d+\.\d+(E-?\d+)?$|^-?\d+(\.\d+)?E-?\d+$/i;

/**
 * A scalar from a form field: Java doubles and booleans become values, anything else stays text. A double beyond
 * ±(2^53 − 1) (`1.0E20`, an id Java printed in exponent form) becomes its exact integer digits as a string: no
 * double could hold it exactly, and DynamoDB refuses such numbers.
 */
export function parseJavaScalar(text: string): unknown {
  if (JAVA_DOUBLE.test(text)) {
    const n = Number(text);
    if (Number.isFinite(n)) return Math.abs(n) <= Number.MAX_SAFE_INTEGER ? n : (exactIntegerText(text) ?? text);
  }
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === 'null') return null;
  return text;
}

export interface JavaMapOptions {
  /** Maps nested deeper than this are kept as their text (default MAX_NESTING_DEPTH; the outer map is depth 1). */
  maxDepth?: number;
  counter?: StepCounter;
}

interface Frame {
  map: Record<string, unknown>;
  /** The brace count before this map's `{`: its matching `}` brings the count back here. NaN for the outer map. */
  base: number;
}

// What the next character belongs to.
const KEY = 0;
const VALUE = 1;
const SCALAR = 2;
const LIST = 3;
const DEEP_MAP = 4;
const AFTER_VALUE = 5;
const SKIP = 6;

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const EQUALS = 0x3d;
const COMMA = 0x2c;
const SPACE = 0x20;

/** Own property even for `__proto__`, which a plain assignment would turn into a prototype change. */
function setField(map: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
  else map[key] = value;
}

/**
 * Best-effort read of a Java `Map.toString()` (`{a=1.0, b={c=x}, d=[1, 2]}`) for looking up fields.
 * Values containing ", " or "=" cannot be told apart from separators; such a map is read as far as it is
 * unambiguous. Returns undefined for text that is not a map.
 *
 * One pass over the text with an explicit stack of open maps, so a hostile body costs time linear in its length
 * whatever its nesting, and never overflows the call stack. The rules, all decided from what has been read so far:
 * a nested map ends at the `}` that balances its `{` (every brace counts, wherever it is), and every map still open
 * ends at the last character; a key runs to the next `=`; a scalar to the next ", " or the end of its map; a list
 * (kept as text) to the `]` that balances its `[`, or the end of its map; after a nested value anything but ", "
 * ends the map's readable part. Maps deeper than `maxDepth` are kept as text, like lists.
 */
export function parseJavaMap(text: string, options: JavaMapOptions = {}): Record<string, unknown> | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{') || !trimmed.endsWith('}')) return undefined;
  const maxDepth = Math.max(1, options.maxDepth ?? MAX_NESTING_DEPTH);
  const last = trimmed.length - 1;
  const root: Frame = { map: {}, base: Number.NaN };
  const stack: Frame[] = [root];
  let frame = root;
  let braces = 1;
  let brackets = 0;
  let deepBase = 0;
  let mode = KEY;
  let start = 1;
  let key = '';
  let steps = text.length;

  const take = (from: number, to: number): string => {
    steps += to - from;
    return trimmed.slice(from, to);
  };
  /** `, ` at i: the separator between entries. */
  const separatorAt = (i: number) => trimmed.charCodeAt(i) === COMMA && trimmed.charCodeAt(i + 1) === SPACE;

  for (let i = 1; i <= last; i++) {
    steps++;
    const c = trimmed.charCodeAt(i);
    if (c === OPEN_BRACE) braces++;
    else if (c === CLOSE_BRACE) braces--;
    // `base` is NaN for the outer map, so only the last character ends it.
    let atEnd = i === last || (c === CLOSE_BRACE && braces === frame.base);

    switch (mode) {
      case KEY:
        if (!atEnd && c === EQUALS) {
          key = take(start, i).trim();
          mode = VALUE;
        }
        break;
      case VALUE:
        if (atEnd) {
          setField(frame.map, key, parseJavaScalar(''));
        } else if (c === OPEN_BRACE && stack.length >= maxDepth) {
          mode = DEEP_MAP;
          start = i;
          deepBase = braces - 1;
        } else if (c === OPEN_BRACE) {
          const child: Frame = { map: {}, base: braces - 1 };
          setField(frame.map, key, child.map);
          stack.push(child);
          frame = child;
          mode = KEY;
          start = i + 1;
        } else if (c === OPEN_BRACKET) {
          mode = LIST;
          start = i;
          brackets = 1;
        } else if (separatorAt(i)) {
          setField(frame.map, key, parseJavaScalar(''));
          i++;
          mode = KEY;
          start = i + 1;
        } else {
          mode = SCALAR;
          start = i;
        }
        break;
      case SCALAR:
        if (atEnd) {
          setField(frame.map, key, parseJavaScalar(take(start, i)));
        } else if (separatorAt(i)) {
          setField(frame.map, key, parseJavaScalar(take(start, i)));
          i++;
          mode = KEY;
          start = i + 1;
        }
        break;
      case LIST:
        if (c === OPEN_BRACKET) brackets++;
        else if (c === CLOSE_BRACKET) brackets--;
        if (brackets === 0) {
          setField(frame.map, key, take(start, i + 1));
          mode = AFTER_VALUE;
        } else if (atEnd) {
          // Unbalanced: the list runs to the end of its map, that map's `}` included.
          setField(frame.map, key, take(start, i + 1));
        }
        break;
      case DEEP_MAP:
        if ((c === CLOSE_BRACE && braces === deepBase) || i === last) {
          setField(frame.map, key, take(start, i + 1));
          mode = AFTER_VALUE;
          // The balancing `}` is never the end of an enclosing nested map, only possibly the last character.
          atEnd = i === last;
        }
        break;
      case AFTER_VALUE:
        if (!atEnd) {
          if (separatorAt(i)) {
            i++;
            mode = KEY;
            start = i + 1;
          } else {
            mode = SKIP;
          }
        }
        break;
      default:
        break;
    }

    if (atEnd) {
      if (i === last) break;
      stack.pop();
      frame = stack[stack.length - 1] ?? root;
      mode = AFTER_VALUE;
    }
  }
  if (options.counter) options.counter.steps += steps;
  return root.map;
}

/** An object whatever the encoding: JSON objects as they are, Java map text parsed best-effort. */
export function asFields(value: unknown): Record<string, unknown> | undefined {
  if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  if (typeof value === 'string') return parseJavaMap(value);
  return undefined;
}
