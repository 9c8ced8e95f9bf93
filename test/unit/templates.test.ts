import {
  DEFAULT_TEMPLATES,
  renderTemplate,
  resolveTemplate,
  SMS_SEND_KEY,
  TEMPLATE_VARIABLES,
  templateKey,
  validateTemplate,
  variablesOf,
} from '../../lambdas/core/templates';

describe('DEFAULT_TEMPLATES', () => {
  it('keeps the old bridge’s wording for CLIENT.CREATE and LOAN.REPAYMENT', () => {
    // Prepare
    const view = { clientName: 'Jane Doe', accountNo: '000000007' };

    // Act
    const welcome = renderTemplate(DEFAULT_TEMPLATES['CLIENT.CREATE']!, view);
    const repayment = renderTemplate(DEFAULT_TEMPLATES['LOAN.REPAYMENT']!, view);

    // Assess
    expect(DEFAULT_TEMPLATES['CLIENT.CREATE']).toBe('Hello {{clientName}}, welcome at Mifos X!');
    expect(welcome).toBe('Hello Jane Doe, welcome at Mifos X!');
    expect(repayment).toBe('Hello Jane Doe, repayment for 000000007 received!');
  });

  it.each([
    'CLIENT.CREATE',
    'CLIENT.ACTIVATE',
    'LOAN.APPROVE',
    'LOAN.DISBURSE',
    'LOAN.REPAYMENT',
    'SAVINGSACCOUNT.DEPOSIT',
    'SAVINGSACCOUNT.WITHDRAWAL',
    'LOANCHARGE.PAY',
    'SAVINGSACCOUNTCHARGE.PAY',
  ])('has a valid default for %s that only uses documented variables', (key) => {
    // Prepare
    const template = DEFAULT_TEMPLATES[key];

    // Act
    const names = template === undefined ? [] : [...variablesOf(template)];

    // Assess
    expect(template).toEqual(expect.any(String));
    expect(() => validateTemplate(template!)).not.toThrow();
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) expect(Object.keys(TEMPLATE_VARIABLES)).toContain(name);
  });

  it('has no default for SMS.SEND (the sender rendered the message already)', () => {
    // Prepare
    const key = SMS_SEND_KEY;

    // Act
    const template = resolveTemplate(key, {});

    // Assess
    expect(key).toBe('SMS.SEND');
    expect(template).toBeUndefined();
  });

  it('renders every amount-bearing default with and without an amount', () => {
    // Prepare
    const keys = ['LOAN.DISBURSE', 'SAVINGSACCOUNT.DEPOSIT', 'SAVINGSACCOUNT.WITHDRAWAL', 'LOANCHARGE.PAY'];
    const view = { clientName: 'Jane', accountNo: 'SA-9' };

    // Act
    const withAmount = keys.map((k) => renderTemplate(DEFAULT_TEMPLATES[k]!, { ...view, amount: '500' }));
    const withoutAmount = keys.map((k) => renderTemplate(DEFAULT_TEMPLATES[k]!, view));

    // Assess
    for (const text of withAmount) expect(text).toContain('500');
    for (const text of withoutAmount) {
      expect(text).not.toMatch(/ of\s*(to|was|on)\b|:\s*\.|\s{2}/);
      expect(text).toContain('Jane');
    }
    expect(withAmount[1]).toBe('Hello Jane, we received your deposit of 500 to account SA-9.');
    expect(withoutAmount[1]).toBe('Hello Jane, we received your deposit to account SA-9.');
    expect(withoutAmount[0]).toBe('Hello Jane, your loan SA-9 has been disbursed.');
  });
});

describe('templateKey', () => {
  it.each([
    ['loan', 'repayment', 'LOAN.REPAYMENT'],
    ['CLIENT', 'CREATE', 'CLIENT.CREATE'],
    ['sms', 'send', 'SMS.SEND'],
  ])('%s/%s → %s', (entity, action, expected) => {
    // Prepare
    const pair = [entity, action] as const;

    // Act
    const key = templateKey(...pair);

    // Assess
    expect(key).toBe(expected);
  });
});

describe('resolveTemplate', () => {
  it('returns the default when the tenant has no override', () => {
    // Prepare
    const overrides = { 'LOAN.REPAYMENT': 'custom' };

    // Act
    const template = resolveTemplate('CLIENT.CREATE', overrides);

    // Assess
    expect(template).toBe(DEFAULT_TEMPLATES['CLIENT.CREATE']);
  });

  it('prefers the tenant’s override', () => {
    // Prepare
    const overrides = { 'CLIENT.CREATE': 'Karibu {{clientName}}!' };

    // Act
    const template = resolveTemplate('CLIENT.CREATE', overrides);

    // Assess
    expect(template).toBe('Karibu {{clientName}}!');
  });

  it('serves an override for a key that has no default', () => {
    // Prepare
    const overrides = { 'GROUP.CREATE': 'New group' };

    // Act
    const template = resolveTemplate('GROUP.CREATE', overrides);

    // Assess
    expect(template).toBe('New group');
  });

  it.each([
    ['empty', ''],
    ['blank', '   \n'],
  ])('treats an %s override as “do not text this event”', (_label, override) => {
    // Prepare
    const overrides = { 'LOAN.REPAYMENT': override };

    // Act
    const template = resolveTemplate('LOAN.REPAYMENT', overrides);

    // Assess
    expect(template).toBeUndefined();
  });

  it('returns undefined for an unknown key without override', () => {
    // Prepare
    const overrides = {};

    // Act
    const template = resolveTemplate('GROUP.CREATE', overrides);

    // Assess
    expect(template).toBeUndefined();
  });
});

