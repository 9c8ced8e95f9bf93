import type { ApiKeyRecord, Enrollment, TenantConfig } from '../core/model';
import type { TenantStore } from '../core/ports';

interface Entry<T> {
  value: T;
  expiresAt: number;
  /** The tenant's generation when the read started: a write since then means the value may be older than it. */
  generation: number;
}

/**
 * The worker's view of the tenants table: a tenant's config and templates are reused for `ttlMs` (60 s), so a burst
 * of SMS costs no tenant reads. What keeps that safe:
 * - writes through this store (and through `watch`ed stores of other functions in the same process) drop the
 *   tenant's entries at once;
 * - `fresh` reads skip and refill the cache: sms-delivery.ts reads afresh whenever the config and the secret name
 *   different registrations (one of them is older than the other), and before giving up on credentials marked
 *   invalid, so a re-registration in another container is seen on its first use, not a minute later;
 * - only found configs are cached: a tenant registering for the first time is seen at once.
 * Everything else passes through uncached.
 */
export class CachedTenantStore implements TenantStore {
  private readonly configs = new Map<string, Entry<TenantConfig>>();
  private readonly templates = new Map<string, Entry<Record<string, string>>>();
  private readonly generations = new Map<string, number>();

  constructor(
    private readonly store: TenantStore,
    private readonly ttlMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  async getTenant(tenantId: string, options?: { fresh?: boolean }): Promise<TenantConfig | undefined> {
    const hit = options?.fresh ? undefined : this.hit(this.configs, tenantId);
    if (hit) return structuredClone(hit);
    const generation = this.generation(tenantId);
    const config = await this.store.getTenant(tenantId);
    if (config) this.fill(this.configs, tenantId, config, generation);
    else this.configs.delete(tenantId);
    return config && structuredClone(config);
  }

  async getTemplates(tenantId: string, options?: { fresh?: boolean }): Promise<Record<string, string>> {
    const hit = options?.fresh ? undefined : this.hit(this.templates, tenantId);
    if (hit) return { ...hit };
    const generation = this.generation(tenantId);
    const templates = await this.store.getTemplates(tenantId);
    this.fill(this.templates, tenantId, templates, generation);
    return { ...templates };
  }

  /** Drops what is cached of a tenant (all tenants without an id). */
  forget(tenantId?: string): void {
    if (tenantId === undefined) {
      for (const id of new Set([...this.configs.keys(), ...this.templates.keys()])) this.forget(id);
      return;
    }
    this.configs.delete(tenantId);
    this.templates.delete(tenantId);
    this.generations.set(tenantId, this.generation(tenantId) + 1);
  }

  /**
   * `store` as another function of this process uses it (register, admin): reads as they are, and every write
   * that changes a tenant's config or templates also drops this cache's entries of that tenant.
   */
  watch(store: TenantStore): TenantStore {
    const after = async <T>(tenantId: string, write: Promise<T>): Promise<T> => {
      this.forget(tenantId);
      try {
        return await write;
      } finally {
        this.forget(tenantId);
      }
    };
    return {
      getApiKey: (tenantId, keyHash) => store.getApiKey(tenantId, keyHash),
      putApiKey: (record: ApiKeyRecord) => store.putApiKey(record),
      listApiKeys: (tenantId) => store.listApiKeys(tenantId),
      expireApiKey: (tenantId, keyHash, expiresAt) => store.expireApiKey(tenantId, keyHash, expiresAt),
      deleteApiKey: (tenantId, keyHash) => store.deleteApiKey(tenantId, keyHash),
      getTenant: (tenantId) => store.getTenant(tenantId),
      putTenant: (config) => after(config.tenantId, store.putTenant(config)),
      deleteTenant: (tenantId) => after(tenantId, store.deleteTenant(tenantId)),
      markCredentialsInvalid: (tenantId, at, registrationId) =>
        after(tenantId, store.markCredentialsInvalid(tenantId, at, registrationId)),
      listTenants: () => store.listTenants(),
      getEnrollment: (tenantId) => store.getEnrollment(tenantId),
      putEnrollment: (enrollment: Enrollment) => store.putEnrollment(enrollment),
      deleteEnrollment: (tenantId) => store.deleteEnrollment(tenantId),
      acquireLock: (name, owner, leaseUntil, now) => store.acquireLock(name, owner, leaseUntil, now),
      releaseLock: (name, owner) => store.releaseLock(name, owner),
      getTemplates: (tenantId) => store.getTemplates(tenantId),
      putTemplate: (tenantId, key, template) => after(tenantId, store.putTemplate(tenantId, key, template)),
      deleteTemplate: (tenantId, key) => after(tenantId, store.deleteTemplate(tenantId, key)),
    };
  }

  // Writes go to the store and drop the tenant's entries (before, so no read during the write refills them
  // with what is about to change, and after).

  putTenant(config: TenantConfig): Promise<void> {
    return this.watched.putTenant(config);
  }
  deleteTenant(tenantId: string): Promise<void> {
    return this.watched.deleteTenant(tenantId);
  }
  markCredentialsInvalid(tenantId: string, at: string, registrationId: string): Promise<void> {
    return this.watched.markCredentialsInvalid(tenantId, at, registrationId);
  }
  putTemplate(tenantId: string, key: string, template: string): Promise<void> {
    return this.watched.putTemplate(tenantId, key, template);
  }
  deleteTemplate(tenantId: string, key: string): Promise<void> {
    return this.watched.deleteTemplate(tenantId, key);
  }

  // Keys, enrollments, locks and the tenant list are not cached.

  getApiKey(tenantId: string, keyHash: string): Promise<ApiKeyRecord | undefined> {
    return this.store.getApiKey(tenantId, keyHash);
  }
  putApiKey(record: ApiKeyRecord): Promise<void> {
    return this.store.putApiKey(record);
  }
  listApiKeys(tenantId: string): Promise<ApiKeyRecord[]> {
    return this.store.listApiKeys(tenantId);
  }
  expireApiKey(tenantId: string, keyHash: string, expiresAt: string): Promise<void> {
    return this.store.expireApiKey(tenantId, keyHash, expiresAt);
  }
  deleteApiKey(tenantId: string, keyHash: string): Promise<void> {
    return this.store.deleteApiKey(tenantId, keyHash);
  }
  listTenants(): Promise<TenantConfig[]> {
    return this.store.listTenants();
  }
  getEnrollment(tenantId: string): Promise<Enrollment | undefined> {
    return this.store.getEnrollment(tenantId);
  }
  putEnrollment(enrollment: Enrollment): Promise<void> {
    return this.store.putEnrollment(enrollment);
  }
  deleteEnrollment(tenantId: string): Promise<void> {
    return this.store.deleteEnrollment(tenantId);
  }
  acquireLock(name: string, owner: string, leaseUntil: string, now: string): Promise<boolean> {
    return this.store.acquireLock(name, owner, leaseUntil, now);
  }
  releaseLock(name: string, owner: string): Promise<void> {
    return this.store.releaseLock(name, owner);
  }

  private get watched(): TenantStore {
    this.watchedStore ??= this.watch(this.store);
    return this.watchedStore;
  }
  private watchedStore?: TenantStore;

  private hit<T>(cache: Map<string, Entry<T>>, tenantId: string): T | undefined {
    const entry = cache.get(tenantId);
    if (!entry) return undefined;
    if (entry.expiresAt > this.now() && entry.generation === this.generation(tenantId)) return entry.value;
    cache.delete(tenantId);
    return undefined;
  }

  private fill<T>(cache: Map<string, Entry<T>>, tenantId: string, value: T, generation: number): void {
    // A write that happened while this read was under way may have changed what it returned: do not keep it.
    if (this.ttlMs <= 0 || generation !== this.generation(tenantId)) return;
    cache.set(tenantId, { value: structuredClone(value), expiresAt: this.now() + this.ttlMs, generation });
  }

  private generation(tenantId: string): number {
    return this.generations.get(tenantId) ?? 0;
  }
}
