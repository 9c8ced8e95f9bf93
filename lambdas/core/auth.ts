import { UnauthorizedError } from './errors';
import { hashApiKey, hashesEqual } from './keys';
import type { Clock, TenantStore } from './ports';
import type { ApiKeyRecord } from './model';

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

  async authenticate(tenantId: string, presentedKey: string | undefined): Promise<ApiKeyRecord> {
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
