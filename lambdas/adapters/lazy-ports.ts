/**
 * Ports whose adapter is loaded on the first call, by a dynamic `import()` the caller passes in. A Lambda bundle
 * defers the evaluation of a module reached only that way, so a cold start pays for the SMS providers and the
 * event bus a container actually uses (most tenants use one provider; few have EventBridge targets), not for all
 * of them. The wrappers implement the same port, so neither the core nor the composition roots see a difference.
 */
import type { ProviderCredentials } from '../core/model';
import type { EventBusPublisher, SmsSender } from '../core/ports';

/**
 * `load` once, shared by concurrent first callers. A failed load is not remembered: the next call tries again
 * (a cached rejection would fail every later message of the container for one transient error).
 */
export function once<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
}

export function lazySmsSender<C extends ProviderCredentials>(load: () => Promise<SmsSender<C>>): SmsSender<C> {
  const sender = once(load);
  return {
    send: async (credentials, message) => (await sender()).send(credentials, message),
    findSent: async (credentials, query) => (await sender()).findSent(credentials, query),
    verifyAccount: async (credentials, options) => (await sender()).verifyAccount(credentials, options),
  };
}

export function lazyEventBus(load: () => Promise<EventBusPublisher>): EventBusPublisher {
  const bus = once(load);
  return { publish: async (entry) => (await bus()).publish(entry) };
}
