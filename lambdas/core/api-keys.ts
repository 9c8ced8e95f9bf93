/**
 * API keys: issued to a tenant (shown once), stored as a hash, checked in constant time. The one module that knows
 * what a key looks like, how it is hashed and when it stops working.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ForbiddenError, UnauthorizedError } from './errors';
import type { ApiKeyRecord, KeyScope } from './model';
import type { Clock, TenantStore } from './ports';

/** Recognisable prefix so secret scanners and humans can tell our keys apart. */
const KEY_PREFIX = 'fhk_';

/** 256 random bits, URL-safe, well under the sender's 100-character Api Key field. */
export function generateApiKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

/** Keys carry 256 bits of entropy, so a fast hash is enough: nothing to brute-force. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function fingerprintOf(keyHash: string): string {
  return keyHash.slice(0, 12);
}

const HEX = /^(?:[0-9a-f]{2})+$/;

export function hashesEqual(a: string, b: string): boolean {
  // Buffer.from(…, 'hex') silently drops what is not hex: check the text first.
  if (a.length !== b.length || !HEX.test(a) || !HEX.test(b)) return false;
  return timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}

// ---------------------------------------------------------------------------------------------------------------
// Issuing

/** Live keys kept per tenant: enough for a rollover in progress, few enough that lookups and issuing stay cheap. */
export const MAX_LIVE_KEYS = 5;

export interface IssuedKey {
  key: string;
  fingerprint: string;
  scope: KeyScope;
  /** When the keys it replaced stop working (undefined when none were replaced). */
  previousKeysValidUntil?: string;
  /** How many older keys stopped working at once (revoked, or beyond MAX_LIVE_KEYS). */
  revoked: number;
}

export interface IssueOptions {
  /** How long older live keys keep working; undefined leaves them as they are (a second key issued alongside). */
  graceSeconds?: number;
  label: string;
  /** Default admin: what the registration returns and MifosX uses for the old bridge's admin API. */
  scope?: KeyScope;
  accountSid?: string;
  /** The registration issuing it: events its key brings carry it (StoredEvent.registrationId). */
  registrationId?: string;
  /** Older keys that stop working now instead of after the grace period. */
  revoke?: (key: ApiKeyRecord) => boolean;
}

function isExpired(key: ApiKeyRecord, now: number): boolean {
  return key.expiresAt !== undefined && Date.parse(key.expiresAt) <= now;
}

/**
 * Issues a new key for a tenant (shown once, stored as a hash). Expired and revoked keys are deleted, and at most
 * MAX_LIVE_KEYS stay live (the oldest go first), so the cost of issuing does not grow with the tenant's history.
 * The remaining older keys get `graceSeconds` more life, so a sender still using one keeps working while the new
 * one is rolled out.
 */
export async function issueApiKey(
  tenants: TenantStore,
  clock: Clock,
  tenantId: string,
  options: IssueOptions,
): Promise<IssuedKey> {
  const now = clock.now();
  const key = generateApiKey();
  const keyHash = hashApiKey(key);
  const scope = options.scope ?? 'admin';
  const live: ApiKeyRecord[] = [];
  let revoked = 0;
  for (const old of await tenants.listApiKeys(tenantId)) {
    if (isExpired(old, now.getTime())) {
      await tenants.deleteApiKey(tenantId, old.keyHash);
    } else if (options.revoke?.(old)) {
      await tenants.deleteApiKey(tenantId, old.keyHash);
      revoked++;
    } else {
      live.push(old);
    }
  }
  await tenants.putApiKey({
    tenantId,
    keyHash,
    fingerprint: fingerprintOf(keyHash),
    createdAt: now.toISOString(),
    label: options.label,
    scope,
    ...(options.accountSid ? { accountSid: options.accountSid } : {}),
    ...(options.registrationId ? { registrationId: options.registrationId } : {}),
  });
  live.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  for (const old of live.splice(MAX_LIVE_KEYS - 1)) {
    await tenants.deleteApiKey(tenantId, old.keyHash);
    revoked++;
  }
  if (options.graceSeconds === undefined || live.length === 0)
    return { key, fingerprint: fingerprintOf(keyHash), scope, revoked };
  const graceEnd = new Date(now.getTime() + options.graceSeconds * 1000).toISOString();
  for (const old of live) await tenants.expireApiKey(tenantId, old.keyHash, graceEnd);
  return { key, fingerprint: fingerprintOf(keyHash), scope, previousKeysValidUntil: graceEnd, revoked };
}

/** Every key of a tenant stops working now (an operator replaced its owner). */
export async function revokeAllKeys(tenants: TenantStore, tenantId: string): Promise<number> {
  const keys = await tenants.listApiKeys(tenantId);
  for (const key of keys) await tenants.deleteApiKey(tenantId, key.keyHash);
  return keys.length;
}

export function scopeOf(key: ApiKeyRecord): KeyScope {
  return key.scope ?? 'admin';
}

// ---------------------------------------------------------------------------------------------------------------
// Authenticating

interface CacheEntry {
  record: ApiKeyRecord;
  cachedUntil: number;
}

/**
 * Checks an API key against a tenant. Valid keys are cached per container for `cacheSeconds` so the ingest path
 * does one DynamoDB write per event and no reads; an expiry recorded on the key is honoured from the cache too.
 * A deleted key may therefore keep working on a warm container for up to `cacheSeconds`.
 */
export class Authenticator {
  private readonly cache = new Map<string, CacheEntry>();

  constructor(
    private readonly tenants: TenantStore,
    private readonly clock: Clock,
    private readonly cacheSeconds = 60,
  ) {}

  /** An admin key may do anything an ingest key may; an ingest key asked for admin work gets a 403. */
  async authenticate(
    tenantId: string,
    presentedKey: string | undefined,
    requiredScope: KeyScope = 'ingest',
  ): Promise<ApiKeyRecord> {
    if (!presentedKey) throw new UnauthorizedError();
    const keyHash = hashApiKey(presentedKey.trim());
    const now = this.clock.now().getTime();
    const cacheKey = `${tenantId}\u0000${keyHash}`;
    let record = this.cache.get(cacheKey);
    if (!record || record.cachedUntil <= now) {
      this.cache.delete(cacheKey);
      const stored = await this.tenants.getApiKey(tenantId, keyHash);
      if (!stored) throw new UnauthorizedError();
      record = { record: stored, cachedUntil: now + this.cacheSeconds * 1000 };
      if (this.cacheSeconds > 0) this.cache.set(cacheKey, record);
    }
    const key = record.record;
    if (key.tenantId !== tenantId || !hashesEqual(key.keyHash, keyHash)) throw new UnauthorizedError();
    if (isExpired(key, now)) throw new UnauthorizedError();
    if (requiredScope === 'admin' && scopeOf(key) !== 'admin') {
      throw new ForbiddenError(
        `This API key (fingerprint ${key.fingerprint}) may only send hook events; reading or changing tenant "${tenantId}" needs an admin key: the one the SMS Bridge registration returned, or the admin key of "tenants create".`,
        'key_scope_insufficient',
      );
    }
    return key;
  }

  forget(tenantId?: string): void {
    if (!tenantId) {
      this.cache.clear();
      return;
    }
    for (const k of this.cache.keys()) if (k.startsWith(`${tenantId}\u0000`)) this.cache.delete(k);
  }
}
