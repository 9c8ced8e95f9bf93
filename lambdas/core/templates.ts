import Mustache from 'mustache';

/**
 * Default SMS per ENTITY.ACTION. CLIENT.CREATE and LOAN.REPAYMENT keep the old bridge's wording so institutions
 * switching over see no change; SMS.SEND (a MifosX user-defined template) is sent verbatim and has none.
 * Tenants override any key, or add new ones, with `cli templates set`; an empty override silences a key.
 */
export const DEFAULT_TEMPLATES: Readonly<Record<string, string>> = {
  'CLIENT.CREATE': 'Hello {{clientName}}, welcome at Mifos X!',
  'CLIENT.ACTIVATE': 'Hello {{clientName}}, your account is now active.',
  'LOAN.APPROVE': 'Hello {{clientName}}, your loan {{accountNo}} has been approved.',
  'LOAN.DISBURSE':
    'Hello {{clientName}}, your loan {{accountNo}} has been disbursed{{#amount}}: {{amount}}{{/amount}}.',
  'LOAN.REPAYMENT': 'Hello {{clientName}}, repayment for {{accountNo}} received!',
  'SAVINGSACCOUNT.DEPOSIT':
    'Hello {{clientName}}, we received your deposit{{#amount}} of {{amount}}{{/amount}} to account {{accountNo}}.',
  'SAVINGSACCOUNT.WITHDRAWAL':
    'Hello {{clientName}}, a withdrawal{{#amount}} of {{amount}}{{/amount}} was made from account {{accountNo}}.',
  'LOANCHARGE.PAY':
    'Hello {{clientName}}, your charge payment{{#amount}} of {{amount}}{{/amount}} on loan {{accountNo}} was received.',
  'SAVINGSACCOUNTCHARGE.PAY':
    'Hello {{clientName}}, a charge{{#amount}} of {{amount}}{{/amount}} was paid on account {{accountNo}}.',
};

export const SMS_SEND_KEY = 'SMS.SEND';

/** The variables a template can use; documented in the README. */
export const TEMPLATE_VARIABLES: Readonly<Record<string, string>> = {
  clientName: "client's display name (MifosX displayName, or first + last name)",
  firstName: "client's first name",
  lastName: "client's last name",
  accountNo: 'loan or savings account number (or the client account number for CLIENT events)',
  amount: 'transaction amount as the sender gave it (e.g. 500 or 500.00)',
  date: 'transaction / action date as the sender gave it (e.g. 24 October 2024)',
  officeName: "client's office name",
  officeId: 'office id',
  clientId: 'client id',
  loanId: 'loan id',
  savingsId: 'savings account id',
  resourceId: 'resource id of the command result',
  transactionId: 'transaction id',
  tenantId: 'tenant id',
  entity: 'entity name (e.g. LOAN)',
  action: 'action name (e.g. REPAYMENT)',
};

export function templateKey(entity: string, action: string): string {
  return `${entity.toUpperCase()}.${action.toUpperCase()}`;
}

/** Tenant override first (an empty one disables the key), then the default. */
export function resolveTemplate(key: string, overrides: Record<string, string>): string | undefined {
  if (Object.hasOwn(overrides, key)) return overrides[key]!.trim() === '' ? undefined : overrides[key];
  return DEFAULT_TEMPLATES[key];
}

/** Names a template refers to, so the worker calls the sender back only for data the text needs. */
export function variablesOf(template: string): Set<string> {
  const names = new Set<string>();
  const walk = (tokens: unknown[]) => {
    for (const token of tokens as [string, string, number, number, unknown[]?][]) {
      if (token[0] === 'name' || token[0] === '&' || token[0] === '#' || token[0] === '^')
        names.add(token[1].split('.')[0]!);
      if (Array.isArray(token[4])) walk(token[4]);
    }
  };
  walk(Mustache.parse(template));
  return names;
}

/** Throws with Mustache's own message on a syntax error (used by `cli templates set` to refuse bad input). */
export function validateTemplate(template: string): void {
  Mustache.parse(template);
}

/** SMS is plain text: no HTML escaping. Whitespace runs from missing values are tidied. */
export function renderTemplate(template: string, view: Record<string, unknown>): string {
  return Mustache.render(template, view, {}, { escape: (value: unknown) => String(value) })
    .replace(/[ \t]{2,}/g, ' ')
    .replace(/ +([,.!?])/g, '$1')
    .trim();
}
