import { dedupKey } from '../../lambdas/core/dedup';
import { AppError, BadRequestError } from '../../lambdas/core/errors';
import { parseHook, parseHookBody, readHookHeaders } from '../../lambdas/core/hook-parser';
import { type HttpRequest, normaliseHeaders } from '../../lambdas/core/http';
import { MAX_NESTING_DEPTH } from '../../lambdas/core/json-text';

const MAX_BYTES = 1024 * 1024;
const RECEIVED_AT = '2024-10-24T09:12:34.000Z';

type Req = Pick<HttpRequest, 'headers' | 'body'>;

function requestOf(headers: Record<string, string>, body = ''): Req {
  return { headers: normaliseHeaders(headers), body: Buffer.from(body, 'utf8') };
}

const FINERACT = {
  'X-Fineract-Entity': 'CLIENT',
  'X-Fineract-Action': 'CREATE',
  'Fineract-Platform-TenantId': 'default',
  'X-Fineract-API-Key': 'fhk_test-key',
  'Content-Type': 'application/json; charset=UTF-8',
};
const MIFOSX_FORM = {
  'X-Mifos-Entity': 'LOAN',
  'X-Mifos-Action': 'REPAYMENT',
  'X-Mifos-Platform-TenantId': 'default',
  'Content-Type': 'application/x-www-form-urlencoded; charset=UTF-8',
};

function thrownBy(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected an AppError, the call succeeded');
}

describe('readHookHeaders validates every value it reads', () => {
  const threeKb = 'a'.repeat(3 * 1024);

  it.each<[string, Record<string, string>, string]>([
    ['a 3 KB tenant id', { 'Fineract-Platform-TenantId': threeKb }, 'Fineract-Platform-TenantId must be 1-64'],
    ['a 65-character tenant id', { 'Fineract-Platform-TenantId': 't'.repeat(65) }, 'Fineract-Platform-TenantId'],
    ['a tenant id with a space', { 'Fineract-Platform-TenantId': 'my tenant' }, 'Fineract-Platform-TenantId'],
    ['a tenant id in Unicode', { 'Fineract-Platform-TenantId': 'tenánt' }, 'Fineract-Platform-TenantId'],
    ['a tenant id with a control character', { 'Fineract-Platform-TenantId': 'de\u0001fault' }, 'TenantId'],
    ['a tenant id with a NUL', { 'Fineract-Platform-TenantId': 'default\u0000x' }, 'Fineract-Platform-TenantId'],
    ['an entity with a dot', { 'X-Fineract-Entity': 'CLIENT.CREATE' }, 'X-Fineract-Entity must be 1-64 letters'],
    ['an entity in Unicode', { 'X-Fineract-Entity': 'CLIENTÉ' }, 'X-Fineract-Entity'],
    ['an entity with a newline', { 'X-Fineract-Entity': 'CLI\nENT' }, 'X-Fineract-Entity'],
    ['an action of 3 KB', { 'X-Fineract-Action': threeKb }, 'X-Fineract-Action'],
    ['an action with a zero-width space', { 'X-Fineract-Action': 'CRE\u200bATE' }, 'X-Fineract-Action'],
    [
      'an endpoint with a control character',
      { 'X-Fineract-Endpoint': 'https://a.example/\u0007' },
      'X-Fineract-Endpoint',
    ],
    ['an endpoint of 3 KB', { 'X-Fineract-Endpoint': `https://a.example/${threeKb}` }, 'X-Fineract-Endpoint'],
  ])('refuses %s with a 400 naming the header', (_label, override, expected) => {
    // Prepare
    const request = requestOf({ ...FINERACT, ...override });

    // Act
    const error = thrownBy(() => readHookHeaders(request));

    // Assess
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({ statusCode: 400, code: 'bad_header' });
    expect(error.message).toContain(expected);
    expect(error.message.length).toBeLessThan(200);
  });

  it('names the MifosX header when that family carried the value', () => {
    // Prepare
    const request = requestOf({ ...MIFOSX_FORM, 'X-Mifos-Platform-TenantId': 'a/b' });

    // Act
    const error = thrownBy(() => readHookHeaders(request));

    // Assess
    expect(error.message).toBe('X-Mifos-Platform-TenantId must be 1-64 letters, digits, "_" or "-".');
    expect(error.details).toEqual({ header: 'X-Mifos-Platform-TenantId', length: 3 });
  });

  it('accepts what senders send: upper-case commands, lower-case sms/send, 64-character tenant ids', () => {
    // Prepare
    const fineract = requestOf({ ...FINERACT, 'Fineract-Platform-TenantId': `T_-${'9'.repeat(61)}` });
    const sms = requestOf({ ...FINERACT, 'X-Fineract-Entity': 'sms', 'X-Fineract-Action': 'send' });
    const withEndpoint = requestOf({ ...MIFOSX_FORM, 'X-Mifos-Endpoint': 'https://m.example.org:8443/api/v1/' });

    // Act
    const headers = [fineract, sms, withEndpoint].map(readHookHeaders);

    // Assess
    expect(headers[0]!.tenantId).toHaveLength(64);
    expect(headers[1]).toMatchObject({ entity: 'SMS', action: 'SEND', entityRaw: 'sms' });
    expect(headers[2]!.senderEndpoint).toBe('https://m.example.org:8443/api/v1/');
  });
});

