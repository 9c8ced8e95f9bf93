import { eventIdFor } from '../../lambdas/core/dedup';
import { DUE_PK, DUE_SHARDS, duePartitions, duePk } from '../../lambdas/adapters/table-schema';

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

  it('gives one event the same shard every time, and the sweeper reads every shard and the pre-shard partition', () => {
    // Act
    const shard = duePk('MK13gwM-nanlhPJgA2GMks');

    // Assess
    expect(duePk('MK13gwM-nanlhPJgA2GMks')).toBe(shard);
    expect(duePartitions()).toContain(shard);
    expect(duePartitions()).toContain(DUE_PK);
    expect(duePartitions()).toHaveLength(DUE_SHARDS + 1);
  });
});
