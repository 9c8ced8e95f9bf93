/**
 * In local mode (`npm start`) the server builds every port once (embedded DynamoDB, local queue, file secrets…)
 * and publishes them here before it loads the handlers; a handler then uses them instead of building AWS ones.
 */
const KEY = Symbol.for('fineract-hook-receiver.local-deps');

export function setLocalDeps(deps: unknown): void {
  (globalThis as Record<symbol, unknown>)[KEY] = deps;
}

export function localDeps<T>(): T | undefined {
  return (globalThis as Record<symbol, unknown>)[KEY] as T | undefined;
}
