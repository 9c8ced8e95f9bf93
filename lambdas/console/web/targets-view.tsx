import { useEffect, useState } from 'preact/hooks';
import { api, type Target } from './api';
import { tenantPath, useConsole } from './context';
import { Table } from './table';
import { Alerts } from './alerts';

interface TestResult {
  targetId: string;
  delivered: boolean;
  statusCode?: number;
  latencyMs?: number;
  error?: string;
}

export function TargetsView() {
  const { tr, session } = useConsole();
  const editor = session.role === 'editor';
  const [targets, setTargets] = useState<Target[] | undefined>();
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState('');
  const [includeFailed, setIncludeFailed] = useState(false);
  const [format, setFormat] = useState('envelope');
  const [secret, setSecret] = useState<{ id: string; secret: string } | undefined>();
  const [notice, setNotice] = useState('');
  const [error, setError] = useState('');

  const load = () =>
    api<{ targets: Target[] }>('GET', tenantPath(session, '/targets')).then((r) => setTargets(r.targets));
  useEffect(() => {
    load().catch((e: Error) => setError(e.message));
  }, []);

  const run = async (action: () => Promise<void>) => {
    setError('');
    setNotice('');
    try {
      await action();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const add = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const created = await api<Target & { secret: string }>('POST', tenantPath(session, '/targets'), {
        url,
        events: events
          .split(',')
          .map((e) => e.trim())
          .filter(Boolean),
        includeFailed,
        format,
      });
      setSecret({ id: created.targetId, secret: created.secret });
      setUrl('');
      setEvents('');
      await load();
    });
  };
  const rotate = (id: string) =>
    run(async () => {
      const rotated = await api<{ secret: string }>('POST', tenantPath(session, `/targets/${id}/rotate-secret`));
      setSecret({ id, secret: rotated.secret });
    });
  const test = (id: string) =>
    run(async () => {
      const r = await api<TestResult>('POST', tenantPath(session, `/targets/${id}/test`));
      const result = r.delivered
        ? tr.t('testOk', { code: r.statusCode ?? '', ms: r.latencyMs ?? '' })
        : tr.t('testFailed', { detail: r.error ?? `HTTP ${r.statusCode ?? '?'}` });
      setNotice(tr.t('testResult', { id, result }));
    });
  const disable = (id: string) =>
    run(async () => {
      await api('POST', tenantPath(session, `/targets/${id}/disable`));
      await load();
    });

  return (
    <>
      <h1>{tr.t('targetsTitle')}</h1>
      {!editor && <p class="note">{tr.t('editorOnly')}</p>}
      <Alerts error={error} notice={notice} />
      {secret && (
        <div class="card secret" role="status">
          <p>{tr.t('secretOnce', { id: secret.id })}</p>
          <p>
            <code data-testid="secret">{secret.secret}</code>
          </p>
        </div>
      )}
      {targets === undefined ? (
        !error && <p role="status">{tr.t('loading')}</p>
      ) : targets.length === 0 ? (
        <p>{tr.t('noTargets')}</p>
      ) : (
        <Table
          headers={[
            tr.t('target'),
            tr.t('destination'),
            tr.t('filtersColumn'),
            tr.t('format'),
            tr.t('status'),
            editor && tr.t('actions'),
          ]}
        >
          {targets.map((t) => (
            <tr key={t.targetId}>
              <td>
                <code>{t.targetId}</code>
              </td>
              <td class="wrap">{t.url ?? t.eventBusArn}</td>
              <td>{t.events.length ? t.events.join(', ') : tr.t('allEvents')}</td>
              <td>{t.format === 'original' ? tr.t('formatOriginal') : tr.t('formatEnvelope')}</td>
              <td>{t.status === 'enabled' ? tr.t('enabled') : tr.t('disabled')}</td>
              {editor && (
                <td class="actions">
                  <button
                    type="button"
                    class="secondary"
                    onClick={() => test(t.targetId)}
                    aria-label={`${tr.t('test')} ${t.targetId}`}
                  >
                    {tr.t('test')}
                  </button>
                  <button
                    type="button"
                    class="secondary"
                    onClick={() => rotate(t.targetId)}
                    aria-label={`${tr.t('rotate')} ${t.targetId}`}
                  >
                    {tr.t('rotate')}
                  </button>
                  {t.status === 'enabled' && (
                    <button
                      type="button"
                      class="secondary"
                      onClick={() => disable(t.targetId)}
                      aria-label={`${tr.t('disable')} ${t.targetId}`}
                    >
                      {tr.t('disable')}
                    </button>
                  )}
                </td>
              )}
            </tr>
          ))}
        </Table>
      )}
      {editor && (
        <form class="card add-target" onSubmit={add} aria-labelledby="add-title">
          <h2 id="add-title">{tr.t('addTarget')}</h2>
          <div class="field">
            <label for="a-url">{tr.t('targetUrl')}</label>
            <input
              id="a-url"
              type="url"
              required
              value={url}
              placeholder="https://"
              onInput={(e) => setUrl(e.currentTarget.value)}
            />
          </div>
          <div class="field">
            <label for="a-events">{tr.t('targetEvents')}</label>
            <input
              id="a-events"
              value={events}
              placeholder="LOAN.REPAYMENT, CLIENT.*"
              onInput={(e) => setEvents(e.currentTarget.value)}
            />
          </div>
          <div class="field">
            <label for="a-format">{tr.t('format')}</label>
            <select id="a-format" value={format} onChange={(e) => setFormat(e.currentTarget.value)}>
              <option value="envelope">{tr.t('formatEnvelope')}</option>
              <option value="original">{tr.t('formatOriginal')}</option>
            </select>
          </div>
          <div class="check">
            <input
              id="a-failed"
              type="checkbox"
              checked={includeFailed}
              onChange={(e) => setIncludeFailed(e.currentTarget.checked)}
            />
            <label for="a-failed">{tr.t('includeFailed')}</label>
          </div>
          <button type="submit">{tr.t('add')}</button>
        </form>
      )}
    </>
  );
}
