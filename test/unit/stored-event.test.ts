import { normaliseHeaders } from '../../lambdas/core/http';
import { type HookEvent, parseBodyText, parseHook } from '../../lambdas/core/hook-parser';
import {
  CONSISTENT_PREVIOUS_READ_SECONDS,
  hookFromStored,
  previousWindowReadIsConsistent,
  toStoredEvent,
} from '../../lambdas/core/stored-event';
import { allDeliveries, type Delivery } from '../helpers/fixtures';

const RECEIVED_AT = '2024-10-24T09:12:34.000Z';
const GRACE = { sweepGraceSeconds: 300 };

function hookOf(headers: Record<string, string>, body: string | Buffer): HookEvent {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return parseHook({ headers: normaliseHeaders(headers), body: bytes }, 1024 * 1024, RECEIVED_AT);
}

/** What the worker relies on: everything but the API key, which is never stored. */
function withoutKey(hook: HookEvent): Omit<HookEvent, 'apiKey'> {
  const { apiKey: _apiKey, ...rest } = hook;
  return rest;
}

const HOOK_FIXTURES = allDeliveries().filter((d: Delivery) => Object.keys(d.headers).some((h) => /entity$/i.test(h)));

describe('toStoredEvent', () => {
  it('stores a new event received, without attempts, due for the sweeper after the grace period', () => {
    // Prepare
    const hook = hookOf(
      {
        'X-Fineract-Entity': 'CLIENT',
        'X-Fineract-Action': 'CREATE',
        'Fineract-Platform-TenantId': 'default',
        'X-Fineract-API-Key': 'fhk_key',
        'Content-Type': 'application/json',
      },
      '{"entityName":"CLIENT","actionName":"CREATE","request":{},"response":{"clientId":42},"commandId":7}',
    );

    // Act
    const stored = toStoredEvent(hook, GRACE);

    // Assess
    expect(stored).toMatchObject({
      tenantId: 'default',
      dedupKey: 'default|CLIENT|CREATE|cmd:7',
      template: 'sms-bridge',
      shape: 'envelope',
      status: 'received',
      attempts: 0,
      receivedAt: RECEIVED_AT,
      updatedAt: RECEIVED_AT,
      dueAt: '2024-10-24T09:17:34.000Z',
    });
    expect(stored.eventId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(JSON.stringify(stored)).not.toContain('fhk_key');
  });

  it('marks an event without a key header as a Web hook event', () => {
    // Prepare
    const hook = hookOf(
      {
        'X-Mifos-Entity': 'LOAN',
        'X-Mifos-Action': 'REPAYMENT',
        'X-Mifos-Platform-TenantId': 'default',
        'Content-Type': 'application/json',
      },
      '{"loanId":3}',
    );

    // Act
    const stored = toStoredEvent(hook, GRACE);

    // Assess
    expect(stored.template).toBe('web');
  });
});

describe('hookFromStored', () => {
  it.each(HOOK_FIXTURES.map((d) => [d.name, d] as const))('gives back the parsed hook of %s', (_name, delivery) => {
    // Prepare
    const hook = hookOf(delivery.headers, delivery.body);
    const stored = toStoredEvent(hook, GRACE);

    // Act
    const rebuilt = hookFromStored(stored);

    // Assess
    expect(withoutKey(rebuilt)).toEqual(withoutKey(hook));
  });

  it('decodes a form body in the charset it declared, from the stored text', () => {
    // Prepare
    const latin1 = Buffer.from('firstname=Ren%E9e&mobileNo=254712345678&city=S\xe3o+Paulo', 'latin1');
    const hook = hookOf(
      {
        'X-Mifos-Entity': 'CLIENT',
        'X-Mifos-Action': 'CREATE',
        'X-Mifos-Platform-TenantId': 'default',
        'Content-Type': 'application/x-www-form-urlencoded; charset=ISO-8859-1',
      },
      latin1,
    );

    // Act
    const rebuilt = hookFromStored(toStoredEvent(hook, GRACE));

    // Assess
    expect(rebuilt.body).toMatchObject({ firstname: 'Renée', city: 'São Paulo' });
    expect(rebuilt.body).toEqual(hook.body);
  });
});

describe('parseBodyText', () => {
  it('parses JSON text whatever charset the content type named (the text is already decoded)', () => {
    // Prepare
    const text = '{"firstname":"Renée"}';

    // Act
    const parsed = parseBodyText(text, 'json', 'application/json; charset=ISO-8859-1');

    // Assess
    expect(parsed).toEqual({
      body: { firstname: 'Renée' },
      rawBody: text,
      encoding: 'json',
      contentType: 'application/json; charset=ISO-8859-1',
    });
  });

  it('reads an empty JSON body as an empty object', () => {
    // Prepare
    const text = '  ';

    // Act
    const parsed = parseBodyText(text, 'json', '');

    // Assess
    expect(parsed.body).toEqual({});
  });

  it('decodes UTF-8 percent-escapes of a form and keeps its raw text', () => {
    // Prepare
    const text = 'name=Ren%C3%A9e+D&empty=&flag';

    // Act
    const parsed = parseBodyText(text, 'form', 'application/x-www-form-urlencoded');

    // Assess
    expect(parsed.body).toMatchObject({ name: 'Renée D', empty: '', flag: '' });
    expect(parsed.rawBody).toBe(text);
  });
});

describe('previousWindowReadIsConsistent', () => {
  test('only in the first seconds after a window boundary (the previous window’s write may be that recent)', () => {
    // Prepare: 10-minute windows start on the epoch's multiples of 600 s.
    const options = { sweepGraceSeconds: 300, dedupWindowSeconds: 600 };
    const at = (iso: string) => ({ receivedAt: iso });
    const edge = new Date(Date.parse('2026-03-02T10:00:00.000Z') + CONSISTENT_PREVIOUS_READ_SECONDS * 1000);

    // Act
    const answers = [
      previousWindowReadIsConsistent(at('2026-03-02T10:00:00.000Z'), options),
      previousWindowReadIsConsistent(at(new Date(edge.getTime() - 1).toISOString()), options),
      previousWindowReadIsConsistent(at(edge.toISOString()), options),
      previousWindowReadIsConsistent(at('2026-03-02T10:09:59.999Z'), options),
    ];

    // Assess
    expect(answers).toEqual([true, true, false, false]);
  });
});