describe('ids beyond 2^53', () => {
  it('keeps a JSON id of 2^53 + 1 as its exact digits', () => {
    // Prepare
    const request = requestOf(FINERACT, '{"clientId":9007199254740993,"officeId":1,"resourceId":9007199254740993}');

    // Act
    const event = parseHook(request, MAX_BYTES, RECEIVED_AT);

    // Assess
    expect(event.ids).toEqual({ clientId: '9007199254740993', officeId: 1, resourceId: '9007199254740993' });
  });

  it('keeps ids under an envelope response exact as well', () => {
    // Prepare
    const body = JSON.stringify({ entityName: 'LOAN', actionName: 'REPAYMENT', clientId: 1, response: {} }).replace(
      '"response":{}',
      '"response":{"loanId":18446744073709551617,"commandId":12345678901234567890}',
    );
    const request = requestOf(FINERACT, body);

    // Act
    const event = parseHook(request, MAX_BYTES, RECEIVED_AT);

    // Assess
    expect(event.ids).toMatchObject({ loanId: '18446744073709551617', commandId: '12345678901234567890' });
    expect(dedupKey(event)).toBe('default|CLIENT|CREATE|cmd:12345678901234567890');
  });

  it('reads a form id 1.0E20 (Java toString of a big double) as the canonical integer text', () => {
    // Prepare
    const request = requestOf(
      MIFOSX_FORM,
      'entityName=LOAN&actionName=REPAYMENT&clientId=1.0E20&response=%7BloanId%3D7.0%2C+resourceId%3D2.0E19%7D',
    );

    // Act
    const event = parseHook(request, MAX_BYTES, RECEIVED_AT);

    // Assess
    expect(event.ids).toMatchObject({ clientId: '100000000000000000000', loanId: 7 });
    expect(event.ids.resourceId).toBe('20000000000000000000');
  });
});

describe('nesting limits on hook bodies', () => {
  it('refuses JSON nested 10 000 deep with a 400 an admin understands, before parsing it', () => {
    // Prepare
    const body = `{"clientId":1,"request":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`;
    const request = requestOf(FINERACT, body);

    // Act
    const error = thrownBy(() => parseHookBody(request, MAX_BYTES));

    // Assess
    expect(error).toMatchObject({ statusCode: 400, code: 'body_too_deep' });
    expect(error.message).toContain(`${MAX_NESTING_DEPTH} levels`);
  });

  it(`hashes a body ${MAX_NESTING_DEPTH} levels deep (the most allowed) without a commandId`, () => {
    // Prepare
    const inner = `${'{"a":'.repeat(MAX_NESTING_DEPTH - 1)}1${'}'.repeat(MAX_NESTING_DEPTH - 1)}`;
    const request = requestOf(FINERACT, `{"request":${inner}}`);

    // Act
    const key = dedupKey(parseHook(request, MAX_BYTES, RECEIVED_AT));

    // Assess
    expect(key).toMatch(/^default\|CLIENT\|CREATE\|body:[0-9a-f]{64}$/);
  });

  it('takes a ~1 MB form envelope whose request is a Java map nested 8 000 deep', () => {
    // Prepare
    const deep = `${'{request='.repeat(8_000)}x${'}'.repeat(8_000)}`;
    const formWith = (padding: string) =>
      [
        'entityName=CLIENT',
        'actionName=CREATE',
        'clientId=42.0',
        `request=${encodeURIComponent(`{firstname=Jane, note=${padding}, request=${deep}}`)}`,
        `response=${encodeURIComponent('{clientId=42.0, resourceId=42.0}')}`,
      ].join('&');
    const form = formWith('n'.repeat(1_000_000 - formWith('').length));
    const request = requestOf({ ...MIFOSX_FORM, 'X-Mifos-Entity': 'CLIENT', 'X-Mifos-Action': 'CREATE' }, form);

    // Act
    const event = parseHook(request, MAX_BYTES, RECEIVED_AT);
    const key = dedupKey(event);

    // Assess
    expect(form.length).toBe(1_000_000);
    expect(event.shape).toBe('envelope');
    expect(event.ids).toMatchObject({ clientId: 42, resourceId: 42 });
    expect(key).toMatch(/^default\|CLIENT\|CREATE\|body:/);
  });
});
