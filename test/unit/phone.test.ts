import { isValidDefaultCountry, toE164 } from '../../lambdas/core/phone';

describe('toE164', () => {
  it.each<[string, unknown, string | undefined, string]>([
    ['country code without + (the old bridge prepended +)', '254712345678', undefined, '+254712345678'],
    ['a JSON number', 254712345678, undefined, '+254712345678'],
    ['already E.164 (never ++)', '+254712345678', undefined, '+254712345678'],
    ['a stored ++ (the old bridge’s bug)', '++254712345678', undefined, '+254712345678'],
    ['the 00 international prefix', '00254712345678', undefined, '+254712345678'],
    ['spaces', '+254 712 345 678', undefined, '+254712345678'],
    ['dashes', '254-712-345-678', undefined, '+254712345678'],
    ['parentheses', '+254 (712) 345-678', undefined, '+254712345678'],
    ['dots and a slash', '254.712/345.678', undefined, '+254712345678'],
    ['surrounding whitespace', '  254712345678 \n', undefined, '+254712345678'],
    ['a national number with defaultCountry KE', '0712345678', 'KE', '+254712345678'],
    ['a national number with defaultCountry ke', '0712345678', 'ke', '+254712345678'],
    ['a national number with defaultCountry 254', '0712345678', '254', '+254712345678'],
    ['a national number with defaultCountry +254', '0712345678', '+254', '+254712345678'],
    ['a number with its country code and defaultCountry KE (no double prefix)', '254712345678', 'KE', '+254712345678'],
    ['an E.164 number of another country than the default', '+254712345678', 'US', '+254712345678'],
    ['a US national number with defaultCountry US', '(213) 373-4253', 'US', '+12133734253'],
    ['a UK national number with defaultCountry GB', '07700 900123', 'GB', '+447700900123'],
    ['a Chinese mobile in E.164 with spaces', '+86 138 1234 5678', undefined, '+8613812345678'],
  ])('reads %s', (_label, raw, defaultCountry, expected) => {
    // Prepare
    const input = raw;

    // Act
    const result = toE164(input, defaultCountry);

    // Assess
    expect(result).toEqual({ ok: true, e164: expected });
  });

  it.each<[string, unknown]>([
    ['undefined', undefined],
    ['null', null],
    ['an empty string', ''],
    ['whitespace', '   '],
  ])('reports %s as missing', (_label, raw) => {
    // Prepare
    const input = raw;

    // Act
    const result = toE164(input, 'KE');

    // Assess
    expect(result).toEqual({ ok: false, reason: 'missing' });
  });

  it.each<[string, unknown, string | undefined]>([
    ['letters', 'not a number', undefined],
    ['letters inside digits', '+254 71A 345 678', undefined],
    ['too short', '12', undefined],
    ['too short with +', '+1234', undefined],
    ['a short national number', '07123', 'KE'],
    ['too long', '2547123456789012345', undefined],
    ['a national number without a default country', '0712345678', undefined],
    ['only a plus sign', '+', undefined],
  ])('reports %s as invalid', (_label, raw, defaultCountry) => {
    // Prepare
    const input = raw;

    // Act
    const result = toE164(input, defaultCountry);

    // Assess
    expect(result).toEqual({ ok: false, reason: 'invalid' });
  });

  it('never produces a ++ prefix whatever the input', () => {
    // Prepare
    const inputs = ['+254712345678', '++254712345678', '+++254712345678', '00254712345678', '+00254712345678'];

    // Act
    const results = inputs.map((raw) => toE164(raw, 'KE'));

    // Assess
    for (const result of results) {
      if (result.ok) expect(result.e164.startsWith('++')).toBe(false);
    }
    expect(results.slice(0, 4)).toEqual(Array(4).fill({ ok: true, e164: '+254712345678' }));
  });
});

describe('isValidDefaultCountry', () => {
  it.each([
    ['KE', true],
    ['ke', true],
    ['GB', true],
    ['254', true],
    ['+254', true],
    ['1', true],
    [' KE ', true],
    ['XX', false],
    ['Kenya', false],
    ['2545', false],
    ['', false],
    ['+', false],
  ])('%p → %p', (value, expected) => {
    // Prepare
    const input = value;

    // Act
    const valid = isValidDefaultCountry(input);

    // Assess
    expect(valid).toBe(expected);
  });
});
