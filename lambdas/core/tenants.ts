import { fingerprintOf, generateApiKey, hashApiKey } from './keys';
import type { Clock, TenantStore } from './ports';

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
