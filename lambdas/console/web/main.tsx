import { render } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, api, type Session, whenSessionExpires } from './api';
import { Ctx } from './context';
import { EventView } from './event-view';
import { EventsView } from './events-view';
import { isLang, LANGUAGE_NAMES, LANGUAGES, type Lang, translator } from './i18n';
import { TargetsView } from './targets-view';
import { TemplatesView } from './templates-view';

const LANG_KEY = 'console.lang';

function initialLang(): Lang {
  const saved = localStorage.getItem(LANG_KEY);
  if (isLang(saved)) return saved;
  const browser = navigator.language.slice(0, 2);
  return isLang(browser) ? browser : 'en';
}

/** `#/events`, `#/events/<id>`, `#/templates`, `#/targets`. */
function useRoute(): string[] {
  const read = () => location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const update = () => setRoute(read());
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}

type State =
  | { kind: 'loading' }
  | { kind: 'expired' }
  | { kind: 'error'; message: string }
  | { kind: 'in'; session: Session };

/** A one-time token in the fragment is exchanged for the session cookie, then removed from the address bar. */
async function signIn(): Promise<Session> {
  const token = /^#login=([A-Za-z0-9_-]+)$/.exec(location.hash)?.[1];
  if (token) {
    // The token must not stay in the address bar or the history; the router learns of the new hash by the event.
    history.replaceState(null, '', `${location.pathname}#/events`);
    dispatchEvent(new HashChangeEvent('hashchange'));
    return api<Session>('POST', '/console/session', { token });
  }
  return api<Session>('GET', '/console/session');
}

function App() {
  const [lang, setLang] = useState<Lang>(initialLang);
  const tr = useMemo(() => translator(lang), [lang]);
  const [state, setState] = useState<State>({ kind: 'loading' });
  const route = useRoute();
  const main = useRef<HTMLElement>(null);

  useEffect(() => {
    document.documentElement.lang = lang;
    localStorage.setItem(LANG_KEY, lang);
  }, [lang]);
  useEffect(() => {
    whenSessionExpires(() => setState({ kind: 'expired' }));
    signIn().then(
      (session) => setState({ kind: 'in', session }),
      (error: unknown) =>
        setState(
          error instanceof ApiError && error.status === 401
            ? { kind: 'expired' }
            : { kind: 'error', message: String((error as Error).message) },
        ),
    );
  }, []);
  useEffect(() => {
    document.title = tr.t('appTitle');
  }, [tr]);

  const languagePicker = (
    <div class="lang">
      <label for="lang">{tr.t('language')}</label>
      <select id="lang" value={lang} onChange={(e) => setLang((e.currentTarget as HTMLSelectElement).value as Lang)}>
        {LANGUAGES.map((code) => (
          <option key={code} value={code} lang={code}>
            {LANGUAGE_NAMES[code]}
          </option>
        ))}
      </select>
    </div>
  );

  if (state.kind !== 'in') {
    return (
      <>
        <header class="top">
          <p class="brand">{tr.t('appTitle')}</p>
          {languagePicker}
        </header>
        <main id="main" class="notice">
          {state.kind === 'loading' && <p role="status">{tr.t('signingIn')}</p>}
          {state.kind === 'expired' && (
            <>
              <h1>{tr.t('expiredTitle')}</h1>
              <p>{tr.t('expiredBody')}</p>
            </>
          )}
          {state.kind === 'error' && (
            <>
              <h1>{tr.t('errorTitle')}</h1>
              <p>{state.message}</p>
            </>
          )}
        </main>
      </>
    );
  }

  const { session } = state;
  const [section = 'events', id] = route;
  const nav = [
    ['events', 'navEvents'],
    ['templates', 'navTemplates'],
    ['targets', 'navTargets'],
  ] as const;
  const signOut = async () => {
    await api('DELETE', '/console/session').catch(() => undefined);
    setState({ kind: 'expired' });
  };
  return (
    <Ctx.Provider value={{ tr, session }}>
      <button type="button" class="skip" onClick={() => main.current?.focus()}>
        {tr.t('skip')}
      </button>
      <header class="top">
        <p class="brand">{tr.t('appTitle')}</p>
        <nav aria-label={tr.t('nav')}>
          <ul>
            {nav.map(([path, label]) => (
              <li key={path}>
                <a href={`#/${path}`} aria-current={section === path ? 'page' : undefined}>
                  {tr.t(label)}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <p class="who">
          {tr.t('signedInAs', {
            tenant: session.tenantId,
            role: tr.t(session.role === 'editor' ? 'roleEditor' : 'roleViewer'),
          })}
        </p>
        {languagePicker}
        <button type="button" class="secondary" onClick={signOut}>
          {tr.t('signOut')}
        </button>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {section === 'events' && !id && <EventsView />}
        {section === 'events' && id && <EventView id={id} />}
        {section === 'templates' && <TemplatesView />}
        {section === 'targets' && <TargetsView />}
      </main>
    </Ctx.Provider>
  );
}

const root = document.getElementById('app')!;
root.textContent = '';
render(<App />, root);
