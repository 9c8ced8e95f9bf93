import { asFields, parseJavaMap, parseJavaScalar } from '../../lambdas/core/java-text';
import { MAX_NESTING_DEPTH, type StepCounter } from '../../lambdas/core/json-text';

describe('parseJavaScalar', () => {
  it.each<[string, unknown]>([
    ['42.0', 42],
    ['1.0', 1],
    ['0.0', 0],
    ['-3.25', -3.25],
    ['500.5', 500.5],
    ['1.5E7', 15000000],
    ['1.0E10', 10000000000],
    ['2.5E-4', 0.00025],
    ['-1.5E7', -15000000],
    ['true', true],
    ['false', false],
    ['null', null],
  ])('reads the Java toString %s as the value %p', (text, expected) => {
    // Prepare
    const input = text;

    // Act
    const value = parseJavaScalar(input);

    // Assess
    expect(value).toEqual(expected);
  });

  it.each([
    ['a phone number with a leading zero', '0712345678'],
    ['a phone number with a country code', '254712345678'],
    ['an integer written without a decimal point', '42'],
    ['an account number', '000000007'],
    ['a date', '24 October 2024'],
    ['an empty value', ''],
    ['a capitalised boolean', 'True'],
    ['a leading-dot number', '.5'],
    ['a trailing-dot number', '1.'],
    ['NaN', 'NaN'],
    ['Infinity', 'Infinity'],
    ['a plus sign', '+1.0'],
    ['a nested map', '{a=1.0}'],
    ['a list', '[1.0, 2.0]'],
  ])('keeps %s as text', (_label, text) => {
    // Prepare
    const input = text;

    // Act
    const value = parseJavaScalar(input);

    // Assess
    expect(value).toBe(text);
  });
});

describe('parseJavaMap', () => {
  it('reads a flat map with Java doubles, text and booleans', () => {
    // Prepare
    const text = '{officeId=1.0, firstname=Jane, lastname=Doe, mobileNo=0712345678, active=true, amount=1.5E7}';

    // Act
    const map = parseJavaMap(text);

    // Assess
    expect(map).toEqual({
      officeId: 1,
      firstname: 'Jane',
      lastname: 'Doe',
      mobileNo: '0712345678',
      active: true,
      amount: 15000000,
    });
  });

  it('reads nested maps recursively and keeps arrays as text', () => {
    // Prepare
    const text =
      '{clientId=42.0, changes={transactionAmount=500.0, status={id=300.0, active=true}}, ids=[1.0, 2.0], officeId=1.0}';

    // Act
    const map = parseJavaMap(text);

    // Assess
    expect(map).toEqual({
      clientId: 42,
      changes: { transactionAmount: 500, status: { id: 300, active: true } },
      ids: '[1.0, 2.0]',
      officeId: 1,
    });
  });

  it('keeps an array of maps as one text value and goes on after it', () => {
    // Prepare
    const text = '{charges=[{id=1.0, amount=5.0}, {id=2.0}], loanId=7.0}';

    // Act
    const map = parseJavaMap(text);

    // Assess
    expect(map).toEqual({ charges: '[{id=1.0, amount=5.0}, {id=2.0}]', loanId: 7 });
  });

  it('reads empty values, last or not, as empty text', () => {
    // Prepare
    const last = '{transactionDate=15 October 2015, transactionAmount=500, paymentTypeId=}';
    const middle = '{paymentTypeId=, locale=en}';

    // Act
    const lastMap = parseJavaMap(last);
    const middleMap = parseJavaMap(middle);

    // Assess
    expect(lastMap).toEqual({ transactionDate: '15 October 2015', transactionAmount: '500', paymentTypeId: '' });
    expect(middleMap).toEqual({ paymentTypeId: '', locale: 'en' });
  });

  it('keeps values that contain "=" or spaces', () => {
    // Prepare
    const text = '{note=a=b, dateFormat=dd MMMM yyyy}';

    // Act
    const map = parseJavaMap(text);

    // Assess
    expect(map).toEqual({ note: 'a=b', dateFormat: 'dd MMMM yyyy' });
  });

  it('reads the empty map and surrounding whitespace', () => {
    // Prepare
    const empty = '{}';
    const padded = '  {a=1.0}  ';

    // Act
    const emptyMap = parseJavaMap(empty);
    const paddedMap = parseJavaMap(padded);

    // Assess
    expect(emptyMap).toEqual({});
    expect(paddedMap).toEqual({ a: 1 });
  });

  it.each([
    ['plain text', 'hello'],
    ['a list', '[1.0, 2.0]'],
    ['JSON-looking text missing its closing brace', '{"a":1'],
    ['an empty string', ''],
  ])('returns undefined for %s', (_label, text) => {
    // Prepare
    const input = text;

    // Act
    const map = parseJavaMap(input);

    // Assess
    expect(map).toBeUndefined();
  });
});

