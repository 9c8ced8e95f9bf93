/** One log line read back for `logs tail`: where and when it was written, and its JSON fields when it is JSON. */
export interface LogLine {
  /** Epoch milliseconds. */
  timestamp: number;
  /** Function key (ingest, worker…) or `server` for the local server. */
  source: string;
  /** A unique id of the line at its source, for de-duplicating overlapping polls. */
  id: string;
  raw: string;
  fields?: Record<string, unknown>;
}

export interface LogFilter {
  tenantId?: string;
  eventId?: string;
  /** Epoch milliseconds, inclusive. */
  since: number;
}

export function parseFields(raw: string): Record<string, unknown> | undefined {
  const start = raw.indexOf('{');
  if (start < 0) return undefined;
  try {
    const value = JSON.parse(raw.slice(start)) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function matches(fields: Record<string, unknown> | undefined, filter: LogFilter): boolean {
  if (filter.tenantId && fields?.tenantId !== filter.tenantId) return false;
  if (filter.eventId && fields?.eventId !== filter.eventId) return false;
  return true;
}
