/**
 * Web hooks with Content Type `form` send each top-level value as Java `toString()` of the parsed JSON:
 * numbers become doubles (`42.0`, `1.5E7`), objects `{k=v, k2=v2}`, arrays `[a, b]`. These helpers read them back.
 */

const JAVA_DOUBLE = /^-?\d+\.\d+(E-?\d+)?$|^-?\d+(\.\d+)?E-?\d+$/i;

/** A scalar from a form field: Java doubles and booleans become values, anything else stays text. */
export function parseJavaScalar(text: string): unknown {
  if (JAVA_DOUBLE.test(text)) {
    const n = Number(text);
    if (Number.isFinite(n)) return n;
  }
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === 'null') return null;
  return text;
}

/**
 * Best-effort read of a Java `Map.toString()` (`{a=1.0, b={c=x}, d=[1, 2]}`) for looking up fields.
 * Values containing ", " or "=" cannot be told apart from separators; such a map is read as far as it is
 * unambiguous. Returns undefined for text that is not a map.
 */
export function parseJavaMap(text: string): Record<string, unknown> | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{') || !trimmed.endsWith('}')) return undefined;
  let pos = 1;
  const end = trimmed.length - 1;

  function readValue(stop: string): unknown {
    if (trimmed[pos] === '{' || trimmed[pos] === '[') {
      const open = trimmed[pos]!;
      const close = open === '{' ? '}' : ']';
      let depth = 0;
      const start = pos;
      for (; pos < end + 1; pos++) {
        if (trimmed[pos] === open) depth++;
        else if (trimmed[pos] === close) {
          depth--;
          if (depth === 0) {
            pos++;
            break;
          }
        }
      }
      const inner = trimmed.slice(start, pos);
      return open === '{' ? (parseJavaMap(inner) ?? inner) : inner;
    }
    const start = pos;
    while (pos < end && !trimmed.startsWith(stop, pos)) pos++;
    return parseJavaScalar(trimmed.slice(start, pos));
  }

  const out: Record<string, unknown> = {};
  while (pos < end) {
    const eq = trimmed.indexOf('=', pos);
    if (eq < 0) break;
    const key = trimmed.slice(pos, eq).trim();
    pos = eq + 1;
    out[key] = readValue(', ');
    if (trimmed.startsWith(', ', pos)) pos += 2;
    else if (pos < end) break;
  }
  return out;
}

/** An object whatever the encoding: JSON objects as they are, Java map text parsed best-effort. */
export function asFields(value: unknown): Record<string, unknown> | undefined {
  if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  if (typeof value === 'string') return parseJavaMap(value);
  return undefined;
}
