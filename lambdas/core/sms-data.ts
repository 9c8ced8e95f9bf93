import { DownstreamError } from './errors';
import type { HookEvent } from './hook-parser';
import { asFields } from './java-text';
import type { FineractClient } from './ports';
import type { FineractAuth } from './model';

export interface SmsData {
  view: Record<string, unknown>;
  mobileNo?: unknown;
  /** Which sender APIs were called, for the event's outcome record. */
  callbacks: string[];
}

function firstOf(sources: (Record<string, unknown> | undefined)[], ...names: string[]): unknown {
  for (const source of sources) {
    if (!source) continue;
    for (const name of names) {
      const value = source[name];
      if (value !== undefined && value !== null && value !== '') return value;
    }
  }
  return undefined;
}

/** Numbers print as JavaScript does (`500.0` was parsed to `500`, `1.5E7` to `15000000`); text as sent. */
function display(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'object') return undefined;
  return String(value);
}

function joinName(first: unknown, last: unknown): string | undefined {
  const name = [display(first), display(last)].filter(Boolean).join(' ').trim();
  return name || undefined;
}

export interface GatherOptions {
  needed: Set<string>;
  fineract?: { client: FineractClient; apiBase: string; auth: FineractAuth };
}

/**
 * Template variables for an event: the envelope first (`request.firstname`, `request.mobileNo`, amounts and
 * dates), then the sender's API for what is still missing and actually used (docs/protocol.md §6).
 * Fineract errors propagate as DownstreamError for the retry policy to judge.
 */
export async function gatherSmsData(event: HookEvent, options: GatherOptions): Promise<SmsData> {
  const request = asFields(event.request);
  const changes = asFields(event.changes);
  const response = asFields(event.response);
  const sources = [request, changes, response, event.body];
  const { ids } = event;
  const callbacks: string[] = [];

  const view: Record<string, unknown> = {
    tenantId: event.tenantId,
    entity: event.entity,
    action: event.action,
    ...ids,
    firstName: display(firstOf([request], 'firstname', 'firstName')),
    lastName: display(firstOf([request], 'lastname', 'lastName')),
    amount: display(firstOf([changes, request], 'transactionAmount', 'amount', 'principal', 'approvedLoanAmount')),
    date: display(
      firstOf(
        [changes, request],
        'transactionDate',
        'actualDisbursementDate',
        'approvedOnDate',
        'activationDate',
        'submittedOnDate',
      ),
    ),
    accountNo: display(firstOf([response, request], 'accountNo')),
  };
  view.clientName = display(firstOf([request], 'fullname', 'displayName')) ?? joinName(view.firstName, view.lastName);
  let mobileNo = firstOf(sources, 'mobileNo');

  const entity = event.entity;
  const loanId = ids.loanId ?? (entity === 'LOAN' || entity === 'LOANCHARGE' ? ids.resourceId : undefined);
  const savingsId =
    ids.savingsId ?? (entity === 'SAVINGSACCOUNT' || entity === 'SAVINGSACCOUNTCHARGE' ? ids.resourceId : undefined);
  let clientId = ids.clientId ?? (entity === 'CLIENT' ? ids.resourceId : undefined);

  const fin = options.fineract;
  const needsName =
    options.needed.has('clientName') || options.needed.has('firstName') || options.needed.has('lastName');
  const needsAccount = options.needed.has('accountNo');

  if (fin && needsAccount && !view.accountNo && entity !== 'CLIENT') {
    if (loanId !== undefined && !entity.startsWith('SAVINGS')) {
      const loan = await fin.client.get(fin.apiBase, `loans/${loanId}`, fin.auth);
      callbacks.push('loans');
      view.accountNo = display(loan.accountNo);
      clientId ??= loan.clientId as number | undefined;
      view.clientName ??= display(loan.clientName);
    } else if (savingsId !== undefined) {
      const savings = await fin.client.get(fin.apiBase, `savingsaccounts/${savingsId}`, fin.auth);
      callbacks.push('savingsaccounts');
      view.accountNo = display(savings.accountNo);
      clientId ??= savings.clientId as number | undefined;
      view.clientName ??= display(savings.clientName);
    }
  }

  const missingClientData =
    mobileNo === undefined || (needsName && !view.clientName) || (needsAccount && !view.accountNo);
  if (fin && missingClientData && clientId !== undefined) {
    const client = await fin.client.get(fin.apiBase, `clients/${clientId}`, fin.auth);
    callbacks.push('clients');
    mobileNo ??= client.mobileNo;
    view.clientName ??= display(client.displayName) ?? joinName(client.firstname, client.lastname);
    view.firstName ??= display(client.firstname);
    view.lastName ??= display(client.lastname);
    view.officeName ??= display(client.officeName);
    if (!view.accountNo && entity === 'CLIENT') view.accountNo = display(client.accountNo);
  }

  if (view.clientName === undefined) view.clientName = 'Customer';
  view.name = view.clientName;
  view.account = view.accountNo;
  view.clientId = clientId;
  return { view, mobileNo, callbacks };
}

/** A 404 right after the event is the sender not having committed yet (MifosX fires before its commit). */
export function isEarlyNotFound(error: unknown, receivedAt: string, now: Date, windowSeconds: number): boolean {
  return (
    error instanceof DownstreamError &&
    error.service === 'fineract' &&
    error.status === 404 &&
    now.getTime() - Date.parse(receivedAt) < windowSeconds * 1000
  );
}
