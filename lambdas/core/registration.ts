import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
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
import type { Enrollment, ProviderCredentials, SmsProvider, TenantConfig } from './model';
import { isSmsProvider, PROVIDER_FACTS, SMS_PROVIDERS } from './sms-providers';
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

/** What the SMS Bridge template posts on its first event (docs/protocol.md §5); field names as the sender has them. */
const RegistrationSchema = z.object({
  phoneNo: z.string().trim().min(1, 'Phone Number is required'),
  smsProvider: z.string().trim().min(1, 'SMS Provider is required'),
  // Required for Twilio and Africa's Talking (checked per provider below); `aws` ignores both.
  smsProviderAccountId: z.string().trim().optional().nullable(),
  smsProviderToken: z.string().trim().optional().nullable(),
  tenantId: z.string().trim().regex(TENANT_ID_PATTERN, 'tenantId must be 1-64 letters, digits, "_" or "-"'),
  mifosToken: z.string().trim().optional().nullable(),
  endpoint: z.string().trim().url('endpoint must be the http(s) URL of the MifosX/Fineract API'),
});

interface Sender {
  phoneNo?: string;
  messagingServiceSid?: string;
}

/** What the hook's provider fields come to once checked for the provider they name. */
interface ProviderChoice {
  provider: SmsProvider;
  sender: Sender;
  /** Twilio Account SID, Africa's Talking username; none for aws. */
  accountId?: string;
  credentials: ProviderCredentials;
  /** Who issued the tenant's keys, per provider (keys of another owner are revoked by a replacing registration). */
  owner: string;
}

/** Twilio `From`: an E.164 number, a Messaging Service SID, or an alphanumeric sender id (1–11 characters). */
function parseSender(value: string): Sender | undefined {
  if (isMessagingServiceSid(value)) return { messagingServiceSid: value };
  if (/^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$/.test(value)) return { phoneNo: value };
  const e164 = toE164(value);
  return e164.ok ? { phoneNo: e164.e164 } : undefined;
}

/**
 * An AWS origination identity as SendTextMessage takes it: an E.164 phone number, a phone number or pool ARN
 * (or their ids), or a sender ID (1–11 letters and digits).
 */
function parseAwsIdentity(value: string): string | undefined {
  if (/^arn:aws[a-z-]*:sms-voice:[a-z0-9-]+:\d{12}:(phone-number|pool|sender-id)\/[A-Za-z0-9_:/+-]{1,128}$/.test(value))
    return value;
  if (/^(phone|pool)-[0-9a-f]{32}$/.test(value)) return value;
  if (/^(?=.*[A-Za-z])[A-Za-z0-9-]{1,11}$/.test(value)) return value;
  const e164 = toE164(value);
  return e164.ok ? e164.e164 : undefined;
}

/** Africa's Talking `from`: an alphanumeric sender ID (up to 11) or a short code (digits). */
function parseAfricasTalkingSender(value: string): string | undefined {
  if (/^[0-9]{3,8}$/.test(value)) return value;
  if (/^(?=.*[A-Za-z])[A-Za-z0-9 .-]{1,11}$/.test(value)) return value;
  return undefined;
}

const LOCK_LEASE_MS = 30_000;
const LOCK_WAIT_MS = 15_000;

/**
 * The SMS Bridge registration handshake: validate, check the credentials with the provider the hook names (Twilio,
 * AWS End User Messaging SMS, Africa's Talking), then, under the tenant's lock, decide whether this request may
 * (re-)register the tenant, store secrets and config, and issue a new key. A tenant that exists is only
 * re-registered by the same owner (same provider account with a token the provider accepts, or for aws the same
 * identity and stored Fineract credentials; same Fineract endpoint) or once after an operator's
 * `tenants enroll --replace`; anything else is a 409.
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
    const choice = checkProviderFields(input);
    await checkEnrollment(input, deps);
    await checkEndpoint(input.endpoint, deps);
    await verifyProviderAccount(input, choice, deps);
    const issued = await storeRegistration(input, choice, deps, audit.sourceIp);
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

/**
 * The provider the hook names, and its Phone Number / Account Id / Token as that provider takes them. An unknown
 * provider is a 400 naming the supported ones; a field the provider cannot use is a 422 naming the field.
 */
