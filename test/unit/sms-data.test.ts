import { DownstreamError } from '../../lambdas/core/errors';
import { type HookEvent, parseHook } from '../../lambdas/core/hook-parser';
import { normaliseHeaders } from '../../lambdas/core/http';
import type { FineractClient } from '../../lambdas/core/ports';
import type { FineractAuth } from '../../lambdas/core/model';
import { gatherSmsData, isEarlyNotFound } from '../../lambdas/core/sms-data';
import { DEFAULT_TEMPLATES, renderTemplate, variablesOf } from '../../lambdas/core/templates';
import { type Delivery, loadDelivery } from '../helpers/fixtures';

const RECEIVED_AT = '2024-10-24T09:12:34.000Z';
const API_BASE = 'https://mifos.example.org:8443/mifosng-provider/api/v1/';
const AUTH: FineractAuth = { tenantId: 'default', mifosToken: 'bWlmb3M6cGFzc3dvcmQ=' };

interface Call {
  apiBase: string;
  path: string;
  auth: FineractAuth;
}

/** Answers only the paths it was given; anything else fails the test loudly. */
class FakeFineractClient implements FineractClient {
  readonly calls: Call[] = [];
  constructor(private readonly responses: Record<string, Record<string, unknown>> = {}) {}

  async get(apiBase: string, path: string, auth: FineractAuth): Promise<Record<string, unknown>> {
    this.calls.push({ apiBase, path, auth });
    const response = this.responses[path];
    if (!response) throw new Error(`unexpected Fineract call: GET ${apiBase}${path}`);
    return response;
  }
}

/** For events whose data is all in the envelope: any callback is a failure. */
const NO_CALLS_CLIENT: FineractClient = {
  get: async (_apiBase, path) => {
    throw new Error(`no Fineract callback expected, got GET ${path}`);
  },
};

function eventFrom(delivery: Delivery): HookEvent {
  return parseHook(
    { headers: normaliseHeaders(delivery.headers), body: Buffer.from(delivery.body, 'utf8') },
    1024 * 1024,
    RECEIVED_AT,
  );
}

function envelopeEvent(entity: string, action: string, body: Record<string, unknown>): HookEvent {
  return parseHook(
    {
      headers: normaliseHeaders({
        'X-Fineract-Entity': entity,
        'X-Fineract-Action': action,
        'Fineract-Platform-TenantId': 'default',
        'Content-Type': 'application/json; charset=UTF-8',
      }),
      body: Buffer.from(JSON.stringify({ entityName: entity, actionName: action, ...body }), 'utf8'),
    },
    1024 * 1024,
    RECEIVED_AT,
  );
}

function neededFor(key: string): Set<string> {
  return variablesOf(DEFAULT_TEMPLATES[key]!);
}

