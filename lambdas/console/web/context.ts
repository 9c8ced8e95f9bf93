import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Session } from './api';
import { translator, type Translator } from './i18n';

export interface ConsoleContext {
  tr: Translator;
  session: Session;
}

export const Ctx = createContext<ConsoleContext>({
  tr: translator('en'),
  session: { tenantId: '', role: 'viewer', expiresAt: '' },
});

export const useConsole = () => useContext(Ctx);

/** The tenant API path of the signed-in tenant. */
export const tenantPath = (session: Session, rest: string) => `/tenants/${encodeURIComponent(session.tenantId)}${rest}`;
