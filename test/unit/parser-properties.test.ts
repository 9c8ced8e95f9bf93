/**
 * Property-based tests over everything that reads untrusted hook input: random and adversarial inputs never throw
 * anything but our 4xx errors, and the work done stays linear in the input (counted in steps, never timed).
 */
import fc from 'fast-check';
import { canonicalJson, dedupKey } from '../../lambdas/core/dedup';
import { AppError } from '../../lambdas/core/errors';
import {
  type HookEvent,
  normaliseHook,
  parseHook,
  parseHookBody,
  readHookHeaders,
} from '../../lambdas/core/hook-parser';
import { type HttpRequest, normaliseHeaders } from '../../lambdas/core/http';
import { COMMAND_NAME_PATTERN, TENANT_ID_PATTERN } from '../../lambdas/core/identifiers';
import { parseJavaMap, parseJavaScalar } from '../../lambdas/core/java-text';
import { boundJsonText, MAX_NESTING_DEPTH, type StepCounter } from '../../lambdas/core/json-text';

const MAX_BYTES = 1024 * 1024;
const RECEIVED_AT = '2024-10-24T09:12:34.000Z';
const RUNS = { numRuns: 300 };

const JSON_HEADERS = {
  'x-fineract-entity': 'CLIENT',
  'x-fineract-action': 'CREATE',
  'fineract-platform-tenantid': 'default',
  'content-type': 'application/json',
};
const FORM_HEADERS = {
  'x-mifos-entity': 'LOAN',
  'x-mifos-action': 'REPAYMENT',
  'x-mifos-platform-tenantid': 'default',
  'content-type': 'application/x-www-form-urlencoded',
};

function requestOf(headers: Record<string, string>, body: string | Buffer): Pick<HttpRequest, 'headers' | 'body'> {
  return { headers: normaliseHeaders(headers), body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body };
}

/** Runs `fn`; anything thrown must be one of our client errors (4xx), never a TypeError, RangeError or a 5xx. */
function onlyClientErrors<T>(fn: () => T): T | AppError {
  try {
    return fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).statusCode).toBeGreaterThanOrEqual(400);
    expect((error as AppError).statusCode).toBeLessThan(500);
    return error as AppError;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Generators

/** Pieces Java map text and JSON text are made of, weighted towards the ones that open and close structure. */
const javaPiece = fc.constantFrom(
  '{',
  '}',
  '[',
  ']',
  '=',
  ', ',
  ',',
  ' ',
  'a',
  'id',
  '1.0',
  '1.0E20',
  '{a=',
  '}, ',
  '=[',
);
const jsonPiece = fc.constantFrom('{', '}', '[', ']', '"', '\\', ':', ',', '"a":', '1', '-', 'e', '.', 'null', ' ');

/** `depth` nested structures of one kind, optionally unbalanced: the shapes that broke the old parsers. */
const deepJava = fc
  .record({ depth: fc.integer({ min: 0, max: 3_000 }), closing: fc.integer({ min: 0, max: 3_000 }) })
  .map(({ depth, closing }) => `{a=${'{request='.repeat(depth)}x${'}'.repeat(Math.min(depth, closing))}}`);
const deepJson = fc
  .record({ depth: fc.integer({ min: 0, max: 3_000 }), array: fc.boolean() })
  .map(({ depth, array }) =>
    array ? `{"a":${'['.repeat(depth)}1${']'.repeat(depth)}}` : `{"a":${'{"b":'.repeat(depth)}1${'}'.repeat(depth)}}`,
  );

const javaText = fc.oneof(
  fc.array(javaPiece, { maxLength: 200 }).map((p) => `{${p.join('')}}`),
  fc.string({ unit: 'binary', maxLength: 300 }),
  deepJava,
);
const jsonText = fc.oneof(
  fc.array(jsonPiece, { maxLength: 200 }).map((p) => p.join('')),
  fc.json({ maxDepth: 6 }),
  fc.string({ unit: 'binary', maxLength: 300 }),
  deepJson,
);

/** Plain text that Java's toString would not turn into anything else (no separators, not a double or boolean). */
const javaWord = fc.stringMatching(/^[A-Za-z][A-Za-z0-9 _-]{0,11}$/).filter((w) => !/^(true|false|null)$/.test(w));
type JavaValue = string | { [key: string]: JavaValue };
const javaValue: fc.Arbitrary<JavaValue> = fc.letrec<{ value: JavaValue; map: Record<string, JavaValue> }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, javaWord, tie('map')),
  map: fc.dictionary(fc.stringMatching(/^[a-z][A-Za-z0-9]{0,7}$/), tie('value'), { maxKeys: 4 }),
})).map;

