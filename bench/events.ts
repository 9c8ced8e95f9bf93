/**
 * The traffic: SMS Bridge hook events as MifosX and Fineract send them (test/fixtures/*client-create*), each with
 * its own client id and name so every body is distinct (no dedup hits) and every SMS can be traced back to the
 * event that caused it.
 */
export const TENANT_ID = 'bench';
export const ACCOUNT_SID = `AC${'b3'.repeat(16)}`;
export const AUTH_TOKEN = '0123456789abcdef0123456789abcdef';
export const MOBILE_NO = '254712345678';
export const HOOK_PATH = '/modules/sms/';

export interface HookRequest {
  /** Unique per event; the SMS text starts with `Hello {tag}`. */
  tag: string;
  clientId: number;
  /** `envelope`: Fineract ≥ 1.7, name and number in the body; `flat`: MifosX, needs the Fineract callback. */
  shape: 'envelope' | 'flat';
  headers: Record<string, string>;
  body: string;
}

export interface EventSource {
  /** Builds event number `seq` of this source. */
  make(seq: number): HookRequest;
  /** The next event (a counter shared by every connection of a run). */
  next(): HookRequest;
  readonly made: number;
}

/**
 * Events numbered from `idBase`; `mix` chooses the shapes: `envelope` only, or alternating envelope / flat
 * (the flat ones make the worker call the fake Fineract for the client's name and number).
 */
export function eventSource(options: {
  apiKey: string;
  prefix: string;
  idBase: number;
  mix: 'envelope' | 'mixed';
}): EventSource {
  let made = 0;
  const make = (seq: number): HookRequest => {
    const clientId = options.idBase + seq;
    const tag = tagFor(options.prefix, seq);
    const shape = options.mix === 'mixed' && seq % 2 === 1 ? 'flat' : 'envelope';
    return shape === 'envelope' ? envelope(tag, clientId, options.apiKey) : flat(tag, clientId, options.apiKey);
  };
  return {
    make,
    next: () => make(made++),
    get made() {
      return made;
    },
  };
}

export function tagFor(prefix: string, seq: number): string {
  return `${prefix}${seq}`;
}

/** The tag of the event an SMS was sent for (`Hello {tag} …`). */
export function tagOfSms(body: string): string | undefined {
  return /^Hello (\S+?),? /.exec(body)?.[1];
}

function envelope(tag: string, clientId: number, apiKey: string): HookRequest {
  const body = JSON.stringify({
    createdByName: 'mifos',
    request: {
      officeId: 1.0,
      firstname: tag,
      lastname: 'Bench',
      mobileNo: MOBILE_NO,
      active: true,
      activationDate: '24 October 2024',
      submittedOnDate: '24 October 2024',
      legalFormId: 1.0,
      locale: 'en',
      dateFormat: 'dd MMMM yyyy',
    },
    clientId,
    createdBy: 1,
    officeId: 1,
    entityName: 'CLIENT',
    response: { clientId, resourceId: clientId },
    createdByFullName: 'App Administrator',
    actionName: 'CREATE',
    timestamp: new Date().toISOString(),
  });
  return {
    tag,
    clientId,
    shape: 'envelope',
    headers: {
      'X-Fineract-Entity': 'CLIENT',
      'X-Fineract-Action': 'CREATE',
      'Fineract-Platform-TenantId': TENANT_ID,
      'X-Fineract-API-Key': apiKey,
      'Content-Type': 'application/json; charset=UTF-8',
    },
    body,
  };
}

function flat(tag: string, clientId: number, apiKey: string): HookRequest {
  return {
    tag,
    clientId,
    shape: 'flat',
    headers: {
      'X-Mifos-Entity': 'CLIENT',
      'X-Mifos-Action': 'CREATE',
      'X-Mifos-Platform-TenantId': TENANT_ID,
      'X-Mifos-API-Key': apiKey,
      'Content-Type': 'application/json; charset=UTF-8',
    },
    body: JSON.stringify({ officeId: 1, clientId, resourceId: clientId }),
  };
}

/** The SMS Bridge registration (test/fixtures/mifosx-sms-registration.json) pointed at the fakes. */
export function registrationBody(fineractApiBase: string, mifosToken: string): string {
  return JSON.stringify({
    phoneNo: '+15005550006',
    smsProvider: 'twilio',
    smsProviderAccountId: ACCOUNT_SID,
    smsProviderToken: AUTH_TOKEN,
    tenantId: TENANT_ID,
    mifosToken,
    endpoint: fineractApiBase,
  });
}