describe('variablesOf', () => {
  it('lists plain, unescaped, section and inverted-section names, including names inside sections', () => {
    // Prepare
    const template =
      'Hi {{clientName}} {{{firstName}}} {{& lastName}}{{#amount}} of {{amount}} on {{date}}{{/amount}}{{^accountNo}}no account{{/accountNo}}';

    // Act
    const names = variablesOf(template);

    // Assess
    expect([...names].sort()).toEqual(['accountNo', 'amount', 'clientName', 'date', 'firstName', 'lastName']);
  });

  it('reduces dotted names to their first part', () => {
    // Prepare
    const template = '{{client.displayName}} {{#loan}}{{loan.accountNo}}{{/loan}}';

    // Act
    const names = variablesOf(template);

    // Assess
    expect([...names].sort()).toEqual(['client', 'loan']);
  });

  it('is empty for plain text', () => {
    // Prepare
    const template = 'Thank you for banking with us.';

    // Act
    const names = variablesOf(template);

    // Assess
    expect(names.size).toBe(0);
  });

  it('does not list accountNo for CLIENT.CREATE (so no account callback is needed)', () => {
    // Prepare
    const template = DEFAULT_TEMPLATES['CLIENT.CREATE']!;

    // Act
    const names = variablesOf(template);

    // Assess
    expect([...names]).toEqual(['clientName']);
  });
});

describe('renderTemplate', () => {
  it('does not HTML-escape values (SMS is plain text)', () => {
    // Prepare
    const template = 'Hello {{clientName}}, welcome!';

    // Act
    const text = renderTemplate(template, { clientName: `O'Brien & <Sons> "Ltd"` });

    // Assess
    expect(text).toBe(`Hello O'Brien & <Sons> "Ltd", welcome!`);
  });

  it.each([
    ['a missing name before a comma', 'Hello {{clientName}}, welcome at Mifos X!', {}, 'Hello, welcome at Mifos X!'],
    [
      'a missing account in the middle',
      'Hello {{clientName}}, repayment for {{accountNo}} received!',
      { clientName: 'Jane' },
      'Hello Jane, repayment for received!',
    ],
    [
      'a missing value before a full stop',
      'Your loan {{accountNo}} was approved {{date}}.',
      { accountNo: 'L-7' },
      'Your loan L-7 was approved.',
    ],
    ['a missing value before a question mark', 'Is this {{clientName}}?', {}, 'Is this?'],
    ['a leading missing value', '{{clientName}} welcome', {}, 'welcome'],
  ])('tidies spaces around %s', (_label, template, view, expected) => {
    // Prepare
    const input = template;

    // Act
    const text = renderTemplate(input, view);

    // Assess
    expect(text).toBe(expected);
  });

  it('keeps line breaks and single spaces as written', () => {
    // Prepare
    const template = 'Hello {{clientName}},\nthank you.';

    // Act
    const text = renderTemplate(template, { clientName: 'Jane' });

    // Assess
    expect(text).toBe('Hello Jane,\nthank you.');
  });

  it('renders numbers and omits sections for missing values', () => {
    // Prepare
    const template = 'Paid{{#amount}} {{amount}}{{/amount}} on {{accountNo}}.';

    // Act
    const withAmount = renderTemplate(template, { amount: 500, accountNo: 'L-7' });
    const withoutAmount = renderTemplate(template, { accountNo: 'L-7' });

    // Assess
    expect(withAmount).toBe('Paid 500 on L-7.');
    expect(withoutAmount).toBe('Paid on L-7.');
  });
});

describe('validateTemplate', () => {
  it.each([
    ['an unclosed section', 'Hello {{#amount}}{{amount}}'],
    ['a mismatched closing tag', '{{#a}}x{{/b}}'],
    ['an unclosed tag', 'Hello {{clientName'],
  ])('throws on %s', (_label, template) => {
    // Prepare
    const input = template;

    // Act
    const act = () => validateTemplate(input);

    // Assess
    expect(act).toThrow();
  });

  it('throws with Mustache’s message naming the unclosed section', () => {
    // Prepare
    const template = '{{#a}}';

    // Act
    const act = () => validateTemplate(template);

    // Assess
    expect(act).toThrow(/a/);
    expect(act).toThrow(/[Uu]nclosed/);
  });

  it('accepts a well-formed template', () => {
    // Prepare
    const template = 'Hello {{clientName}}{{#amount}} {{amount}}{{/amount}}';

    // Act
    const act = () => validateTemplate(template);

    // Assess
    expect(act).not.toThrow();
  });
});
