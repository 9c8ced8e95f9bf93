import type { WorkMessage } from './model';

/**
 * A queue message body as the worker takes it: `{tenantId, eventId}`, or with the whole event when ingest could
 * not store it (`unstored`, which must name the same event). Anything else is a poison message: undefined.
 */
export function parseWorkMessage(body: string): WorkMessage | undefined {
  try {
    const value = JSON.parse(body) as Partial<WorkMessage>;
    if (typeof value.tenantId === 'string' && typeof value.eventId === 'string') {
      const unstored = value.unstored;
      if (unstored && (unstored.tenantId !== value.tenantId || unstored.eventId !== value.eventId)) return undefined;
      return unstored
        ? { tenantId: value.tenantId, eventId: value.eventId, unstored }
        : { tenantId: value.tenantId, eventId: value.eventId };
    }
  } catch {
    // fall through: a poison message
  }
  return undefined;
}
