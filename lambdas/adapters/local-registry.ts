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

/**
 * A handler's deps: the local server's when it published them (looked up on every call, as several local
 * receivers may live in one test process), else the AWS ones, built once per container on first use.
 */
export function depsProvider<T>(key: string, create: () => T): () => T {
  let built: T | undefined;
  return () => {
    const local = localDeps<Record<string, T>>()?.[key];
    if (local) return local;
    if (built === undefined) built = create();
    return built;
  };
}
