import { isValidDefaultCountry, maskPhone, toE164 } from '../../lambdas/core/phone';

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

describe('maskPhone', () => {
  const digitsOf = (text: string) => text.replace(/\D/g, '');

  it('keeps the country code and the last two digits of a Kenyan number', () => {
    // Prepare
    const number = '+254712345678';

    // Act
    const masked = maskPhone(number);

    // Assess
    expect(masked).toMatch(/^\+254\*+78$/);
    expect(masked).not.toContain('712345');
  });

  it.each([
    ['+254712345678', '254'],
    ['+255712345678', '255'],
    ['+353851234567', '353'],
    // BUG (lambdas/core/phone.ts, maskPhone): it always keeps the first 4 characters. That is "+" and the country
    // code only for 3-digit calling codes; for +1, +44, +86, +20 it also reveals 1–2 digits of the subscriber number.
    ['+14155550123', '1'],
    ['+447700900123', '44'],
    ['+8613812345678', '86'],
    ['+201001234567', '20'],
  ])('never reveals more than the country code and the last two digits of %s', (number, countryCode) => {
    // Prepare
    const allowedDigits = countryCode.length + 2;

    // Act
    const masked = maskPhone(number);

    // Assess
    expect(masked.startsWith(`+${countryCode}`)).toBe(true);
    expect(masked.endsWith(number.slice(-2))).toBe(true);
    expect(digitsOf(masked).length).toBeLessThanOrEqual(allowedDigits);
  });

  it.each([
    // BUG (lambdas/core/phone.ts, maskPhone): inputs without a country code (the worker masks whatever the client
    // record held) keep their first four digits too: '0712345678' → '0712****78', '1234567' → '1234***67' (6 of 7).
    ['a national number', '0712345678'],
    ['a 7-digit number', '1234567'],
    ['an 8-digit number', '12345678'],
  ])('reveals at most the last two digits of %s (no country code to keep)', (_label, number) => {
    // Prepare
    const allowedDigits = 2;

    // Act
    const masked = maskPhone(number);

    // Assess
    expect(masked.endsWith(number.slice(-2))).toBe(true);
    expect(digitsOf(masked).length).toBeLessThanOrEqual(allowedDigits);
  });

  it('strips formatting before masking', () => {
    // Prepare
    const number = '+254 (712) 345-678';

    // Act
    const masked = maskPhone(number);

    // Assess
    expect(masked).toMatch(/^\+254\*+78$/);
  });

  it.each([
    ['1234', '***'],
    ['+12345', '***'],
    ['', ''],
  ])('masks a very short value %p entirely', (value, expected) => {
    // Prepare
    const input = value;

    // Act
    const masked = maskPhone(input);

    // Assess
    expect(masked).toBe(expected);
  });

  it('returns an empty string for undefined', () => {
    // Prepare
    const input = undefined;

    // Act
    const masked = maskPhone(input);

    // Assess
    expect(masked).toBe('');
  });
});