describe('parseJavaScalar beyond 2^53', () => {
  it.each<[string, string]>([
    ['1.0E20', '100000000000000000000'],
    ['-1.0E20', '-100000000000000000000'],
    ['9.007199254740993E15', '9007199254740993'],
    ['1.8446744073709552E19', '18446744073709552000'],
  ])('keeps the Java double %s as the exact integer text %s (no double can hold it)', (text, expected) => {
    // Prepare
    const input = text;

    // Act
    const value = parseJavaScalar(input);

    // Assess
    expect(value).toBe(expected);
  });

  it('keeps 9.007199254740991E15 (2^53 − 1) a number', () => {
    // Prepare
    const input = '9.007199254740991E15';

    // Act
    const value = parseJavaScalar(input);

    // Assess
    expect(value).toBe(Number.MAX_SAFE_INTEGER);
  });
});

/** `{request={request=…{request=leaf}…}}`, `depth` maps deep. */
function nestedJavaMap(depth: number, leaf = 'x'): string {
  return `${'{request='.repeat(depth)}${leaf}${'}'.repeat(depth)}`;
}

function depthOf(map: unknown): { depth: number; rest: unknown } {
  let depth = 0;
  let current = map;
  while (current && typeof current === 'object') {
    current = (current as Record<string, unknown>).request;
    depth++;
  }
  return { depth, rest: current };
}

describe('parseJavaMap on hostile nesting', () => {
  it(`reads ${MAX_NESTING_DEPTH} levels as maps and keeps anything deeper as its text`, () => {
    // Prepare
    const text = nestedJavaMap(MAX_NESTING_DEPTH + 3);

    // Act
    const map = parseJavaMap(text);

    // Assess
    const { depth, rest } = depthOf(map);
    expect(depth).toBe(MAX_NESTING_DEPTH);
    expect(rest).toBe(nestedJavaMap(3));
  });

  it('reads the entries after a capped value', () => {
    // Prepare
    const text = `{clientId=42.0, deep=${nestedJavaMap(5)}, loanId=7.0}`;

    // Act
    const map = parseJavaMap(text, { maxDepth: 3 });

    // Assess
    expect(map).toEqual({
      clientId: 42,
      deep: { request: { request: '{request={request={request=x}}}' } },
      loanId: 7,
    });
  });

  it('reads a ~1 MB map nested 8 000 deep in steps linear in its length, without a RangeError', () => {
    // Prepare
    const padding = 'p'.repeat(1_000_000 - nestedJavaMap(8_000).length - 20);
    const text = `{clientId=42.0, note=${padding}, request=${nestedJavaMap(8_000)}}`;
    const counter: StepCounter = { steps: 0 };

    // Act
    const map = parseJavaMap(text, { counter });

    // Assess
    expect(text.length).toBeGreaterThan(990_000);
    expect(map?.clientId).toBe(42);
    expect(depthOf(map).depth).toBe(MAX_NESTING_DEPTH);
    expect(counter.steps).toBeLessThanOrEqual(4 * text.length);
  });

  it('costs twice the steps for twice the nesting (no per-level rescan)', () => {
    // Prepare
    const small: StepCounter = { steps: 0 };
    const large: StepCounter = { steps: 0 };

    // Act
    parseJavaMap(nestedJavaMap(10_000), { counter: small });
    parseJavaMap(nestedJavaMap(20_000), { counter: large });

    // Assess
    expect(large.steps / small.steps).toBeGreaterThan(1.9);
    expect(large.steps / small.steps).toBeLessThan(2.1);
  });

  it('keeps a "__proto__" key as an own field instead of changing the prototype', () => {
    // Prepare
    const text = '{__proto__={polluted=true}, clientId=42.0}';

    // Act
    const map = parseJavaMap(text);

    // Assess
    expect(Object.getPrototypeOf(map)).toBe(Object.prototype);
    expect(Object.keys(map ?? {})).toEqual(['__proto__', 'clientId']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('asFields', () => {
  it('returns a JSON object as it is (same reference)', () => {
    // Prepare
    const value = { clientId: 42, nested: { a: 1 } };

    // Act
    const fields = asFields(value);

    // Assess
    expect(fields).toBe(value);
  });

  it('parses Java map text', () => {
    // Prepare
    const value = '{clientId=42.0, loanId=7.0}';

    // Act
    const fields = asFields(value);

    // Assess
    expect(fields).toEqual({ clientId: 42, loanId: 7 });
  });

  it.each<[string, unknown]>([
    ['undefined', undefined],
    ['null', null],
    ['a number', 42],
    ['a boolean', true],
    ['an array', [{ a: 1 }]],
    ['non-map text', 'hello'],
  ])('returns undefined for %s', (_label, value) => {
    // Prepare
    const input = value;

    // Act
    const fields = asFields(input);

    // Assess
    expect(fields).toBeUndefined();
  });
});
