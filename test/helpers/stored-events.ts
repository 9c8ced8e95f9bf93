import { randomBytes } from 'node:crypto';
import type { StoredEvent } from '../../lambdas/core/model';

/**
 * A stored CLIENT.CREATE event of `tenantId` as ingest writes it (SMS Bridge, Fineract envelope, status received),
 * with a fresh event id unless one is given; the store suites override what they are about.
 */
export function aStoredEvent(tenantId: string, overrides: Partial<StoredEvent> = {}): StoredEvent {
  const eventId = overrides.eventId ?? randomBytes(11).toString('hex').slice(0, 22);
  const entity = overrides.entity ?? 'CLIENT';
  const action = overrides.action ?? 'CREATE';
  return {
    tenantId,
    eventId,
    dedupKey: `${tenantId}|${entity}|${action}|cmd:${eventId}`,
    entity,
    action,
    entityRaw: entity,
    actionRaw: action,
    source: 'fineract',
    template: 'sms-bridge',
    shape: 'envelope',
    encoding: 'json',
    failed: false,
    ids: { clientId: 42 },
    rawBody: '{"clientId":42}',
    contentType: 'application/json',
    receivedAt: '2024-10-24T09:00:00.000Z',
    updatedAt: '2024-10-24T09:00:00.000Z',
    status: 'received',
    attempts: 0,
    ...overrides,
  };
}
