import type { ForwardTarget } from '../core/model';
import type { TargetStore } from '../core/ports';

/**
 * The worker's view of targets: each tenant's list is reused for a few seconds, so a burst of events costs one
 * query. A target added or removed is seen within `ttlMs`; writes through this store clear the tenant's entry.
 */
export class CachedTargetStore implements TargetStore {
  private readonly cache = new Map<string, { targets: ForwardTarget[]; expiresAt: number }>();

  constructor(
    private readonly store: TargetStore,
    private readonly ttlMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  async listTargets(tenantId: string): Promise<ForwardTarget[]> {
    const hit = this.cache.get(tenantId);
    if (hit && hit.expiresAt > this.now()) return hit.targets.map((t) => ({ ...t }));
    const targets = await this.store.listTargets(tenantId);
    this.cache.set(tenantId, { targets, expiresAt: this.now() + this.ttlMs });
    return targets.map((t) => ({ ...t }));
  }

  getTarget(tenantId: string, targetId: string): Promise<ForwardTarget | undefined> {
    return this.store.getTarget(tenantId, targetId);
  }

  async putTarget(target: ForwardTarget): Promise<void> {
    this.cache.delete(target.tenantId);
    await this.store.putTarget(target);
  }

  async deleteTarget(tenantId: string, targetId: string): Promise<void> {
    this.cache.delete(tenantId);
    await this.store.deleteTarget(tenantId, targetId);
  }

  async disableTarget(tenantId: string, targetId: string, reason: string, at: string): Promise<void> {
    this.cache.delete(tenantId);
    await this.store.disableTarget(tenantId, targetId, reason, at);
  }
}
