import { useEffect, useState } from 'preact/hooks';
import { api, type EventDetail } from './api';
import { tenantPath, useConsole } from './context';
import { Table } from './table';
import { Alerts } from './alerts';

const RESENDABLE = ['failed', 'dead'];

export function EventView({ id }: { id: string }) {
  const { tr, session } = useConsole();
  const [event, setEvent] = useState<EventDetail | undefined>();
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');

  const load = () =>
    api<EventDetail>('GET', tenantPath(session, `/events/${encodeURIComponent(id)}`)).then(setEvent, (e: Error) =>
      setError(e.message),
    );
  useEffect(() => {
    void load();
  }, [id]);

  const resend = async () => {
    setError('');
    try {
      await api('POST', tenantPath(session, `/events/${encodeURIComponent(id)}/resend`));
      setNotice(tr.t('resent'));
      await load();
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const sms = event?.deliveries.filter((d) => d.channel === 'sms') ?? [];
  const forwards = event?.deliveries.filter((d) => d.channel === 'forward') ?? [];
  return (
    <>
      <p>
        <a href="#/events">← {tr.t('back')}</a>
      </p>
      <h1>{tr.t('eventTitle', { id })}</h1>
      <Alerts error={error} notice={notice} />
      {!event ? (
        !error && <p role="status">{tr.t('loading')}</p>
      ) : (
        <>
          <dl class="facts">
            <dt>{tr.t('event')}</dt>
            <dd>
              {event.entity}.{event.action}
            </dd>
            <dt>{tr.t('status')}</dt>
            <dd>
              <span class={`badge st-${event.status}`}>{tr.status(event.status)}</span> ·{' '}
              {tr.n('attempts', event.attempts)}
            </dd>
            <dt>{tr.t('received')}</dt>
            <dd>{tr.date(event.receivedAt)}</dd>
            <dt>{tr.t('via')}</dt>
            <dd>
              {event.template === 'web' ? tr.t('hookWeb') : tr.t('hookSms')}
              {event.source ? ` · ${event.source === 'mifosx' ? 'MifosX' : 'Apache Fineract'}` : ''}
            </dd>
            {event.lastError && (
              <>
                <dt>{tr.t('lastError')}</dt>
                <dd>{event.lastError}</dd>
              </>
            )}
            {event.nextAttemptAt && (
              <>
                <dt>{tr.t('nextAttempt')}</dt>
                <dd>{tr.date(event.nextAttemptAt)}</dd>
              </>
            )}
          </dl>
          {session.role === 'editor' && RESENDABLE.includes(event.status) && (
            <button type="button" onClick={resend}>
              {tr.t('resend')}
            </button>
          )}
          <h2>{tr.t('sms')}</h2>
          {sms.length === 0 ? (
            <p>{tr.t('noSms')}</p>
          ) : (
            sms.map((m) => (
              <section class="card" key={m.messageId} aria-label={`${tr.t('sms')} ${m.to ?? ''}`}>
                <dl class="facts">
                  <dt>{tr.t('recipient')}</dt>
                  <dd>{m.to}</dd>
                  <dt>{tr.t('message')}</dt>
                  <dd class="sms-text">{m.text}</dd>
                  <dt>{tr.t('twilioSid')}</dt>
                  <dd>
                    <code>{m.sid ?? tr.t('none')}</code>
                  </dd>
                  <dt>{tr.t('deliveryStatus')}</dt>
                  <dd>
                    <span class={`badge st-${m.status}`}>{tr.status(m.status)}</span>
                    {m.segments ? ` · ${tr.n('segments', m.segments)}` : ''}
                    {m.encoding ? ` · ${m.encoding}` : ''}
                    {m.providerStatus && m.providerStatus !== m.status ? ` · Twilio: ${m.providerStatus}` : ''}
                  </dd>
                  {m.error && (
                    <>
                      <dt>{tr.t('lastError')}</dt>
                      <dd>{m.error}</dd>
                    </>
                  )}
                  <dt>{tr.t('time')}</dt>
                  <dd>{tr.date(m.updatedAt)}</dd>
                </dl>
              </section>
            ))
          )}
          <h2>{tr.t('forwards')}</h2>
          {forwards.length === 0 ? (
            <p>{tr.t('noForwards')}</p>
          ) : (
            <Table
              headers={[tr.t('target'), tr.t('status'), tr.t('statusCode'), tr.t('latency'), tr.t('attemptsColumn')]}
            >
              {forwards.map((f) => (
                <tr key={f.targetId}>
                  <td>
                    <code>{f.targetId}</code>
                  </td>
                  <td>
                    <span class={`badge st-${f.status}`}>{tr.status(f.status)}</span>
                    {f.error ? ` · ${f.error}` : ''}
                  </td>
                  <td>{f.lastStatusCode ?? tr.t('none')}</td>
                  <td>{f.latencyMs == null ? tr.t('none') : tr.t('ms', { n: tr.number(f.latencyMs) })}</td>
                  <td>{f.attempts ?? 0}</td>
                </tr>
              ))}
            </Table>
          )}
        </>
      )}
    </>
  );
}
