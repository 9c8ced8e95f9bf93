import { useEffect, useState } from 'preact/hooks';
import { api, type Preview, type TemplateRow } from './api';
import { tenantPath, useConsole } from './context';
import { Alerts } from './alerts';

interface TemplateList {
  templates: TemplateRow[];
  variables: string[];
}

export function TemplatesView() {
  const { tr, session } = useConsole();
  const editor = session.role === 'editor';
  const [list, setList] = useState<TemplateList | undefined>();
  const [key, setKey] = useState('');
  const [text, setText] = useState('');
  const [eventId, setEventId] = useState('');
  const [preview, setPreview] = useState<Preview | undefined>();
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');

  const load = async (select?: string) => {
    const result = await api<TemplateList>('GET', tenantPath(session, '/templates'));
    setList(result);
    const chosen =
      result.templates.find((t) => t.key === select) ??
      result.templates.find((t) => t.key === 'LOAN.REPAYMENT') ??
      result.templates[0];
    if (chosen) {
      setKey(chosen.key);
      setText(chosen.template);
    }
  };
  useEffect(() => {
    load().catch((e: Error) => setError(e.message));
  }, []);

  // Live preview: rendered by the server with the worker's template code, a moment after typing stops.
  useEffect(() => {
    if (!key) return;
    const timer = setTimeout(() => {
      api<Preview>('POST', tenantPath(session, `/templates/${encodeURIComponent(key)}/preview`), {
        template: text,
        ...(eventId.trim() ? { eventId: eventId.trim() } : {}),
      }).then(
        (p) => {
          setPreview(p);
          setError('');
        },
        (e: Error) => setError(e.message),
      );
    }, 250);
    return () => clearTimeout(timer);
  }, [key, text, eventId]);

  const choose = (next: string) => {
    const row = list?.templates.find((t) => t.key === next);
    setKey(next);
    setText(row?.template ?? '');
    setNotice('');
  };
  const save = async (event: Event) => {
    event.preventDefault();
    setError('');
    try {
      await api('POST', tenantPath(session, `/templates/${encodeURIComponent(key)}`), { template: text });
      setNotice(tr.t('saved'));
      await load(key);
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const row = list?.templates.find((t) => t.key === key);
  return (
    <>
      <h1>{tr.t('templatesTitle')}</h1>
      {!editor && <p class="note">{tr.t('editorOnly')}</p>}
      <Alerts error={error} />
      {!list ? (
        !error && <p role="status">{tr.t('loading')}</p>
      ) : (
        <form class="template" onSubmit={save}>
          <div class="field">
            <label for="t-key">{tr.t('chooseTemplate')}</label>
            <select id="t-key" value={key} onChange={(e) => choose(e.currentTarget.value)}>
              {list.templates.map((t) => (
                <option key={t.key} value={t.key}>
                  {t.key}
                </option>
              ))}
            </select>
          </div>
          <p>
            {tr.t('source')}: {row?.source === 'tenant' ? tr.t('sourceTenant') : tr.t('sourceDefault')}
          </p>
          <div class="field">
            <label for="t-text">{tr.t('templateFor', { key })}</label>
            <textarea
              id="t-text"
              rows={4}
              value={text}
              readOnly={!editor}
              onInput={(e) => setText(e.currentTarget.value)}
            />
          </div>
          <p class="vars">
            {tr.t('variables')}:{' '}
            {list.variables.map((v) => (
              <code key={v}>{`{{${v}}}`} </code>
            ))}
          </p>
          <div class="field">
            <label for="t-event">
              {tr.t('sampleEvent')} {tr.t('storedEventId')}
            </label>
            <input
              id="t-event"
              value={eventId}
              placeholder={tr.t('sampleData')}
              onInput={(e) => setEventId(e.currentTarget.value)}
            />
          </div>
          <section class="card preview" aria-labelledby="preview-title" aria-live="polite">
            <h2 id="preview-title">{tr.t('preview')}</h2>
            {preview && !preview.valid && (
              <p class="error">{tr.t('invalidTemplate', { error: preview.error ?? '' })}</p>
            )}
            {preview?.valid && preview.silenced && <p>{tr.t('previewSilenced')}</p>}
            {preview?.valid && !preview.silenced && (
              <>
                <p class="sms-text" data-testid="preview-text">
                  {preview.text}
                </p>
                <p class="meter">
                  {tr.n('characters', preview.units ?? 0)} · {tr.n('segments', preview.segments ?? 0)} ·{' '}
                  {preview.encoding}
                </p>
                {preview.encoding === 'UCS-2' && (
                  <p class="warn" role="status">
                    {tr.t('ucs2Warning')}
                  </p>
                )}
              </>
            )}
          </section>
          {notice && (
            <p class="ok" role="status">
              {notice}
            </p>
          )}
          {editor && <button type="submit">{tr.t('save')}</button>}
        </form>
      )}
    </>
  );
}
