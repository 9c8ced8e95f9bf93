/**
 * A preset DEFLATE dictionary for hook bodies (docs/protocol.md §3): the field names and values MifosX and
 * Fineract repeat in every envelope and flat body. A body of a few hundred bytes has too little repetition of its
 * own for DEFLATE to find (a Fineract client-create envelope: 469 → 286 bytes without it, ~120 with it), and an
 * event item under 1 KB costs one write unit per write instead of two.
 *
 * Stored data: a sealed body compressed with this dictionary opens only with these exact bytes. Never edit it; a
 * better dictionary is a new one beside it, under a new format id (data-protection.ts, SEAL_FORMATS).
 */
const FRAGMENTS = [
  // Flat bodies (MifosX SMS Bridge, Web hooks) and their nested changes.
  '{"mobileNo":"","message":"Dear ',
  '"changes":{"status":{"id":300,"code":"loanStatusType.active","value":"Active","pendingApproval":false,',
  '"waitingForDisbursal":false,"active":true,"closedObligationsMet":false,"closedWrittenOff":false,',
  '"closedRescheduled":false,"closed":false,"overpaid":false},"actualDisbursementDate":"',
  '"approvedOnDate":"","expectedDisbursementDate":"","principal":"","approvedLoanAmount":"","accountNo":"',
  '"savingsId":"","commandId":"","groupId":"","productId":"","subResourceId":"',
  '"transactionDate":"","transactionAmount":"","paymentTypeId":1,"note":"","receiptNumber":"',
  // Months as Fineract's default date format writes them.
  ' January 20',
  ' February 20',
  ' March 20',
  ' April 20',
  ' May 20',
  ' June 20',
  ' July 20',
  ' August 20',
  ' September 20',
  ' October 20',
  ' November 20',
  ' December 20',
  // Fineract ≥ 1.7 envelopes, most common last (DEFLATE reaches the end of a dictionary with the shortest codes).
  '"entityName":"LOAN","actionName":"REPAYMENT","DISBURSE","APPROVE","SAVINGSACCOUNT","DEPOSIT","WITHDRAWAL",',
  '"ACTIVATE","CLIENT","CREATE","UPDATE","DELETE","LOANCHARGE","GROUP"',
  '{"createdByName":"mifos","request":{"officeId":1.0,"firstname":"","lastname":"","mobileNo":"","active":true,',
  '"activationDate":"","submittedOnDate":"","legalFormId":1.0,"locale":"en","dateFormat":"dd MMMM yyyy"},',
  '"clientId":,"createdBy":1,"officeId":1,"entityName":"CLIENT","response":{"clientId":,"loanId":,"resourceId":',
  '},"createdByFullName":"App Administrator","actionName":"CREATE","timestamp":"20',
];

export const HOOK_BODY_DICTIONARY_V1: Buffer = Buffer.from(FRAGMENTS.join(''), 'utf8');
