import type { StoredEvent } from '../../lambdas/core/model';
import {
  effectiveTemplates,
  previewEventSms,
  previewTemplate,
  unknownVariables,
} from '../../lambdas/core/template-preview';
import { DEFAULT_TEMPLATES } from '../../lambdas/core/templates';

/** A Fineract client-created envelope as ingest stores it: name and number are in the body. */
function storedClientCreate(): StoredEvent {
  return {
    tenantId: 'default',
    eventId: 'evt-1',
    dedupKey: 'k',
    entity: 'CLIENT',
    action: 'CREATE',
    entityRaw: 'CLIENT',
    actionRaw: 'CREATE',
    source: 'fineract',
    template: 'sms-bridge',
    shape: 'envelope',
    encoding: 'json',
    failed: false,
    ids: { clientId: 42 },
    rawBody: JSON.stringify({
      entityName: 'CLIENT',
      actionName: 'CREATE',
      request: { firstname: 'Jane', lastname: 'Doe', mobileNo: '254712345678' },
      clientId: 42,
      response: { clientId: 42, resourceId: 42 },
    }),
    contentType: 'application/json; charset=UTF-8',
    receivedAt: '2024-10-24T09:12:34.000Z',
    updatedAt: '2024-10-24T09:12:34.000Z',
    status: 'sent',
    attempts: 1,
  };
}

describe('effectiveTemplates', () => {
  it('lists every default and every override once, overrides marked and silenced keys without text', () => {
    // Prepare
    const overrides = { 'CLIENT.CREATE': '', 'GROUP.CREATE': 'Welcome to {{officeName}}' };

    // Act
    const rows = effectiveTemplates(overrides);

    // Assess
    expect(rows.map((r) => r.key)).toEqual([...Object.keys(DEFAULT_TEMPLATES), 'GROUP.CREATE'].sort());
    expect(rows.find((r) => r.key === 'CLIENT.CREATE')).toEqual({
      key: 'CLIENT.CREATE',
      template: undefined,
      source: 'tenant',
    });
    expect(rows.find((r) => r.key === 'LOAN.REPAYMENT')?.source).toBe('default');
  });
});

describe('unknownVariables', () => {
  it('names what no event fills, accepting the old bridge’s name and account', () => {
    // Prepare
    const template = '{{name}} {{account}} {{clientName}} {{#amount}}{{amount}}{{/amount}} {{nickname}}';

    // Act
    const unknown = unknownVariables(template);

    // Assess
    expect(unknown).toEqual(['nickname']);
  });
});

describe('previewTemplate', () => {
  it('renders the effective template with sample data when no event is given', async () => {
    // Prepare
    const input = { tenantId: 'default', key: 'LOAN.REPAYMENT', overrides: {} };

    // Act
    const preview = await previewTemplate(input);

    // Assess
    expect(preview).toEqual({
      key: 'LOAN.REPAYMENT',
      template: DEFAULT_TEMPLATES['LOAN.REPAYMENT'],
      data: 'sample',
      text: 'Hello Jane Doe, repayment for 000000007 received!',
    });
  });

  it('renders with a stored event as the worker would from the body alone', async () => {
    // Prepare
    const input = {
      tenantId: 'default',
      key: 'CLIENT.CREATE',
      overrides: { 'CLIENT.CREATE': 'Hi {{firstName}} (client {{clientId}}), {{officeName}}.' },
      event: storedClientCreate(),
    };

    // Act
    const preview = await previewTemplate(input);

    // Assess
    expect(preview).toMatchObject({ data: 'event', text: 'Hi Jane (client 42),.' });
  });

  it('has no text for a key without a template', async () => {
    // Prepare
    const input = { tenantId: 'default', key: 'CLIENT.CREATE', overrides: { 'CLIENT.CREATE': '' } };

    // Act
    const preview = await previewTemplate(input);

    // Assess
    expect(preview).toEqual({ key: 'CLIENT.CREATE', data: 'sample' });
  });
});

describe('previewEventSms', () => {
  it('gives the SMS a stored event would produce, or nothing when its key is silenced', async () => {
    // Prepare
    const event = storedClientCreate();

    // Act
    const text = await previewEventSms(event, {});
    const silenced = await previewEventSms(event, { 'CLIENT.CREATE': '' });

    // Assess
    expect(text).toBe('Hello Jane Doe, welcome at Mifos X!');
    expect(silenced).toBeUndefined();
  });
});
