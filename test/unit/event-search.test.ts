import { BadRequestError } from '../../lambdas/core/errors';
import { findEvents, parseFindQuery, parseSince, senderVersionOf } from '../../lambdas/core/event-search';
import type { StoredEvent } from '../../lambdas/core/model';
import type { EventPage, SearchPage } from '../../lambdas/core/ports';
import { thrownBy } from '../helpers/errors';
import { FakeClock } from '../helpers/fake-clock';
import { makeStoredEvent } from '../helpers/memory-ports';

const NOW = new Date('2024-10-24T12:00:00.000Z');

describe('parseFindQuery', () => {
  test('reads ids, a phone in international form, a window, entity and action, limit and cursor', () => {
    // Act
    const query = parseFindQuery(
      {
        clientId: '42.0',
        phone: '254712345678',
        since: '24h',
        entity: 'loan',
        action: 'repayment',
        limit: '5',
        cursor: 'abc',
      },
      NOW,
    );

    // Assess
    expect(query).toEqual({
      clientId: '42',
      phone: '+254712345678',
      since: '2024-10-23T12:00:00.000Z',
      entity: 'LOAN',
      action: 'REPAYMENT',
      limit: 5,
      cursor: 'abc',
    });
  });

  test('defaults to the last 7 days and 25 events', () => {
    // Act
    const query = parseFindQuery({ loanId: '7001' }, NOW);

    // Assess
    expect(query).toEqual({ loanId: '7001', since: '2024-10-17T12:00:00.000Z', limit: 25 });
  });

  test.each([
    ['nothing to search by', {}],
    ['an unknown parameter', { clientId: '1', mobile: '1' }],
    ['an id with a space', { clientId: '4 2' }],
    ['a phone that is no number', { phone: 'call me' }],
    ['a window in weeks', { clientId: '1', since: '2w' }],
    ['a limit of 0', { clientId: '1', limit: '0' }],
    ['an entity with a dot', { clientId: '1', entity: 'LOAN.X' }],
    ['a cursor with padding', { clientId: '1', cursor: 'a=' }],
  ])('refuses %s with a 400 naming the parameter', (_name, params) => {
    // Act
    const error = thrownBy(() => parseFindQuery(params as Record<string, string>, NOW));

    // Assess
    expect(error).toBeInstanceOf(BadRequestError);
  });

  test('parseSince takes durations and ISO dates only', () => {
    // Assess
    expect(parseSince('30m', NOW)).toBe('2024-10-24T11:30:00.000Z');
    expect(parseSince('2024-10-01', NOW)).toBe('2024-10-01T00:00:00.000Z');
    expect(parseSince('yesterday', NOW)).toBeUndefined();
    expect(parseSince('9999d', NOW)).toBeUndefined();
  });
});

describe('findEvents', () => {
  test('searches by phone hash, never by the number, and keeps only the asked entity and action', async () => {
    // Prepare
    const loan = makeStoredEvent({
      eventId: 'e1',
      tenantId: 't',
      entity: 'LOAN',
      action: 'REPAYMENT',
      receivedAt: NOW.toISOString(),
    });
    const client = makeStoredEvent({
      eventId: 'e2',
      tenantId: 't',
      entity: 'CLIENT',
      action: 'CREATE',
      receivedAt: NOW.toISOString(),
    });
    const asked: string[] = [];
    const search = {
      findByIds: async (): Promise<EventPage> => ({ items: [] }),
      findByPhoneHash: async (_t: string, hash: string, _p: SearchPage): Promise<EventPage> => {
        asked.push(hash);
        return { items: [loan, client] as StoredEvent[], nextCursor: 'next' };
      },
    };
    const deps = {
      search,
      phones: { hashPhone: async (e164: string) => `hash(${e164})` },
      messages: { listByEvent: async () => [] },
      deliveries: { listByEvent: async () => [] },
      clock: new FakeClock(NOW),
    };

    // Act
    const found = await findEvents('t', parseFindQuery({ phone: '+254712345678', entity: 'LOAN' }, NOW), deps);

    // Assess
    expect(asked).toEqual(['hash(+254712345678)']);
    expect(found.events.map((e) => e.eventId)).toEqual(['e1']);
    expect(found.nextCursor).toBe('next');
  });

  test('names the sender version from headers and body shape', () => {
    // Assess
    expect(senderVersionOf({ source: 'mifosx', shape: 'flat' })).toMatch(/^MifosX/);
    expect(senderVersionOf({ source: 'fineract', shape: 'envelope' })).toMatch(/≥ 1\.5/);
    expect(senderVersionOf({ source: 'fineract', shape: 'flat' })).toMatch(/1\.0–1\.4/);
  });
});
