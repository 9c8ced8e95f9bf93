import { eventIdFor } from '../../lambdas/core/dedup';
import {
  DUE_SHARDS,
  duePartitions,
  duePk,
  TENANT_TIME_SHARDS,
  tenantTimePartitions,
  tenantTimePk,
} from '../../lambdas/adapters/table-schema';

describe('the sharded due index', () => {
  it('spreads 10 000 events over the shards, none taking more than 1.2 × its even share', () => {
    // Prepare
    const ids = Array.from({ length: 10_000 }, (_, i) => eventIdFor(`default|SMS|SEND|body:${i}`));

    // Act
    const counts = new Map<string, number>();
    for (const id of ids) counts.set(duePk(id), (counts.get(duePk(id)) ?? 0) + 1);

    // Assess
    expect(counts.size).toBe(DUE_SHARDS);
    expect(Math.max(...counts.values())).toBeLessThanOrEqual((10_000 / DUE_SHARDS) * 1.2);
  });

  it('gives one event the same shard every time, and the sweeper reads every shard', () => {
    // Act
    const shard = duePk('MK13gwM-nanlhPJgA2GMks');

    // Assess
    expect(duePk('MK13gwM-nanlhPJgA2GMks')).toBe(shard);
    expect(duePartitions()).toContain(shard);
    expect(duePartitions()).toHaveLength(DUE_SHARDS);
    expect(new Set(duePartitions()).size).toBe(DUE_SHARDS);
  });
});

describe('the sharded tenant index', () => {
  it('spreads one tenant over its shards, none taking more than 1.1 × its even share', () => {
    // Prepare
    const ids = Array.from({ length: 10_000 }, (_, i) => eventIdFor(`default|SMS|SEND|body:${i}`));

    // Act
    const counts = new Map<string, number>();
    for (const id of ids) counts.set(tenantTimePk('default', id), (counts.get(tenantTimePk('default', id)) ?? 0) + 1);

    // Assess
    expect([...counts.keys()].sort()).toEqual(tenantTimePartitions('default'));
    expect(Math.max(...counts.values())).toBeLessThanOrEqual((10_000 / TENANT_TIME_SHARDS) * 1.1);
  });

  it('keeps tenants apart: no shard of one tenant is a shard of another', () => {
    // Act
    const a = tenantTimePartitions('mfi');
    const b = tenantTimePartitions('mfi-2');

    // Assess
    expect(a.filter((p) => b.includes(p))).toEqual([]);
    expect(a).toContain(tenantTimePk('mfi', 'MK13gwM-nanlhPJgA2GMks'));
  });
});
