import { BadRequestError } from '../../lambdas/core/errors';
import {
  boundJsonText,
  exactIntegerText,
  MAX_NESTING_DEPTH,
  safeNumberOrText,
  type StepCounter,
  unsafeNumberText,
} from '../../lambdas/core/json-text';

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('exactIntegerText', () => {
  it.each<[string, string]>([
    ['1.0E20', '100000000000000000000'],
    ['9007199254740993', '9007199254740993'],
    ['-9007199254740993', '-9007199254740993'],
    ['1.5e3', '1500'],
    ['1.23E2', '123'],
    ['42.0', '42'],
    ['000042', '42'],
    ['0e5', '0'],
    ['1.2345678901234567891E20', '123456789012345678910'],
  ])('reads %s as the integer %s, digit by digit', (text, expected) => {
    // Prepare
    const input = text;

    // Act
    const integer = exactIntegerText(input);

    // Assess
    expect(integer).toBe(expected);
  });

  it.each(['1.25e1', '0.5', '1e-3', 'abc', '', '1.0E24', '--1'])('has no integer for %p', (text) => {
    // Prepare
    const input = text;

    // Act
    const integer = exactIntegerText(input);

    // Assess
    expect(integer).toBeUndefined();
  });
});

describe('unsafeNumberText and safeNumberOrText', () => {
  it('leaves numbers within ±(2^53 − 1) alone and turns larger ones into exact text', () => {
    // Prepare
    const tokens = ['9007199254740991', '-9007199254740991', '9007199254740992', '1.0E20', '12345678901234567.5'];

    // Act
    const texts = tokens.map(unsafeNumberText);

    // Assess
    expect(texts).toEqual([undefined, undefined, '9007199254740992', '100000000000000000000', '12345678901234567.5']);
  });

  it('turns a double beyond 2^53 into its integer digits, and keeps safe ones as numbers', () => {
    // Prepare
    const values = [42, -7.5, 2 ** 60, 1e20];

    // Act
    const out = values.map(safeNumberOrText);

    // Assess
    expect(out).toEqual([42, -7.5, '1152921504606846976', '100000000000000000000']);
  });
});

describe('boundJsonText', () => {
  it('returns the very same text when nothing needs rewriting', () => {
    // Prepare
    const text = '{"clientId":42,"amount":-1.5e3,"name":"9007199254740993","nested":{"a":[1,2,{"b":null}]}}';

    // Act
    const out = boundJsonText(text);

    // Assess
    expect(out).toBe(text);
  });

  it('quotes number tokens beyond 2^53 with their exact digits, outside strings only', () => {
    // Prepare
    const text =
      '{"clientId":9007199254740993,"note":"id 9007199254740993 \\" 1e99","ids":[1.0E20,-18446744073709551617]}';

    // Act
    const parsed = JSON.parse(boundJsonText(text));

    // Assess
    expect(parsed).toEqual({
      clientId: '9007199254740993',
      note: 'id 9007199254740993 " 1e99',
      ids: ['100000000000000000000', '-18446744073709551617'],
    });
  });

  it(`accepts nesting up to ${MAX_NESTING_DEPTH} levels and refuses one more with a 400`, () => {
    // Prepare
    const deepest = `${'['.repeat(MAX_NESTING_DEPTH)}${']'.repeat(MAX_NESTING_DEPTH)}`;
    const tooDeep = `${'{"a":'.repeat(MAX_NESTING_DEPTH + 1)}1${'}'.repeat(MAX_NESTING_DEPTH + 1)}`;

    // Act
    const ok = boundJsonText(deepest);
    const error = thrownBy(() => boundJsonText(tooDeep));

    // Assess
    expect(ok).toBe(deepest);
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({ statusCode: 400, code: 'body_too_deep' });
    expect((error as Error).message).toContain(`more than ${MAX_NESTING_DEPTH} levels`);
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    // Prepare
    const text = `{"a":"${'[{'.repeat(500)}\\"${'[{'.repeat(500)}"}`;

    // Act
    const out = boundJsonText(text);

    // Assess
    expect(out).toBe(text);
  });

  it('refuses 10 000 levels after reading no further than the 65th bracket', () => {
    // Prepare
    const text = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const counter: StepCounter = { steps: 0 };

    // Act
    const error = thrownBy(() => boundJsonText(text, { counter }));

    // Assess
    expect(error).toMatchObject({ code: 'body_too_deep' });
    expect(counter.steps).toBe(MAX_NESTING_DEPTH + 1);
  });
});
