/**
 * API keys: issued to a tenant (shown once), stored as a hash, checked in constant time. The one module that knows
 * what a key looks like, how it is hashed and when it stops working.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ForbiddenError, UnauthorizedError } from './errors';
import type { ApiKeyRecord } from './model';
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

export interface IssuedKey {
  key: string;
  fingerprint: string;
  /** When the keys it replaced stop working (undefined when none were replaced). */
  previousKeysValidUntil?: string;
}

/**
 * Issues a new key for a tenant (shown once, stored as a hash) and gives every older key `graceSeconds` more
 * life, so a sender still using one keeps working while the new one is rolled out.
 */
export async function issueApiKey(
  tenants: TenantStore,
  clock: Clock,
  tenantId: string,
  options: { graceSeconds: number; label: string },
): Promise<IssuedKey> {
  const now = clock.now();
  const key = generateApiKey();
  const keyHash = hashApiKey(key);
  await tenants.putApiKey({
    tenantId,
    keyHash,
    fingerprint: fingerprintOf(keyHash),
    createdAt: now.toISOString(),
    label: options.label,
  });
  const graceEnd = new Date(now.getTime() + options.graceSeconds * 1000).toISOString();
  let replaced = 0;
  for (const old of await tenants.listApiKeys(tenantId)) {
    if (old.keyHash === keyHash) continue;
    await tenants.expireApiKey(tenantId, old.keyHash, graceEnd);
    replaced++;
  }
  return { key, fingerprint: fingerprintOf(keyHash), previousKeysValidUntil: replaced > 0 ? graceEnd : undefined };
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

  /** `scope` 'admin': the tenant API; an ingest-only key is refused with 403 there. */
  async authenticate(
    tenantId: string,
    presentedKey: string | undefined,
    scope?: 'admin' | 'ingest',
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
    if (key.expiresAt && Date.parse(key.expiresAt) <= now) throw new UnauthorizedError();
    if (scope === 'admin' && key.scope === 'ingest') {
      throw new ForbiddenError('This key may deliver hooks only; the tenant API needs an admin key.', 'key_scope');
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
