/**
 * The stored event both ways: ingest turns a parsed hook into the record it stores, the worker (and the CLI)
 * rebuild the parsed hook from that record. The raw body is the single source of truth: what is derived from it
 * (shape, ids, the failed flag) is stored for listings and recomputed, never trusted, on the way back.
 */
import { dedupKey, eventIdFor } from './dedup';
import { type HookEvent, normaliseHook, parseBodyText } from './hook-parser';
import { nextDueAt } from './lifecycle';
import type { StoredEvent } from './model';

/** A new event as ingest stores it: `received`, no attempt yet, due for the sweeper after `sweepGraceSeconds`. */
export function toStoredEvent(hook: HookEvent, options: { sweepGraceSeconds: number }): StoredEvent {
  const key = dedupKey(hook);
  return {
    tenantId: hook.tenantId,
    eventId: eventIdFor(key),
    dedupKey: key,
    entity: hook.entity,
    action: hook.action,
    entityRaw: hook.entityRaw,
    actionRaw: hook.actionRaw,
    source: hook.source,
    // Only the SMS Bridge template sends a key header; a Web hook's key is in its Payload URL.
    template: hook.apiKey ? 'sms-bridge' : 'web',
    shape: hook.shape,
    encoding: hook.encoding,
    failed: hook.failed,
    ids: hook.ids,
    rawBody: hook.rawBody,
    contentType: hook.contentType,
    senderEndpoint: hook.senderEndpoint,
    receivedAt: hook.receivedAt,
    updatedAt: hook.receivedAt,
    status: 'received',
    attempts: 0,
    dueAt: nextDueAt(new Date(hook.receivedAt), options.sweepGraceSeconds),
  };
}

/** Rebuilds the normalised event from what ingest stored. */
export function hookFromStored(event: StoredEvent): HookEvent {
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
    parseBodyText(event.rawBody, event.encoding, event.contentType),
    event.receivedAt,
  );
}