function checkProviderFields(input: Registration): ProviderChoice {
  const provider = input.smsProvider.toLowerCase();
  if (!isSmsProvider(provider)) {
    throw new BadRequestError(
      `SMS Provider "${input.smsProvider}" is not supported; set the hook's SMS Provider to one of: ${SMS_PROVIDERS.join(', ')}.`,
      { field: 'smsProvider', supported: [...SMS_PROVIDERS] },
      'unsupported_provider',
    );
  }
  const accountId = input.smsProviderAccountId ?? '';
  const token = input.smsProviderToken ?? '';
  switch (provider) {
    case 'aws': {
      const identity = parseAwsIdentity(input.phoneNo);
      if (!identity) {
        throw new UnprocessableError(
          'Phone Number must be an AWS End User Messaging origination identity: a phone number in international format (+15005550006), a phone number or pool ARN (arn:aws:sms-voice:…) or a sender ID.',
          'invalid_phone_number',
        );
      }
      // Account Id and Token are ignored: the receiver's IAM role sends, and nothing of them is stored.
      return { provider, sender: { phoneNo: identity }, credentials: { provider }, owner: `aws:${identity}` };
    }
    case 'africastalking': {
      const from = parseAfricasTalkingSender(input.phoneNo);
      if (!from) {
        throw new UnprocessableError(
          "Phone Number must be your Africa's Talking sender ID (up to 11 letters and digits) or short code.",
          'invalid_phone_number',
        );
      }
      return {
        provider,
        sender: { phoneNo: from },
        accountId,
        credentials: { provider, username: accountId, apiKey: token },
        owner: `africastalking:${accountId}`,
      };
    }
    default: {
      const sender = parseSender(input.phoneNo);
      if (!sender) {
        throw new UnprocessableError(
          'Phone Number is not a phone number in international format (e.g. +15005550006), a Twilio Messaging Service SID (MG…) or an alphanumeric sender id.',
          'invalid_phone_number',
        );
      }
      if (!isTwilioAccountSid(accountId)) {
        throw new UnprocessableError(
          'SMS Provider Account Id must be a Twilio Account SID (AC followed by 32 hex digits).',
          'invalid_account_sid',
        );
      }
      // Twilio credentials keep their original shape (no `provider`): they predate the other providers.
      return {
        provider,
        sender,
        accountId,
        credentials: { accountSid: accountId, authToken: token },
        owner: accountId,
      };
    }
  }
}

/** What each provider's refusal means for the admin filling in the hook form. */
const REJECTED: Record<SmsProvider, { code: string; message: string }> = {
  twilio: {
    code: 'twilio_credentials_rejected',
    message: 'Twilio rejected the SMS Provider Account Id / Token. Check both in the hook and save it again.',
  },
  africastalking: {
    code: 'africastalking_credentials_rejected',
    message:
      "Africa's Talking rejected the SMS Provider Account Id (username) / Token (API key). Check both in the hook and save it again.",
  },
  aws: {
    code: 'origination_identity_not_found',
    message:
      'The Phone Number is not an origination identity of this AWS account and region (phone number, pool or sender ID), or the receiver may not use it. Check it in the AWS End User Messaging console and save the hook again.',
  },
};

