// What every page may ask about the session: who is signed in, and how to sign in or out.
import { createContext, useContext, useEffect } from 'react';
import type { Session } from './session';

export type SessionApi = {
  session: Session | null;
  /** A message for the log-in page, e.g. why the session ended. */
  notice: string | null;
  signIn(session: Session): void;
  signOut(): Promise<void>;
};

export const SessionContext = createContext<SessionApi | null>(null);

export function useSession(): SessionApi {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession() outside <App>');
  return value;
}

/** Sets the document's title, which is what a screen reader announces on a new page. */
export function useTitle(title: string) {
  useEffect(() => {
    document.title = `${title} · Inbox`;
  }, [title]);
}
