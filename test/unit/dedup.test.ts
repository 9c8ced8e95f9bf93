import { createHash } from 'node:crypto';
import { canonicalJson, dedupKey, eventIdFor } from '../../lambdas/core/dedup';
import { parseHook } from '../../lambdas/core/hook-parser';
import { normaliseHeaders } from '../../lambdas/core/http';
import type { HookIds } from '../../lambdas/core/model';
import { type Delivery, loadDelivery } from '../helpers/fixtures';

type DedupInput = Parameters<typeof dedupKey>[0];

function eventOf(overrides: Partial<DedupInput> = {}): DedupInput {
  return {
    tenantId: 'default',
    entity: 'LOAN',
    action: 'REPAYMENT',
    ids: {},
    body: { officeId: 1, clientId: 42, loanId: 7, resourceId: 118, changes: { transactionAmount: '500' } },
    ...overrides,
  };
}

function parseDelivery(delivery: Delivery, receivedAt = '2024-10-24T09:12:34.000Z') {
  return parseHook(
    { headers: normaliseHeaders(delivery.headers), body: Buffer.from(delivery.body, 'utf8') },
    1024 * 1024,
    receivedAt,
  );
}

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined values', () => {
    // Prepare
    const value = { b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined }, e: null };

    // Act
    const text = canonicalJson(value);

    // Assess
    expect(text).toBe('{"a":{"d":[3,{"y":2,"z":1}]},"b":1,"e":null}');
  });

  it('keeps array order (order is meaningful in arrays)', () => {
    // Prepare
    const a = [1, 2];
    const b = [2, 1];

    // Act
    const textA = canonicalJson(a);
    const textB = canonicalJson(b);

    // Assess
    expect(textA).not.toBe(textB);
  });
});

