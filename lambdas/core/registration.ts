import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { type Authenticator, type IssuedKey, issueApiKey } from './api-keys';
import {
  AppError,
  BadRequestError,
  ConflictError,
  DownstreamError,
  ForbiddenError,
  UnprocessableError,
  UrlNotAllowedError,
} from './errors';
import type { HttpRequest, HttpResponse } from './http';
import { parseHookBody } from './hook-parser';
import { toE164 } from './phone';
import type { Clock, Logger, Metrics, SecretStore, SmsSender, TenantStore, UrlPolicy } from './ports';
import type { Enrollment, TenantConfig } from './model';
import { endpointUnderPrefix, normaliseApiBase, sameApiEndpoint, validateOutboundUrl } from './url-policy';
import { isMessagingServiceSid, isTwilioAccountSid, TENANT_ID_PATTERN } from './identifiers';

export interface RegisterDeps {
  tenants: TenantStore;
  secrets: SecretStore;
  sms: Pick<SmsSender, 'verifyAccount'>;
  urlPolicy: UrlPolicy;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  auth?: Authenticator;
  settings: { openEnrollment: boolean; keyGraceSeconds: number };
  /** Waits between lock attempts; injectable so tests need not sleep. */
  sleep?: (ms: number) => Promise<void>;
}

/** What the SMS Bridge template posts on its first event (docs/protocol.md §5); field names as the sender has them. */
const RegistrationSchema = z.object({
  phoneNo: z.string().trim().min(1, 'Phone Number is required'),
  smsProvider: z.string().trim().min(1, 'SMS Provider is required'),
  smsProviderAccountId: z.string().trim().min(1, 'SMS Provider Account Id is required'),
  smsProviderToken: z.string().trim().min(1, 'SMS Provider Token is required'),
  tenantId: z.string().trim().regex(TENANT_ID_PATTERN, 'tenantId must be 1-64 letters, digits, "_" or "-"'),
  mifosToken: z.string().trim().optional().nullable(),
  endpoint: z.string().trim().url('endpoint must be the http(s) URL of the MifosX/Fineract API'),
});

/** Where the hook form's field names differ from the JSON ones, name both so an admin finds them. */
const FORM_LABELS: Record<string, string> = {
  phoneNo: 'phoneNo (hook field "Phone Number")',
  smsProvider: 'smsProvider (hook field "SMS Provider")',
  smsProviderAccountId: 'smsProviderAccountId (hook field "SMS Provider Account Id")',
  smsProviderToken: 'smsProviderToken (hook field "SMS Provider Token")',
  tenantId: 'tenantId',
  mifosToken: 'mifosToken',
  endpoint: 'endpoint',
};

interface Sender {
  phoneNo?: string;
  messagingServiceSid?: string;
}

/** Twilio `From`: an E.164 number, a Messaging Service SID, or an alphanumeric sender id (1–11 characters). */
function parseSender(value: string): Sender | undefined {
  if (isMessagingServiceSid(value)) return { messagingServiceSid: value };
  if (/^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$/.test(value)) return { phoneNo: value };
  const e164 = toE164(value);
  return e164.ok ? { phoneNo: e164.e164 } : undefined;
}

const LOCK_LEASE_MS = 30_000;
const LOCK_WAIT_MS = 15_000;

/**
 * The SMS Bridge registration handshake: validate, check the credentials with Twilio, then, under the tenant's
 * lock, decide whether this request may (re-)register the tenant, store secrets and config, and issue a new key.
 * A tenant that exists is only re-registered by the same owner (same Twilio account with a token Twilio accepts,
 * same Fineract endpoint) or once after an operator's `tenants enroll --replace`; anything else is a 409.
 * Previous keys of the same owner keep working for the grace period, so two concurrent first events (the sender
 * can fire both) each get a working key.
 */
