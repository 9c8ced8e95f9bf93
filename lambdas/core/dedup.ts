import { createHash } from 'node:crypto';
import type { HookEvent } from './hook-parser';

/** JSON with sorted keys, so the same content hashes the same whatever the sender's key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * tenant + entity + action + commandId when the sender gave one (Fineract envelopes do), else a hash of the
 * normalised body: a redelivery of the same command maps to the same key, two distinct commands never do.
 */
export function dedupKey(event: Pick<HookEvent, 'tenantId' | 'entity' | 'action' | 'ids' | 'body'>): string {
  const base = `${event.tenantId}|${event.entity}|${event.action}`;
  if (event.ids.commandId !== undefined) return `${base}|cmd:${event.ids.commandId}`;
  return `${base}|body:${createHash('sha256').update(canonicalJson(event.body)).digest('hex')}`;
}

/** The event id is derived from the dedup key so a duplicate lands on the same item. */
export function eventIdFor(key: string): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 22);
}
