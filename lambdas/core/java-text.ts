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
  const reader = new JavaMapReader(trimmed, Math.max(1, options.maxDepth ?? MAX_NESTING_DEPTH));
  const map = reader.read();
  if (options.counter) options.counter.steps += text.length + reader.steps;
  return map;
}

/** The state of one pass of parseJavaMap: one method per kind of text the next character belongs to. */
class JavaMapReader {
  steps = 0;
  private readonly root: Frame = { map: {}, base: Number.NaN };
  private readonly stack: Frame[] = [this.root];
  private frame = this.root;
  private readonly last: number;
  private braces = 1;
  private brackets = 0;
  private deepBase = 0;
  private mode = KEY;
  private start = 1;
  private key = '';
  /** Index of the character being read; a handler may move it past a separator. */
  private i = 1;

  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
  ) {
    this.last = text.length - 1;
  }

  read(): Record<string, unknown> {
    for (; this.i <= this.last; this.i++) {
      this.steps++;
      const c = this.text.charCodeAt(this.i);
      if (c === OPEN_BRACE) this.braces++;
      else if (c === CLOSE_BRACE) this.braces--;
      // `base` is NaN for the outer map, so only the last character ends it.
      const atEnd = this.step(c, this.i === this.last || (c === CLOSE_BRACE && this.braces === this.frame.base));
      if (atEnd) {
        if (this.i === this.last) break;
        this.stack.pop();
        this.frame = this.stack[this.stack.length - 1] ?? this.root;
        this.mode = AFTER_VALUE;
      }
    }
    return this.root.map;
  }

  /** Reads character `c`; returns whether the current map ends here. */
  private step(c: number, atEnd: boolean): boolean {
    switch (this.mode) {
      case KEY:
        if (!atEnd && c === EQUALS) {
          this.key = this.take(this.start, this.i).trim();
          this.mode = VALUE;
        }
        return atEnd;
      case VALUE:
        this.value(c, atEnd);
        return atEnd;
      case SCALAR:
        if (atEnd) this.set(parseJavaScalar(this.take(this.start, this.i)));
        else if (this.separatorAt(this.i)) {
          this.set(parseJavaScalar(this.take(this.start, this.i)));
          this.nextEntry();
        }
        return atEnd;
      case LIST:
        this.list(c, atEnd);
        return atEnd;
      case DEEP_MAP:
        return this.deepMap(c, atEnd);
      case AFTER_VALUE:
        if (!atEnd) {
          if (this.separatorAt(this.i)) this.nextEntry();
          else this.mode = SKIP;
        }
        return atEnd;
      default:
        return atEnd;
    }
  }

  /** The first character of a value decides what it is. */
  private value(c: number, atEnd: boolean): void {
    if (atEnd) {
      this.set(parseJavaScalar(''));
    } else if (c === OPEN_BRACE && this.stack.length >= this.maxDepth) {
      this.mode = DEEP_MAP;
      this.start = this.i;
      this.deepBase = this.braces - 1;
    } else if (c === OPEN_BRACE) {
      const child: Frame = { map: {}, base: this.braces - 1 };
      this.set(child.map);
      this.stack.push(child);
      this.frame = child;
      this.mode = KEY;
      this.start = this.i + 1;
    } else if (c === OPEN_BRACKET) {
      this.mode = LIST;
      this.start = this.i;
      this.brackets = 1;
    } else if (this.separatorAt(this.i)) {
      this.set(parseJavaScalar(''));
      this.nextEntry();
    } else {
      this.mode = SCALAR;
      this.start = this.i;
    }
  }

  private list(c: number, atEnd: boolean): void {
    if (c === OPEN_BRACKET) this.brackets++;
    else if (c === CLOSE_BRACKET) this.brackets--;
    if (this.brackets === 0) {
      this.set(this.take(this.start, this.i + 1));
      this.mode = AFTER_VALUE;
    } else if (atEnd) {
      // Unbalanced: the list runs to the end of its map, that map's `}` included.
      this.set(this.take(this.start, this.i + 1));
    }
  }

  private deepMap(c: number, atEnd: boolean): boolean {
    if ((c === CLOSE_BRACE && this.braces === this.deepBase) || this.i === this.last) {
      this.set(this.take(this.start, this.i + 1));
      this.mode = AFTER_VALUE;
      // The balancing `}` is never the end of an enclosing nested map, only possibly the last character.
      return this.i === this.last;
    }
    return atEnd;
  }

  /** Skips the ", " at i and starts the next key. */
  private nextEntry(): void {
    this.i++;
    this.mode = KEY;
    this.start = this.i + 1;
  }

  private set(value: unknown): void {
    setField(this.frame.map, this.key, value);
  }

  private take(from: number, to: number): string {
    this.steps += to - from;
    return this.text.slice(from, to);
  }

  /** `, ` at i: the separator between entries. */
  private separatorAt(i: number): boolean {
    return this.text.charCodeAt(i) === COMMA && this.text.charCodeAt(i + 1) === SPACE;
  }
}

/** An object whatever the encoding: JSON objects as they are, Java map text parsed best-effort. */
export function asFields(value: unknown): Record<string, unknown> | undefined {
  if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  if (typeof value === 'string') return parseJavaMap(value);
  return undefined;
}
