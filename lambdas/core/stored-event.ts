/**
 * The stored event both ways: ingest turns a parsed hook into the record it stores, the worker (and the CLI)
 * rebuild the parsed hook from that record. The raw body is the single source of truth: what is derived from it
 * (shape, ids, the failed flag) is stored for listings and recomputed, never trusted, on the way back.
 */
import { dedupKey, eventIdFor } from './dedup';
import { type HookEvent, normaliseHook, parseBodyText } from './hook-parser';
import { nextDueAt } from './lifecycle';
import type { StoredEvent } from './model';
import { DEFAULT_DEDUP_WINDOW_SECONDS } from './settings';

export interface StoreOptions {
  sweepGraceSeconds: number;
  /** Window of body-hash dedup; default DEFAULT_DEDUP_WINDOW_SECONDS. */
  dedupWindowSeconds?: number;
}

/**
 * A new event as ingest stores it: `received`, no attempt yet, due for the sweeper after `sweepGraceSeconds`.
 * A body-hash key (no commandId) is made to expire: it names the window it was received in, so the same
 * `sms/send` next week is a new event. The event in the previous window is the one `previousWindowEventId` names.
 */
export function toStoredEvent(hook: HookEvent, options: StoreOptions): StoredEvent {
  const key = windowedKey(dedupKey(hook), hook, options, 0);
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

/**
 * The id the same body-hash event would have had in the window before: a delivery just after a window boundary
 * is still a duplicate of one just before it. Undefined for commandId keys, which never expire.
 */
export function previousWindowEventId(stored: Pick<StoredEvent, 'dedupKey'>): string | undefined {
  // From the stored key, so ingest hashes the body once: `…|body:<hash>|w:<bucket>`.
  const match = /^(.*\|body:[^|]*)\|w:(-?\d+)$/.exec(stored.dedupKey);
  return match ? eventIdFor(`${match[1]}|w:${Number(match[2]) - 1}`) : undefined;
}

/**
 * How long after a window boundary the previous window's event is read strongly consistent. An eventually
 * consistent read (half the read units) may miss a write of about the last second; the event it looks for was
 * received in the previous window, so it was written before this boundary, plus the time its own put took (well
 * under these seconds: ingest's DynamoDB calls time out sooner). Later in the window that write is older than this
 * margin, and the cheap read sees it; only the events of the first seconds of each window pay the full read.
 */
export const CONSISTENT_PREVIOUS_READ_SECONDS = 5;

/** Whether ingest's read of the previous window's event must be strongly consistent (see above). */
export function previousWindowReadIsConsistent(
  stored: Pick<StoredEvent, 'receivedAt'>,
  options: StoreOptions,
): boolean {
  const intoWindow = Date.parse(stored.receivedAt) % dedupWindowMs(options);
  return intoWindow < CONSISTENT_PREVIOUS_READ_SECONDS * 1000;
}

/** The dedup window, in milliseconds. */
export function dedupWindowMs(options: StoreOptions): number {
  return (options.dedupWindowSeconds ?? DEFAULT_DEDUP_WINDOW_SECONDS) * 1000;
}

function isBodyHashKey(key: string): boolean {
  return key.includes('|body:');
}

function windowedKey(key: string, hook: Pick<HookEvent, 'receivedAt'>, options: StoreOptions, shift: number): string {
  if (!isBodyHashKey(key)) return key;
  const bucket = Math.floor(Date.parse(hook.receivedAt) / dedupWindowMs(options)) + shift;
  return `${key}|w:${bucket}`;
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