export async function handleRegistration(request: HttpRequest, deps: RegisterDeps): Promise<HttpResponse> {
  const input = parseRegistration(request);
  const audit = {
    tenantId: input.tenantId,
    route: `${request.method.toUpperCase()} ${request.path}`,
    sourceIp: request.sourceIp ?? 'unknown',
  };
  try {
    await checkEnrollment(input, deps);
    const sender = checkTwilioFields(input);
    await checkEndpoint(input.endpoint, deps);
    await verifyTwilioAccount(input, deps);
    const issued = await storeRegistration(input, sender, deps, audit.sourceIp);
    // A JSON string literal: Fineract ≥ 1.5 parses the body strictly, MifosX takes it too (docs/protocol.md §5).
    return {
      statusCode: 201,
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
      body: JSON.stringify(issued.key),
    };
  } catch (error) {
    if (error instanceof AppError && error.statusCode < 500) {
      deps.metrics.count('RegistrationRefused', 1);
      deps.logger.warn('registration refused', { ...audit, outcome: error.code, statusCode: error.statusCode });
    }
    throw error;
  }
}

type Registration = z.infer<typeof RegistrationSchema>;

/**
 * Unless enrollment is open, an operator must have enrolled the tenant; an enrollment may bind it to an endpoint
 * prefix (in either mode). Checked again under the lock, where the enrollment is also used up.
 */
async function checkEnrollment(input: Registration, deps: RegisterDeps): Promise<void> {
  const { tenantId } = input;
  const enrollment = await deps.tenants.getEnrollment(tenantId);
  if (!enrollment && !deps.settings.openEnrollment) {
    throw new ForbiddenError(
      `Tenant "${tenantId}" is not enrolled on this receiver. An operator must first run: npm run cli -- tenants enroll ${tenantId}`,
      'not_enrolled',
    );
  }
  if (enrollment?.endpointPrefix && !endpointUnderPrefix(input.endpoint, enrollment.endpointPrefix)) {
    throw new ForbiddenError(
      `Tenant "${tenantId}" is enrolled for endpoints under ${enrollment.endpointPrefix}; this hook sent ${input.endpoint}.`,
      'endpoint_not_allowed',
    );
  }
}

/** Provider, sender and account SID as Twilio takes them; returns the sender. */
function checkTwilioFields(input: Registration): Sender {
  if (input.smsProvider.toLowerCase() !== 'twilio') {
    throw new UnprocessableError(
      `SMS Provider "${input.smsProvider}" is not supported; set it to "twilio".`,
      'unsupported_provider',
    );
  }
  const sender = parseSender(input.phoneNo);
  if (!sender) {
    throw new UnprocessableError(
      'Phone Number is not a phone number in international format (e.g. +15005550006), a Twilio Messaging Service SID (MG…) or an alphanumeric sender id.',
      'invalid_phone_number',
    );
  }
  if (!isTwilioAccountSid(input.smsProviderAccountId)) {
    throw new UnprocessableError(
      'SMS Provider Account Id must be a Twilio Account SID (AC followed by 32 hex digits).',
      'invalid_account_sid',
    );
  }
  return sender;
}

async function verifyTwilioAccount(input: Registration, deps: RegisterDeps): Promise<void> {
  try {
    await deps.sms.verifyAccount({ accountSid: input.smsProviderAccountId, authToken: input.smsProviderToken });
  } catch (error) {
    if (error instanceof DownstreamError && !error.retryable) {
      throw new UnprocessableError(
        'Twilio rejected the SMS Provider Account Id / Token. Check both in the hook and save it again.',
        'twilio_credentials_rejected',
      );
    }
    deps.logger.warn('Twilio could not be reached to check credentials', {
      tenantId: input.tenantId,
      error: (error as Error).message,
    });
    throw new AppError(
      503,
      'twilio_unreachable',
      'Twilio could not be reached to check the credentials; nothing was stored. The next event will register again.',
      { expose: true },
    );
  }
}

type Outcome = 'registered' | 'reregistered' | 'replaced';

/**
 * Under the tenant's registration lock: who may register (decideOwnership), the secret first, then the config
 * naming the same registration (readers pair them by registrationId), then a new key.
 */
