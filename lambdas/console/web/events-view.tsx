import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, type EventPage, type EventRow } from './api';
import { tenantPath, useConsole } from './context';
import { EVENT_STATUSES } from '../../core/event-status';
import { Table } from './table';
import { Alerts } from './alerts';

const PERIODS = { any: 0, '24h': 24, '7d': 24 * 7, '30d': 24 * 30 } as const;
type Period = keyof typeof PERIODS;
type SearchKind = 'clientId' | 'loanId' | 'phone';

interface Filters {
  status: string;
  type: string;
  period: Period;
}

export function listingQuery(filters: Filters, cursor?: string): string {
  const params = new URLSearchParams({ limit: '25', include: 'sms' });
  if (filters.status) params.set('status', filters.status);
  if (filters.type.trim()) params.set('type', filters.type.trim());
  const hours = PERIODS[filters.period];
  if (hours) params.set('since', new Date(Date.now() - hours * 3600_000).toISOString());
  if (cursor) params.set('cursor', cursor);
  return params.toString();
}

/**
 * One row from either listing: the old bridge's (`id`, `createdOn`) or the tenant API's find (`eventId`,
 * `receivedAt`, deliveries), so the search box works with the find whichever shape it answers.
 */
export function toRow(raw: Record<string, unknown>): EventRow {
  const deliveries = Array.isArray(raw.deliveries) ? (raw.deliveries as Record<string, unknown>[]) : undefined;
  const sms =
    (raw.sms as EventRow['sms']) ??
    deliveries
      ?.filter((d) => d.channel === 'sms')
      .map((d) => ({ to: String(d.to ?? ''), status: String(d.status ?? ''), sid: (d.sid as string) ?? null }));
  return {
    id: String(raw.id ?? raw.eventId ?? ''),
    entity: String(raw.entity ?? ''),
    action: String(raw.action ?? ''),
    status: String(raw.status ?? ''),
    createdOn: String(raw.createdOn ?? raw.receivedAt ?? ''),
    ...(sms ? { sms } : {}),
  };
}

export function EventsView() {
  const { tr, session } = useConsole();
  const [draft, setDraft] = useState<Filters>({ status: '', type: '', period: 'any' });
  const [filters, setFilters] = useState<Filters>(draft);
  const [rows, setRows] = useState<EventRow[] | undefined>();
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState('');
  const [searchKind, setSearchKind] = useState<SearchKind>('clientId');
  const [searchValue, setSearchValue] = useState('');
  const [searching, setSearching] = useState(false);

  const load = async (more?: string) => {
    setError('');
    try {
      const page = await api<EventPage>(
        'GET',
        `/modules/sms/events/${encodeURIComponent(session.tenantId)}?${listingQuery(filters, more)}`,
      );
      const events = page.events.map((e) => toRow(e as unknown as Record<string, unknown>));
      setRows((before) => (more ? [...(before ?? []), ...events] : events));
      setCursor(page.nextCursor);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  useEffect(() => {
    if (!searching) void load();
  }, [filters, searching]);

  // The same find as `cli events find` (GET /tenants/{t}/events?clientId=…), when the receiver has it.
  const search = async (event: Event) => {
    event.preventDefault();
    if (!searchValue.trim()) return;
    setError('');
    try {
      const query = new URLSearchParams({ [searchKind]: searchValue.trim() });
      const page = await api<EventPage>('GET', tenantPath(session, `/events?${query}`));
      setSearching(true);
      setRows(page.events.map((e) => toRow(e as unknown as Record<string, unknown>)));
      setCursor(null);
    } catch (e) {
      setError(
        e instanceof ApiError && (e.status === 404 || e.status === 405)
          ? tr.t('searchUnavailable')
          : (e as Error).message,
      );
    }
  };

  return (
    <>
      <h1>{tr.t('eventsTitle')}</h1>
      <div class="panels">
        <form
          class="filters"
          aria-label={tr.t('filters')}
          onSubmit={(e) => {
            e.preventDefault();
            setSearching(false);
            setFilters({ ...draft });
          }}
        >
          <div class="field">
            <label for="f-status">{tr.t('status')}</label>
            <select
              id="f-status"
              value={draft.status}
              onChange={(e) => setDraft({ ...draft, status: e.currentTarget.value })}
            >
              <option value="">{tr.t('anyStatus')}</option>
              {EVENT_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {tr.status(s)}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="f-type">{tr.t('eventType')}</label>
            <input
              id="f-type"
              value={draft.type}
              placeholder="LOAN.REPAYMENT"
              onInput={(e) => setDraft({ ...draft, type: e.currentTarget.value })}
            />
          </div>
          <div class="field">
            <label for="f-period">{tr.t('period')}</label>
            <select
              id="f-period"
              value={draft.period}
              onChange={(e) => setDraft({ ...draft, period: e.currentTarget.value as Period })}
            >
              <option value="any">{tr.t('anyTime')}</option>
              <option value="24h">{tr.t('last24h')}</option>
              <option value="7d">{tr.t('last7d')}</option>
              <option value="30d">{tr.t('last30d')}</option>
            </select>
          </div>
          <button type="submit">{tr.t('apply')}</button>
        </form>
        <form class="filters" aria-label={tr.t('search')} onSubmit={search}>
          <div class="field">
            <label for="s-kind">{tr.t('searchBy')}</label>
            <select id="s-kind" value={searchKind} onChange={(e) => setSearchKind(e.currentTarget.value as SearchKind)}>
              <option value="clientId">{tr.t('clientId')}</option>
              <option value="loanId">{tr.t('loanId')}</option>
              <option value="phone">{tr.t('phone')}</option>
            </select>
          </div>
          <div class="field">
            <label for="s-value">{tr.t('searchValue')}</label>
            <input id="s-value" value={searchValue} onInput={(e) => setSearchValue(e.currentTarget.value)} />
          </div>
          <button type="submit">{tr.t('search')}</button>
          {searching && (
            <button
              type="button"
              class="secondary"
              onClick={() => {
                setSearching(false);
                setSearchValue('');
              }}
            >
              {tr.t('clearSearch')}
            </button>
          )}
        </form>
      </div>
      <Alerts error={error} />
      {rows === undefined ? (
        <p role="status">{tr.t('loading')}</p>
      ) : rows.length === 0 ? (
        <p role="status">{tr.t('noEvents')}</p>
      ) : (
        <>
          <p role="status" class="count">
            {tr.n('eventCount', rows.length)}
          </p>
          <Table headers={[tr.t('time'), tr.t('event'), tr.t('status'), tr.t('recipient'), tr.t('delivery')]}>
            {rows.map((row) => (
              <tr key={row.id}>
                <td>
                  <a href={`#/events/${encodeURIComponent(row.id)}`}>{tr.date(row.createdOn)}</a>
                </td>
                <td>
                  {row.entity}.{row.action}
                </td>
                <td>
                  <span class={`badge st-${row.status}`}>{tr.status(row.status)}</span>
                </td>
                <td>{row.sms?.map((m) => m.to).join(', ') || tr.t('none')}</td>
                <td>{row.sms?.map((m) => tr.status(m.status)).join(', ') || tr.t('none')}</td>
              </tr>
            ))}
          </Table>
        </>
      )}
      {cursor && !searching && (
        <button type="button" onClick={() => load(cursor)}>
          {tr.t('more')}
        </button>
      )}
    </>
  );
}
