/**
 * Times every callback into the sender's Fineract (docs/protocol.md §6) and logs it as "fineract callback", the
 * line the saved query "slowest callbacks to Fineract" sorts by durationMs. The query string is left out of the
 * logged path: only the resource is needed to tell which callback was slow.
 */
import { DownstreamError } from './errors';
import type { Clock, FineractClient, Logger } from './ports';

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
        deps.logger.info('fineract callback', {
          tenantId: auth.tenantId,
          path: path.split('?')[0],
          outcome,
          durationMs: deps.clock.now().getTime() - started,
        });
      }
    },
  };
}