async function storeRegistration(
  input: Registration,
  sender: Sender,
  deps: RegisterDeps,
  sourceIp: string,
): Promise<IssuedKey> {
  const { tenantId } = input;
  const owner = randomUUID();
  await acquireRegistrationLock(tenantId, owner, deps);
  try {
    const now = deps.clock.now();
    const existing = await deps.tenants.getTenant(tenantId);
    const enrollment = await deps.tenants.getEnrollment(tenantId);
    const outcome = decideOwnership(input, existing, enrollment, deps.settings.openEnrollment, now);
    const registrationId = randomUUID();
    await deps.secrets.putTenantSecret(tenantId, {
      smsProviderToken: input.smsProviderToken,
      mifosToken: input.mifosToken ?? undefined,
      registrationId,
    });
    await deps.tenants.putTenant(tenantConfigOf({ input, sender, existing, registrationId, now }));
    if (enrollment) await useUpEnrollment(enrollment, outcome, now, deps);
    const accountSid = input.smsProviderAccountId;
    const issued = await issueApiKey(deps.tenants, deps.clock, tenantId, {
      // A replaced owner keeps nothing; the same owner's older keys get the grace period.
      graceSeconds: outcome === 'replaced' ? undefined : deps.settings.keyGraceSeconds,
      label: 'registration',
      scope: 'admin',
      accountSid,
      registrationId,
      revoke: (key) => outcome === 'replaced' || (key.accountSid !== undefined && key.accountSid !== accountSid),
    });
    deps.auth?.forget(tenantId);
    deps.metrics.count(METRIC_OF[outcome], 1);
    deps.logger.info(MESSAGE_OF[outcome], {
      tenantId,
      sourceIp,
      outcome,
      keyFingerprint: issued.fingerprint,
      previousKeysValidUntil: issued.previousKeysValidUntil,
      revokedKeys: issued.revoked,
    });
    return issued;
  } finally {
    await deps.tenants.releaseLock(`register#${tenantId}`, owner).catch(() => undefined);
  }
}

const METRIC_OF: Record<Outcome, string> = {
  registered: 'TenantRegistered',
  reregistered: 'TenantReregistered',
  replaced: 'TenantOwnerReplaced',
};
const MESSAGE_OF: Record<Outcome, string> = {
  registered: 'tenant registered',
  reregistered: 'tenant registered again by its owner; previous keys expire after the grace period',
  replaced: 'tenant owner replaced (operator --replace); every previous key revoked',
};

function replaceOpen(enrollment: Enrollment | undefined, now: Date): boolean {
  return enrollment?.replaceUntil !== undefined && Date.parse(enrollment.replaceUntil) > now.getTime();
}

/**
 * Who may register. The tenant's owner proves itself with the same Twilio account (its token was just accepted
 * by Twilio) and the same Fineract endpoint; anyone else needs an operator's one-time `--replace`. A new tenant
 * needs an unused enrollment unless enrollment is open.
 */
function decideOwnership(
  input: Registration,
  existing: TenantConfig | undefined,
  enrollment: Enrollment | undefined,
  openEnrollment: boolean,
  now: Date,
): Outcome {
  const { tenantId } = input;
  const replace = `npm run cli -- tenants enroll ${tenantId} --replace`;
  if (existing) {
    const sameAccount = existing.accountSid === input.smsProviderAccountId;
    const sameEndpoint = existing.endpoint !== undefined && sameApiEndpoint(existing.endpoint, input.endpoint);
    if (sameAccount && sameEndpoint) return 'reregistered';
    if (replaceOpen(enrollment, now)) return 'replaced';
    throw new ConflictError(
      `Tenant "${tenantId}" is already registered with another SMS Provider Account Id or endpoint; nothing was changed. If this MifosX/Fineract should now own the tenant, ask the receiver's operator to run: ${replace} (it allows one replacing registration within 24 hours), then save the hook again.`,
      'tenant_owned_by_another',
    );
  }
  if (openEnrollment || !enrollment?.usedAt || replaceOpen(enrollment, now)) return 'registered';
  throw new ForbiddenError(
    `Tenant "${tenantId}"'s enrollment was used by an earlier registration. An operator must enroll it again: npm run cli -- tenants enroll ${tenantId}`,
    'enrollment_used',
  );
}

