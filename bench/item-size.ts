/**
 * An item's size as DynamoDB counts it for capacity units (developer guide, "Item sizes and formats"): attribute
 * names and values in UTF-8, numbers about one byte per two significant digits plus one, binary as its bytes,
 * booleans and nulls one byte, lists and maps 3 bytes plus one per element. A write costs one WRU per started KB of
 * the larger of the item before and after it; a strongly consistent read one RRU per started 4 KB.
 */
export function itemSize(item: Record<string, unknown>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value === undefined) continue;
    size += Buffer.byteLength(name, 'utf8') + valueSize(value);
  }
  return size;
}

function valueSize(value: unknown): number {
  if (value === null || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (typeof value === 'number' || typeof value === 'bigint') {
    const digits = String(value)
      .replace(/^-|\.|e.*$/gi, '')
      .replace(/^0+/, '')
      .replace(/0+$/, '');
    return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
  }
  if (value instanceof Uint8Array) return value.byteLength;
  if (Array.isArray(value)) return 3 + value.reduce((n: number, v) => n + 1 + valueSize(v), 0);
  if (value instanceof Set) return [...value].reduce((n: number, v) => n + valueSize(v), 0);
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return 3 + entries.reduce((n, [k, v]) => n + 1 + Buffer.byteLength(k, 'utf8') + valueSize(v), 0);
  }
  return 0;
}

/** Write units of one write that changes an item from `before` (absent for a put of a new item) to `after`. */
export function writeUnitsOf(before: Record<string, unknown> | undefined, after: Record<string, unknown> | undefined) {
  const larger = Math.max(before ? itemSize(before) : 0, after ? itemSize(after) : 0);
  return Math.max(1, Math.ceil(larger / 1024));
}