describe('dedupKey', () => {
  it('uses tenant + entity + action + commandId when the sender gave one', () => {
    // Prepare
    const event = eventOf({ ids: { commandId: 5001 } });

    // Act
    const key = dedupKey(event);

    // Assess
    expect(key).toBe('default|LOAN|REPAYMENT|cmd:5001');
  });

  it('maps two deliveries of the same command to one key even when the bodies differ (commandId path)', () => {
    // Prepare
    const first = eventOf({ ids: { commandId: 5001 }, body: { timestamp: '2024-10-24T09:15:02.481Z' } });
    const second = eventOf({ ids: { commandId: 5001 }, body: { timestamp: '2024-10-24T09:15:03.002Z' } });

    // Act
    const keys = [dedupKey(first), dedupKey(second)];

    // Assess
    expect(keys[0]).toBe(keys[1]);
  });

  it('maps two different commandIds to two keys even when the bodies are equal', () => {
    // Prepare
    const body = { clientId: 42 };
    const first = eventOf({ ids: { commandId: 5001 }, body });
    const second = eventOf({ ids: { commandId: 5002 }, body });

    // Act
    const keys = [dedupKey(first), dedupKey(second)];

    // Assess
    expect(keys[0]).not.toBe(keys[1]);
  });

  it('falls back to a SHA-256 of the canonical body when there is no commandId', () => {
    // Prepare
    const event = eventOf();
    const expectedHash = createHash('sha256').update(canonicalJson(event.body)).digest('hex');

    // Act
    const key = dedupKey(event);

    // Assess
    expect(key).toBe(`default|LOAN|REPAYMENT|body:${expectedHash}`);
  });

  it('does not depend on the order of keys in the body', () => {
    // Prepare
    const a = eventOf({ body: { officeId: 1, clientId: 42, changes: { locale: 'en', transactionAmount: '500' } } });
    const b = eventOf({ body: { changes: { transactionAmount: '500', locale: 'en' }, clientId: 42, officeId: 1 } });

    // Act
    const keys = [dedupKey(a), dedupKey(b)];

    // Assess
    expect(keys[0]).toBe(keys[1]);
  });

  it('gives different bodies different keys', () => {
    // Prepare
    const a = eventOf({ body: { loanId: 7, resourceId: 118 } });
    const b = eventOf({ body: { loanId: 7, resourceId: 119 } });

    // Act
    const keys = [dedupKey(a), dedupKey(b)];

    // Assess
    expect(keys[0]).not.toBe(keys[1]);
  });

  it.each<[string, Partial<DedupInput>]>([
    ['tenant', { tenantId: 'other' }],
    ['entity', { entity: 'SAVINGSACCOUNT' }],
    ['action', { action: 'DISBURSE' }],
  ])('gives the same body under a different %s a different key', (_label, change) => {
    // Prepare
    const base = eventOf();
    const changed = eventOf(change);
    const withCommand: HookIds = { commandId: 1 };

    // Act
    const bodyKeys = [dedupKey(base), dedupKey(changed)];
    const commandKeys = [dedupKey({ ...base, ids: withCommand }), dedupKey({ ...changed, ids: withCommand })];

    // Assess
    expect(bodyKeys[0]).not.toBe(bodyKeys[1]);
    expect(commandKeys[0]).not.toBe(commandKeys[1]);
  });

  it('maps a redelivered recorded fixture to the same key, and a reordered copy too', () => {
    // Prepare
    const delivery = loadDelivery('mifosx-sms-loan-repayment');
    const parsedBody = JSON.parse(delivery.body) as Record<string, unknown>;
    const reordered = Object.fromEntries(Object.entries(parsedBody).reverse());
    const reorderedDelivery = { ...delivery, body: JSON.stringify(reordered) };

    // Act
    const first = dedupKey(parseDelivery(delivery, '2024-10-24T09:00:00.000Z'));
    const again = dedupKey(parseDelivery(delivery, '2024-10-24T09:00:05.000Z'));
    const shuffled = dedupKey(parseDelivery(reorderedDelivery));

    // Assess
    expect(reorderedDelivery.body).not.toBe(delivery.body);
    expect(again).toBe(first);
    expect(shuffled).toBe(first);
  });

  it('keys the same form delivery sent for another tenant apart, with the same body hash', () => {
    // Prepare
    const delivery = loadDelivery('mifosx-web-form-loan-repayment');
    const headers = { ...delivery.headers, 'X-Mifos-Platform-TenantId': 'other' };

    // Act
    const ownKey = dedupKey(parseDelivery(delivery));
    const otherKey = dedupKey(parseDelivery({ ...delivery, headers }));

    // Assess
    expect(ownKey.startsWith('default|LOAN|REPAYMENT|body:')).toBe(true);
    expect(otherKey.startsWith('other|LOAN|REPAYMENT|body:')).toBe(true);
    expect(ownKey.slice('default'.length)).toBe(otherKey.slice('other'.length));
  });
});

describe('eventIdFor', () => {
  it('is deterministic', () => {
    // Prepare
    const key = 'default|LOAN|REPAYMENT|cmd:5001';

    // Act
    const ids = [eventIdFor(key), eventIdFor(key)];

    // Assess
    expect(ids[0]).toBe(ids[1]);
  });

  it('is URL-safe and 22 characters (132 bits) long', () => {
    // Prepare
    const keys = Array.from({ length: 200 }, (_, i) => `tenant-${i}|LOAN|REPAYMENT|body:${i}`);

    // Act
    const ids = keys.map(eventIdFor);

    // Assess
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(encodeURIComponent(id)).toBe(id);
    }
    expect(new Set(ids).size).toBe(keys.length);
  });

  it('differs for different dedup keys', () => {
    // Prepare
    const a = 'default|LOAN|REPAYMENT|cmd:1';
    const b = 'default|LOAN|REPAYMENT|cmd:2';

    // Act
    const ids = [eventIdFor(a), eventIdFor(b)];

    // Assess
    expect(ids[0]).not.toBe(ids[1]);
  });
});