/** The first registration uses the enrollment up; a replacing one uses the operator's `--replace` up. */
async function useUpEnrollment(enrollment: Enrollment, outcome: Outcome, now: Date, deps: RegisterDeps): Promise<void> {
  if (outcome === 'reregistered' && !enrollment.usedAt)
    return deps.tenants.putEnrollment({ ...enrollment, usedAt: now.toISOString() });
  if (outcome === 'reregistered') return;
  if (enrollment.usedAt && !replaceOpen(enrollment, now)) return;
  const { replaceUntil: _used, ...rest } = enrollment;
  await deps.tenants.putEnrollment({ ...rest, usedAt: now.toISOString() });
}

/** What the hook sent, plus what an operator set and a re-registration keeps (CLI Messaging Service, country). */
function tenantConfigOf(parts: {
  input: Registration;
  sender: Sender;
  existing?: TenantConfig;
  registrationId: string;
  now: Date;
}): TenantConfig {
  const { input, sender, existing, registrationId } = parts;
  const iso = parts.now.toISOString();
  return {
    tenantId: input.tenantId,
    smsProvider: 'twilio',
    phoneNo: sender.phoneNo,
    ...(sender.messagingServiceSid
      ? { messagingServiceSid: sender.messagingServiceSid, messagingServiceSidSource: 'hook' as const }
      : existing?.messagingServiceSidSource === 'cli'
        ? { messagingServiceSid: existing.messagingServiceSid, messagingServiceSidSource: 'cli' as const }
        : {}),
    accountSid: input.smsProviderAccountId,
    endpoint: input.endpoint,
    apiBase: normaliseApiBase(input.endpoint),
    defaultCountry: existing?.defaultCountry,
    registeredAt: existing?.registeredAt ?? iso,
    updatedAt: iso,
    registrationId,
  };
}

/**
 * Refuses endpoints that are malformed or resolve to addresses we never call. A name that does not resolve from
 * here (a private DNS name, DNS down) is accepted: every callback is checked again when it connects.
 */
async function checkEndpoint(endpoint: string, deps: RegisterDeps): Promise<void> {
  try {
    validateOutboundUrl(endpoint);
    await deps.urlPolicy.check(endpoint);
  } catch (error) {
    if (error instanceof UrlNotAllowedError && error.reason !== 'unresolvable')
      throw new UnprocessableError(`endpoint ${endpoint} cannot be used: ${error.message}`, 'endpoint_refused');
    deps.logger.warn('endpoint host could not be resolved now; accepted, callbacks check it when they connect', {
      host: new URL(endpoint).hostname,
    });
  }
}

function parseRegistration(request: HttpRequest): Registration {
  // Same decoding as hook events: declared charset, gzip, JSON or form; a registration is a few hundred bytes.
  const raw = parseHookBody(request, 64 * 1024).body;
  const result = RegistrationSchema.safeParse(raw);
  if (!result.success) {
    const fields = [...new Set(result.error.issues.map((i) => String(i.path[0] ?? 'body')))];
    throw new BadRequestError(
      `The SMS Bridge registration is missing or has invalid fields: ${fields.map((f) => FORM_LABELS[f] ?? f).join(', ')}.`,
      { fields: result.error.issues.map((i) => ({ field: String(i.path[0] ?? 'body'), problem: i.message })) },
      'invalid_registration',
    );
  }
  return result.data;
}

async function acquireRegistrationLock(tenantId: string, owner: string, deps: RegisterDeps): Promise<void> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    const now = deps.clock.now();
    const leaseUntil = new Date(now.getTime() + LOCK_LEASE_MS).toISOString();
    if (await deps.tenants.acquireLock(`register#${tenantId}`, owner, leaseUntil, now.toISOString())) return;
    if (Date.now() - started > LOCK_WAIT_MS) {
      throw new AppError(
        503,
        'registration_busy',
        'Another registration for this tenant is in progress; the next event will register again.',
        { expose: true },
      );
    }
    await sleep(Math.min(50 * 2 ** attempt, 500));
  }
}