/** What Java's `AbstractMap.toString()` writes for such a value. */
function javaToString(value: JavaValue): string {
  if (typeof value === 'string') return value;
  return `{${Object.entries(value)
    .map(([k, v]) => `${k}=${javaToString(v)}`)
    .join(', ')}}`;
}

/** Java's `Double.toString`: `42.0`, `1.5E7`, `1.0E20`. */
function javaDouble(n: number): string {
  if (n !== 0 && (Math.abs(n) >= 1e7 || Math.abs(n) < 1e-3)) {
    const [mantissa = '', exponent = ''] = n.toExponential().split('e');
    return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${exponent.replace('+', '')}`;
  }
  return Number.isInteger(n) ? `${n}.0` : String(n);
}

/** The recursive canonical form canonicalJson replaced; a reference for values shallow enough to recurse on. */
function recursiveCanonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(recursiveCanonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${recursiveCanonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * The recursive Java-map reader parseJavaMap replaced (O(length × depth)), kept as the reference for what maps
 * shallower than the cap must read as, malformed ones included.
 */
function recursiveJavaMap(text: string): Record<string, unknown> | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{') || !trimmed.endsWith('}')) return undefined;
  let pos = 1;
  const end = trimmed.length - 1;
  const readValue = (): unknown => {
    if (trimmed[pos] === '{' || trimmed[pos] === '[') {
      const open = trimmed[pos];
      const close = open === '{' ? '}' : ']';
      let depth = 0;
      const start = pos;
      for (; pos < end + 1; pos++) {
        if (trimmed[pos] === open) depth++;
        else if (trimmed[pos] === close && --depth === 0) {
          pos++;
          break;
        }
      }
      const inner = trimmed.slice(start, pos);
      return open === '{' ? (recursiveJavaMap(inner) ?? inner) : inner;
    }
    const start = pos;
    while (pos < end && !trimmed.startsWith(', ', pos)) pos++;
    return parseJavaScalar(trimmed.slice(start, pos));
  };
  const out: Record<string, unknown> = {};
  while (pos < end) {
    const eq = trimmed.indexOf('=', pos);
    if (eq < 0) break;
    const key = trimmed.slice(pos, eq).trim();
    pos = eq + 1;
    out[key] = readValue();
    if (trimmed.startsWith(', ', pos)) pos += 2;
    else if (pos < end) break;
  }
  return out;
}

/** The same value with every number beyond ±(2^53 − 1) replaced by a small one. */
function safeNumbers(value: unknown): unknown {
  if (typeof value === 'number') return Math.abs(value) <= Number.MAX_SAFE_INTEGER ? value : value % 1000;
  if (Array.isArray(value)) return value.map(safeNumbers);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, safeNumbers(v)]));
  }
  return value;
}

/** The same value with every object's keys in reverse order. */
function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, reversedKeys(v)]),
    );
  }
  return value;
}

// ---------------------------------------------------------------------------------------------------------------

describe('parseJavaMap (properties)', () => {
  it('never throws, and its steps stay within 3 × the input length', () => {
    fc.assert(
      fc.property(javaText, (text) => {
        // Prepare
        const counter: StepCounter = { steps: 0 };

        // Act
        const map = parseJavaMap(text, { counter });

        // Assess
        expect(map === undefined || typeof map === 'object').toBe(true);
        expect(counter.steps).toBeLessThanOrEqual(3 * text.length + 1);
      }),
      RUNS,
    );
  });

  it('reads any text shallower than the cap exactly as the recursive reader did', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          javaText,
          fc.array(javaPiece, { maxLength: 60 }).map((p) => p.join('')),
        ),
        (text) => {
          // Prepare
          const expected = text.length < 4_000 ? recursiveJavaMap(text) : undefined;

          // Act
          const map = parseJavaMap(text, { maxDepth: Number.MAX_SAFE_INTEGER });

          // Assess
          if (text.length < 4_000) expect(map).toStrictEqual(expected);
        },
      ),
      RUNS,
    );
  });

  it('reads back what Java wrote: nested maps as maps, words as words', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.stringMatching(/^[a-z][A-Za-z0-9]{0,7}$/), javaValue, { maxKeys: 5 }), (value) => {
        // Prepare
        const text = javaToString(value);

        // Act
        const map = parseJavaMap(text);

        // Assess
        expect(map).toEqual(value);
      }),
      RUNS,
    );
  });

  it(`keeps maps deeper than ${MAX_NESTING_DEPTH} as text and never nests its result deeper`, () => {
    fc.assert(
      fc.property(deepJava, (text) => {
        // Prepare
        let depth = 0;

        // Act
        let current: unknown = parseJavaMap(text);
        while (current && typeof current === 'object') {
          const values = Object.values(current);
          current = values.find((v) => v && typeof v === 'object') ?? undefined;
          depth++;
        }

        // Assess
        expect(depth).toBeLessThanOrEqual(MAX_NESTING_DEPTH);
      }),
      { numRuns: 60 },
    );
  });
});

describe('parseJavaScalar (properties)', () => {
  it('reads any Java double back as that number, or as its exact integer text beyond 2^53', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => {
        // Prepare
        const text = javaDouble(n);

        // Act
        const value = parseJavaScalar(text);

        // Assess: beyond 2^53 the digits of the text Java wrote, which read back as the same double
        if (Math.abs(n) <= Number.MAX_SAFE_INTEGER) expect(value).toBe(n === 0 ? 0 : n);
        else if (Math.abs(n) < 1e24) {
          expect(value).toMatch(/^-?\d+$/);
          expect(Number(value)).toBe(n);
        } else expect(value).toBe(text);
      }),
      RUNS,
    );
  });
});

describe('JSON hook bodies (properties)', () => {
  it('parse or answer 4xx, with the pre-scan linear in the body length', () => {
    fc.assert(
      fc.property(jsonText, (text) => {
        // Prepare
        const counter: StepCounter = { steps: 0 };
        const request = requestOf(JSON_HEADERS, text);

        // Act
        const outcome = onlyClientErrors(() => parseHookBody(request, MAX_BYTES));
        onlyClientErrors(() => boundJsonText(text, { counter }));

        // Assess
        if (!(outcome instanceof AppError)) expect(typeof outcome.body).toBe('object');
        expect(counter.steps).toBeLessThanOrEqual(8 * text.length + 8);
      }),
      RUNS,
    );
  });

  it(`accept exactly the bodies nested at most ${MAX_NESTING_DEPTH} deep`, () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 500 }), fc.boolean(), (depth, array) => {
        // Prepare
        const inner = array
          ? `${'['.repeat(depth)}1${']'.repeat(depth)}`
          : `${'{"b":'.repeat(depth)}1${'}'.repeat(depth)}`;
        const request = requestOf(JSON_HEADERS, `{"a":${inner}}`);

        // Act
        const outcome = onlyClientErrors(() => parseHookBody(request, MAX_BYTES));

        // Assess
        if (depth + 1 <= MAX_NESTING_DEPTH) expect(outcome).not.toBeInstanceOf(AppError);
        else expect(outcome).toMatchObject({ statusCode: 400, code: 'body_too_deep' });
      }),
      { numRuns: 100 },
    );
  });

  it('keep every integer id exact: a number when safe, its digits when beyond 2^53', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }), (id) => {
        // Prepare
        const request = requestOf(JSON_HEADERS, `{"officeId":1,"clientId":${id.toString()}}`);

        // Act
        const event = parseHook(request, MAX_BYTES, RECEIVED_AT);

        // Assess
        const safe = id >= BigInt(Number.MIN_SAFE_INTEGER) && id <= BigInt(Number.MAX_SAFE_INTEGER);
        expect(event.ids.clientId).toBe(safe ? Number(id) : id.toString());
      }),
      RUNS,
    );
  });

  it('parse to the same object JSON.parse gives when every number is safe', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 5 })), (value) => {
        // Prepare
        const text = JSON.stringify(safeNumbers(value));
        const request = requestOf(JSON_HEADERS, text);

        // Act
        const parsed = parseHookBody(request, MAX_BYTES);

        // Assess
        expect(parsed.body).toEqual(JSON.parse(text));
        expect(parsed.rawBody).toBe(text);
      }),
      RUNS,
    );
  });
});

describe('form hook bodies (properties)', () => {
  it('parse or answer 4xx whatever the bytes, and their ids never come out as unsafe numbers', () => {
    const field = fc.oneof(javaText, fc.double().map(javaDouble), fc.string());
    const form = fc
      .array(fc.tuple(fc.constantFrom('clientId', 'loanId', 'response', 'request', 'changes', 'x'), field), {
        maxLength: 6,
      })
      .map((pairs) => pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&'));
    fc.assert(
      fc.property(fc.oneof(form, fc.string({ unit: 'binary', maxLength: 300 })), (body) => {
        // Prepare
        const request = requestOf(FORM_HEADERS, body);

        // Act
        const event = onlyClientErrors(() => parseHook(request, MAX_BYTES, RECEIVED_AT));

        // Assess
        if (event instanceof AppError) return;
        for (const id of Object.values(event.ids)) {
          if (typeof id === 'number') expect(Math.abs(id)).toBeLessThanOrEqual(Number.MAX_SAFE_INTEGER);
        }
        expect(typeof dedupKey(event)).toBe('string');
      }),
      RUNS,
    );
  });
});

describe('readHookHeaders (properties)', () => {
  const value = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 80 }),
    fc.string({ unit: 'grapheme', maxLength: 80 }),
    fc.stringMatching(/^[A-Za-z0-9_-]{1,70}$/),
    fc.integer({ min: 0, max: 5_000 }).map((n) => 'a'.repeat(n)),
  );

  it('either returns values that follow the rules or answers 400 naming the header', () => {
    fc.assert(
      fc.property(value, value, value, fc.boolean(), (tenant, entity, action, fineract) => {
        // Prepare
        const names = fineract
          ? ['x-fineract-entity', 'x-fineract-action', 'fineract-platform-tenantid']
          : ['x-mifos-entity', 'x-mifos-action', 'x-mifos-platform-tenantid'];
        const request = { headers: { [names[0]!]: entity, [names[1]!]: action, [names[2]!]: tenant } };

        // Act
        const outcome = onlyClientErrors(() => readHookHeaders(request));

        // Assess
        if (outcome instanceof AppError) {
          expect(outcome.statusCode).toBe(400);
          expect(outcome.message).toMatch(/(Entity|Action|TenantId)/);
          expect(outcome.message.length).toBeLessThan(250);
        } else {
          expect(outcome.tenantId).toMatch(TENANT_ID_PATTERN);
          expect(outcome.entityRaw).toMatch(COMMAND_NAME_PATTERN);
          expect(outcome.actionRaw).toMatch(COMMAND_NAME_PATTERN);
        }
      }),
      RUNS,
    );
  });
});

describe('canonicalJson and dedupKey (properties)', () => {
  it('write what the recursive definition writes, in steps linear in the output', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), (value) => {
        // Prepare
        const counter: StepCounter = { steps: 0 };

        // Act
        const text = canonicalJson(value, counter);

        // Assess
        expect(text).toBe(recursiveCanonical(value));
        expect(counter.steps).toBeLessThanOrEqual(2 * text.length + 2);
      }),
      RUNS,
    );
  });

  it('do not depend on key order, at any depth', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 6 })), (body) => {
        // Prepare
        const event = { tenantId: 'default', entity: 'LOAN', action: 'REPAYMENT', ids: {}, body };
        const reordered = { ...event, body: reversedKeys(body) as Record<string, unknown> };

        // Act
        const keys = [dedupKey(event), dedupKey(reordered)];

        // Assess
        expect(keys[0]).toBe(keys[1]);
      }),
      RUNS,
    );
  });

  it('serialise values nested far deeper than any call stack allows', () => {
    fc.assert(
      fc.property(fc.integer({ min: 10_000, max: 60_000 }), (depth) => {
        // Prepare
        let value: unknown = 'leaf';
        for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { k: value };

        // Act
        const text = canonicalJson(value);

        // Assess
        expect(text.length).toBeGreaterThan(depth * 2);
      }),
      { numRuns: 5 },
    );
  });

  it('key every event the parsers accept, JSON or form', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          jsonText,
          javaText.map((t) => `request=${encodeURIComponent(t)}`),
        ),
        (text) => {
          // Prepare
          const headers = text.startsWith('request=') ? FORM_HEADERS : JSON_HEADERS;
          const request = requestOf(headers, text);

          // Act
          const outcome = onlyClientErrors(() =>
            normaliseHook(readHookHeaders(request), parseHookBody(request, MAX_BYTES), RECEIVED_AT),
          );

          // Assess
          if (!(outcome instanceof AppError)) expect(dedupKey(outcome as HookEvent)).toMatch(/^default\|/);
        },
      ),
      RUNS,
    );
  });
});