describe('gatherSmsData', () => {
  it('takes name and mobile number of a Fineract client create from the envelope, with no callback', async () => {
    // Prepare
    const event = eventFrom(loadDelivery('fineract-sms-client-create-envelope'));

    // Act
    const data = await gatherSmsData(event, {
      needed: neededFor('CLIENT.CREATE'),
      fineract: { client: NO_CALLS_CLIENT, apiBase: API_BASE, auth: AUTH },
    });

    // Assess
    expect(data.callbacks).toEqual([]);
    expect(data.mobileNo).toBe('254712345678');
    expect(data.view).toMatchObject({
      clientName: 'Jane Doe',
      name: 'Jane Doe',
      firstName: 'Jane',
      lastName: 'Doe',
      clientId: 42,
      tenantId: 'default',
      entity: 'CLIENT',
      action: 'CREATE',
    });
    expect(renderTemplate(DEFAULT_TEMPLATES['CLIENT.CREATE']!, data.view)).toBe('Hello Jane Doe, welcome at Mifos X!');
  });

  it('calls loans/{id} then clients/{id} for a flat MifosX loan repayment', async () => {
    // Prepare
    const event = eventFrom(loadDelivery('mifosx-sms-loan-repayment'));
    const client = new FakeFineractClient({
      'loans/7': { id: 7, accountNo: '000000007', clientId: 42 },
      'clients/42': { id: 42, displayName: 'Jane Doe', mobileNo: '254712345678' },
    });

    // Act
    const data = await gatherSmsData(event, {
      needed: neededFor('LOAN.REPAYMENT'),
      fineract: { client, apiBase: API_BASE, auth: AUTH },
    });

    // Assess
    expect(client.calls).toEqual([
      { apiBase: API_BASE, path: 'loans/7', auth: AUTH },
      { apiBase: API_BASE, path: 'clients/42', auth: AUTH },
    ]);
    expect(data.callbacks).toEqual(['loans', 'clients']);
    expect(data.mobileNo).toBe('254712345678');
    expect(data.view).toMatchObject({
      accountNo: '000000007',
      account: '000000007',
      clientName: 'Jane Doe',
      amount: '500',
      date: '15 October 2015',
      loanId: 7,
      clientId: 42,
    });
    expect(renderTemplate(DEFAULT_TEMPLATES['LOAN.REPAYMENT']!, data.view)).toBe(
      'Hello Jane Doe, repayment for 000000007 received!',
    );
  });

  it('skips the loans call when the template does not use accountNo', async () => {
    // Prepare
    const event = eventFrom(loadDelivery('mifosx-sms-loan-repayment'));
    const client = new FakeFineractClient({
      'clients/42': { id: 42, displayName: 'Jane Doe', mobileNo: '254712345678' },
    });

    // Act
    const data = await gatherSmsData(event, {
      needed: variablesOf('Hello {{clientName}}, we received {{amount}}. Thank you!'),
      fineract: { client, apiBase: API_BASE, auth: AUTH },
    });

    // Assess
    expect(client.calls.map((c) => c.path)).toEqual(['clients/42']);
    expect(data.callbacks).toEqual(['clients']);
    expect(data.view.accountNo).toBeUndefined();
    expect(data.view.clientName).toBe('Jane Doe');
  });

  it('calls clients/{id} for a flat MifosX client create (name and number are not in the body)', async () => {
    // Prepare
    const event = eventFrom(loadDelivery('mifosx-sms-client-create'));
    const client = new FakeFineractClient({
      'clients/42': { id: 42, displayName: 'Jane Doe', mobileNo: '254712345678', accountNo: '000000042' },
    });

    // Act
    const data = await gatherSmsData(event, {
      needed: neededFor('CLIENT.CREATE'),
      fineract: { client, apiBase: API_BASE, auth: AUTH },
    });

    // Assess
    expect(client.calls.map((c) => c.path)).toEqual(['clients/42']);
    expect(data.mobileNo).toBe('254712345678');
    expect(data.view.clientName).toBe('Jane Doe');
  });

  it('builds the client name from first and last name when the client has no displayName', async () => {
    // Prepare
    const event = eventFrom(loadDelivery('mifosx-sms-client-create'));
    const client = new FakeFineractClient({
      'clients/42': { id: 42, firstname: 'Zoë', lastname: 'Ñandú', mobileNo: '254712345678' },
    });

    // Act
    const data = await gatherSmsData(event, {
      needed: neededFor('CLIENT.CREATE'),
      fineract: { client, apiBase: API_BASE, auth: AUTH },
    });

    // Assess
    expect(data.view).toMatchObject({ clientName: 'Zoë Ñandú', firstName: 'Zoë', lastName: 'Ñandú' });
  });

  it('calls savingsaccounts/{id} for a savings deposit envelope', async () => {
    // Prepare
    const event = envelopeEvent('SAVINGSACCOUNT', 'DEPOSIT', {
      request: { transactionAmount: 500.0, transactionDate: '24 October 2024', locale: 'en' },
      clientId: 42,
      officeId: 1,
      response: { officeId: 1, clientId: 42, savingsId: 9, resourceId: 55, changes: {} },
    });
    const client = new FakeFineractClient({
      'savingsaccounts/9': { id: 9, accountNo: 'SA-000009', clientId: 42, clientName: 'Jane Doe' },
      'clients/42': { id: 42, displayName: 'Jane Doe', mobileNo: '254712345678' },
    });

    // Act
    const data = await gatherSmsData(event, {
      needed: neededFor('SAVINGSACCOUNT.DEPOSIT'),
      fineract: { client, apiBase: API_BASE, auth: AUTH },
    });

    // Assess
    expect(client.calls.map((c) => c.path)).toEqual(['savingsaccounts/9', 'clients/42']);
    expect(data.callbacks).toEqual(['savingsaccounts', 'clients']);
    expect(data.view).toMatchObject({ accountNo: 'SA-000009', clientName: 'Jane Doe', amount: '500' });
    expect(renderTemplate(DEFAULT_TEMPLATES['SAVINGSACCOUNT.DEPOSIT']!, data.view)).toBe(
      'Hello Jane Doe, we received your deposit of 500 to account SA-000009.',
    );
  });

  it('takes the account number from the envelope when the sender put it there', async () => {
    // Prepare
    const event = envelopeEvent('LOAN', 'DISBURSE', {
      request: { firstname: 'Jane', lastname: 'Doe', mobileNo: '254712345678' },
      clientId: 42,
      response: { clientId: 42, loanId: 7, resourceId: 7, accountNo: 'L-000007' },
    });

    // Act
    const data = await gatherSmsData(event, {
      needed: neededFor('LOAN.DISBURSE'),
      fineract: { client: NO_CALLS_CLIENT, apiBase: API_BASE, auth: AUTH },
    });

    // Assess
    expect(data.callbacks).toEqual([]);
    expect(data.view.accountNo).toBe('L-000007');
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a JSON double 500.0', { transactionAmount: 500.0 }, '500'],
    ['a Java big double 1.5E7 (JSON)', { transactionAmount: 1.5e7 }, '15000000'],
    ['a fractional amount', { transactionAmount: 1234.5 }, '1234.5'],
    ['text as the sender gave it', { transactionAmount: '500.00' }, '500.00'],
  ])('shows %s as %p', async (_label, request, expected) => {
    // Prepare
    const event = envelopeEvent('LOAN', 'REPAYMENT', {
      request: { ...request, firstname: 'Jane', mobileNo: '254712345678' },
      response: { loanId: 7, clientId: 42, accountNo: 'L-7' },
    });

    // Act
    const data = await gatherSmsData(event, { needed: new Set(['amount']) });

    // Assess
    expect(data.view.amount).toBe(expected);
  });

  it('shows 500.0 and 1.5E7 of a form envelope as 500 and 15000000', async () => {
    // Prepare
    const body = new URLSearchParams({
      entityName: 'LOAN',
      actionName: 'REPAYMENT',
      request: '{transactionAmount=500.0, transactionDate=24 October 2024}',
      response: '{clientId=42.0, loanId=7.0, resourceId=118.0, changes={principalPortion=1.5E7}}',
    }).toString();
    const event = parseHook(
      {
        headers: normaliseHeaders({
          'X-Fineract-Entity': 'LOAN',
          'X-Fineract-Action': 'REPAYMENT',
          'Fineract-Platform-TenantId': 'default',
          'Content-Type': 'application/x-www-form-urlencoded',
        }),
        body: Buffer.from(body, 'utf8'),
      },
      1024 * 1024,
      RECEIVED_AT,
    );

    // Act
    const data = await gatherSmsData(event, { needed: new Set(['amount', 'date']) });

    // Assess
    expect(data.view.amount).toBe('500');
    expect(data.view.date).toBe('24 October 2024');
    expect(data.view.loanId).toBe(7);
  });

  it('reads amount and ids from the changes of the MifosX form fixture', async () => {
    // Prepare
    const event = eventFrom(loadDelivery('mifosx-web-form-loan-repayment'));

    // Act
    const data = await gatherSmsData(event, { needed: new Set(['amount', 'date']) });

    // Assess
    expect(data.view).toMatchObject({ amount: '500', date: '15 October 2015', loanId: 7, clientId: 42 });
  });

  it('makes no callback and falls back to "Customer" without a Fineract API base', async () => {
    // Prepare
    const event = eventFrom(loadDelivery('mifosx-sms-loan-repayment'));

    // Act
    const data = await gatherSmsData(event, { needed: neededFor('LOAN.REPAYMENT') });

    // Assess
    expect(data.callbacks).toEqual([]);
    expect(data.mobileNo).toBeUndefined();
    expect(data.view.clientName).toBe('Customer');
    expect(data.view.accountNo).toBeUndefined();
  });

  it('lets a Fineract failure propagate for the retry policy', async () => {
    // Prepare
    const event = eventFrom(loadDelivery('mifosx-sms-client-create'));
    const failure = new DownstreamError('fineract', 'Not Found', { retryable: false, status: 404 });
    const client: FineractClient = {
      get: async () => {
        throw failure;
      },
    };

    // Act
    const act = gatherSmsData(event, {
      needed: neededFor('CLIENT.CREATE'),
      fineract: { client, apiBase: API_BASE, auth: AUTH },
    });

    // Assess
    await expect(act).rejects.toBe(failure);
  });
});

describe('isEarlyNotFound', () => {
  const notFound = new DownstreamError('fineract', 'Not Found', { retryable: false, status: 404 });
  const received = Date.parse(RECEIVED_AT);

  it.each<[string, unknown, number, boolean]>([
    ['a Fineract 404 right after the event', notFound, 1, true],
    ['a Fineract 404 just inside the window', notFound, 59.999, true],
    ['a Fineract 404 at the end of the window', notFound, 60, false],
    ['a Fineract 404 long after the event', notFound, 3600, false],
    ['a Fineract 500', new DownstreamError('fineract', 'boom', { retryable: true, status: 500 }), 1, false],
    ['a Twilio 404', new DownstreamError('twilio', 'Not Found', { retryable: false, status: 404 }), 1, false],
    ['a plain Error', new Error('Not Found'), 1, false],
  ])('%s → %p', (_label, error, secondsLater, expected) => {
    // Prepare
    const now = new Date(received + secondsLater * 1000);

    // Act
    const early = isEarlyNotFound(error, RECEIVED_AT, now, 60);

    // Assess
    expect(early).toBe(expected);
  });
});