async function verifyProviderAccount(input: Registration, choice: ProviderChoice, deps: RegisterDeps): Promise<void> {
  const facts = PROVIDER_FACTS[choice.provider];
  try {
    await deps.sms.verifyAccount(choice.credentials, { from: choice.sender.phoneNo });
  } catch (error) {
    if (error instanceof DownstreamError && !error.retryable) {
      throw new UnprocessableError(REJECTED[choice.provider].message, REJECTED[choice.provider].code);
    }
    deps.logger.warn(`${facts.label} could not be reached to check credentials`, {
      tenantId: input.tenantId,
      provider: choice.provider,
      error: (error as Error).message,
    });
    throw new AppError(
      503,
      choice.provider === 'twilio' ? 'twilio_unreachable' : 'provider_unreachable',
      `${facts.label} could not be reached to check the credentials; nothing was stored. The next event will register again.`,
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
  choice: ProviderChoice,
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
    const proof = await ownershipProof(input, choice, existing, deps);
    const outcome = decideOwnership(input, proof, existing, enrollment, deps.settings.openEnrollment, now);
    const registrationId = randomUUID();
    await deps.secrets.putTenantSecret(tenantId, {
      // aws has no tenant credential: whatever the Token field held is not kept.
      smsProviderToken: choice.provider === 'aws' ? '' : (input.smsProviderToken ?? ''),
      mifosToken: input.mifosToken ?? undefined,
      registrationId,
    });
    await deps.tenants.putTenant(tenantConfigOf({ input, choice, existing, registrationId, now }));
    if (enrollment) await useUpEnrollment(enrollment, outcome, now, deps);
    const accountSid = choice.owner;
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
      provider: choice.provider,
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
 * Whether this request proves it is the tenant's provider account. Twilio and Africa's Talking: the same
 * provider and account, whose token the provider has just accepted. aws has no tenant credential, so the same
 * origination identity proves nothing (it is printed on every SMS): the Fineract credentials the owner stored
 * (`mifosToken`, a secret) must match too; without them only an operator's `--replace` changes the tenant.
 */
async function ownershipProof(
  input: Registration,
  choice: ProviderChoice,
  existing: TenantConfig | undefined,
  deps: RegisterDeps,
): Promise<boolean> {
  if (!existing || (existing.smsProvider ?? 'twilio').toLowerCase() !== choice.provider) return false;
  if (choice.provider !== 'aws') return existing.accountSid === choice.accountId;
  if (existing.phoneNo !== choice.sender.phoneNo || !input.mifosToken) return false;
  const stored = await deps.secrets.getTenantSecret(input.tenantId, { fresh: true });
  return stored?.mifosToken !== undefined && sameSecret(stored.mifosToken, input.mifosToken);
}

function sameSecret(a: string, b: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * Who may register. The tenant's owner proves itself (ownershipProof) and keeps the same Fineract endpoint;
 * anyone else needs an operator's one-time `--replace`. A new tenant needs an unused enrollment unless enrollment
 * is open.
 */
function decideOwnership(
  input: Registration,
  sameAccount: boolean,
  existing: TenantConfig | undefined,
  enrollment: Enrollment | undefined,
  openEnrollment: boolean,
  now: Date,
): Outcome {
  const { tenantId } = input;
  const replace = `npm run cli -- tenants enroll ${tenantId} --replace`;
  if (existing) {
    const sameEndpoint = existing.endpoint !== undefined && sameApiEndpoint(existing.endpoint, input.endpoint);
    if (sameAccount && sameEndpoint) return 'reregistered';
    if (replaceOpen(enrollment, now)) return 'replaced';
    throw new ConflictError(
      `Tenant "${tenantId}" is already registered with another SMS Provider, Account Id, Phone Number (aws) or endpoint; nothing was changed. If this MifosX/Fineract should now own the tenant, ask the receiver's operator to run: ${replace} (it allows one replacing registration within 24 hours), then save the hook again.`,
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
  choice: ProviderChoice;
  existing?: TenantConfig;
  registrationId: string;
  now: Date;
}): TenantConfig {
  const { input, choice, existing, registrationId } = parts;
  const { sender } = choice;
  const iso = parts.now.toISOString();
  const keepCliService = choice.provider === 'twilio' && existing?.messagingServiceSidSource === 'cli';
  return {
    tenantId: input.tenantId,
    smsProvider: choice.provider,
    phoneNo: sender.phoneNo,
    ...(sender.messagingServiceSid
      ? { messagingServiceSid: sender.messagingServiceSid, messagingServiceSidSource: 'hook' as const }
      : keepCliService
        ? { messagingServiceSid: existing?.messagingServiceSid, messagingServiceSidSource: 'cli' as const }
        : {}),
    accountSid: choice.accountId,
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
  const issues = [
    ...(result.success ? [] : result.error.issues).map((i) => ({
      field: String(i.path[0] ?? 'body'),
      problem: i.message,
    })),
    ...missingProviderFields(raw),
  ];
  if (!result.success || issues.length > 0) {
    const fields = [...new Set(issues.map((i) => i.field))];
    throw new BadRequestError(
      `The SMS Bridge registration is missing or has invalid fields: ${fields.map((f) => FORM_LABELS[f] ?? f).join(', ')}.`,
      { fields: issues },
      'invalid_registration',
    );
  }
  return result.data;
}

/** Twilio and Africa's Talking need an Account Id and a Token; aws ignores both (the receiver's IAM role sends). */
function missingProviderFields(raw: unknown): { field: string; problem: string }[] {
  const body = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  if (
    String(body.smsProvider ?? '')
      .trim()
      .toLowerCase() === 'aws'
  )
    return [];
  return (['smsProviderAccountId', 'smsProviderToken'] as const)
    .filter((field) => typeof body[field] !== 'string' || (body[field] as string).trim() === '')
    .map((field) => ({ field, problem: `${FORM_LABELS[field]} is required` }));
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
