import { type HookEvent, normaliseHook, parseHookBody } from './hook-parser';
import type { StoredEvent } from './model';

/** Rebuilds the normalised event from what ingest stored (the raw body is the single source of truth). */
export function hookFromStored(event: StoredEvent): HookEvent {
  const parsed =
    event.encoding === 'form'
      ? parseHookBody(
          { headers: { 'content-type': event.contentType }, body: Buffer.from(event.rawBody, 'utf8') },
          Infinity,
        )
      : parseHookBody(
          // The stored text is already decoded: parse it as UTF-8 whatever charset it arrived in.
          { headers: { 'content-type': 'application/json' }, body: Buffer.from(event.rawBody, 'utf8') },
          Infinity,
        );
  return normaliseHook(
    {
      entityRaw: event.entityRaw,
      actionRaw: event.actionRaw,
      entity: event.entity,
      action: event.action,
      tenantId: event.tenantId,
      senderEndpoint: event.senderEndpoint,
      source: event.source,
    },
    { ...parsed, contentType: event.contentType },
    event.receivedAt,
  );
}
