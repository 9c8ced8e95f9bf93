import { createHash } from 'node:crypto';
import type { HookEvent } from './hook-parser';
import type { StepCounter } from './json-text';

/** Text to emit as it is, as opposed to a value still to be serialised. */
class Literal {
  constructor(readonly text: string) {}
}

const byKey = ([a]: [string, unknown], [b]: [string, unknown]) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * JSON with sorted keys, so the same content hashes the same whatever the sender's key order. Iterative (an
 * explicit stack of pending work), so no nesting depth can overflow the call stack; `counter` gets one step per
 * value and per piece of text emitted.
 */
export function canonicalJson(value: unknown, counter?: StepCounter): string {
  const out: string[] = [];
  const pending: unknown[] = [value];
  let steps = 0;
  while (pending.length > 0) {
    steps++;
    const item = pending.pop();
    if (item instanceof Literal) {
      out.push(item.text);
      continue;
    }
    // Pushed in reverse: the stack pops them in writing order.
    if (Array.isArray(item)) {
      pending.push(new Literal(']'));
      for (let i = item.length - 1; i >= 0; i--) {
        pending.push(item[i]);
        if (i > 0) pending.push(new Literal(','));
      }
      out.push('[');
    } else if (item && typeof item === 'object') {
      const entries = Object.entries(item as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(byKey);
      pending.push(new Literal('}'));
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, v] = entries[i]!;
        pending.push(v, new Literal(`${i > 0 ? ',' : ''}${JSON.stringify(k)}:`));
      }
      out.push('{');
    } else {
      out.push(`${JSON.stringify(item ?? null)}`);
    }
  }
  if (counter) counter.steps += steps + out.length;
  return out.join('');
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
