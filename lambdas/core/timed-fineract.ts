/**
 * Times every callback into the sender's Fineract (docs/protocol.md §6) and logs it as "fineract callback", the
 * line the saved query "slowest callbacks to Fineract" sorts by durationMs: at INFO when it failed or took
 * SLOW_CALLBACK_MS or more, else at DEBUG. A quick, good callback is half an event's log bytes for nothing an
 * operator looks for (bench/cost.ts prices every line). The query string is left out of the logged path: only the
 * resource is needed to tell which callback was slow.
 */
import { DownstreamError } from './errors';
import type { Clock, FineractClient, Logger } from './ports';

/** A callback this slow is worth a line: Fineract's answer holds up the SMS (a flat body needs the client's number). */
export const SLOW_CALLBACK_MS = 1000;

export function timedFineractClient(client: FineractClient, deps: { clock: Clock; logger: Logger }): FineractClient {
  return {
    async get(apiBase, path, auth) {
      const started = deps.clock.now().getTime();
      let outcome = 'ok';
      try {
        return await client.get(apiBase, path, auth);
      } catch (error) {
        outcome = error instanceof DownstreamError ? String(error.status ?? error.code ?? 'error') : 'error';
        throw error;
      } finally {
        const durationMs = deps.clock.now().getTime() - started;
        const level = outcome === 'ok' && durationMs < SLOW_CALLBACK_MS ? 'debug' : 'info';
        deps.logger[level]('fineract callback', {
          tenantId: auth.tenantId,
          path: path.split('?')[0],
          outcome,
          durationMs,
        });
      }
    },
  };
}
