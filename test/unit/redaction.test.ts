import { maskPhone, maskPhonesInPayload, maskSid, redactText } from '../../lambdas/core/redaction';

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

describe('maskSid', () => {
  it('keeps the first and last four characters of a SID', () => {
    // Prepare
    const sid = 'AC0123456789abcdef0123456789abcdef';

    // Act
    const masked = maskSid(sid);

    // Assess
    expect(masked).toBe('AC01…cdef');
  });

  it.each([
    [undefined, undefined],
    ['', undefined],
    ['AC12', '…'],
  ])('hides %p whole', (sid, expected) => {
    // Prepare
    const input = sid;

    // Act
    const masked = maskSid(input);

    // Assess
    expect(masked).toBe(expected);
  });
});

describe('maskPhonesInPayload', () => {
  it.each([
    ['JSON, quoted', '{"mobileNo":"+254712345678","x":1}', '{"mobileNo":"+254*******78","x":1}'],
    ['JSON, a bare number', '{"phoneNo":254712345678}', '{"phoneNo":"**********78"}'],
    ['form', 'clientId=42&mobileNo=254712345678', 'clientId=42&mobileNo=**********78'],
    ['a Java map', '{firstname=Jane, mobileNo=254712345678}', '{firstname=Jane, mobileNo=**********78}'],
  ])('masks the number in %s and nothing else', (_label, payload, expected) => {
    // Prepare
    const input = payload;

    // Act
    const masked = maskPhonesInPayload(input);

    // Assess
    expect(masked).toBe(expected);
  });
});

describe('redactText', () => {
  it('removes secrets and the message body, and masks the recipient', () => {
    // Prepare
    const text = 'auth s3cr3t-token failed for +254712345678: "Hello Jane, welcome"';

    // Act
    const out = redactText(text, { secrets: ['s3cr3t-token'], to: '+254712345678', body: 'Hello Jane, welcome' });

    // Assess
    expect(out).toBe('auth [redacted] failed for +254*******78: "[message body]"');
  });

  it('masks any number that looks like a phone number, but not an IPv4 address or a short id', () => {
    // Prepare
    const text = 'client 42: number 0712 345 678 unreachable at 192.168.100.200';

    // Act
    const out = redactText(text);

    // Assess
    expect(out).not.toContain('345');
    expect(out).toContain('client 42');
    expect(out).toContain('192.168.100.200');
  });

  it('ignores secrets shorter than four characters and bounds the length', () => {
    // Prepare
    const text = `abc ${'x'.repeat(400)}`;

    // Act
    const out = redactText(text, { secrets: ['abc', undefined] });

    // Assess
    expect(out.startsWith('abc ')).toBe(true);
    expect(out.length).toBe(300);
    expect(out.endsWith('…')).toBe(true);
  });
});
