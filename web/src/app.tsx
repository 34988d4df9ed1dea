// The app: the session, the API client made for it, and the page for the current path.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Provider } from 'urql';
import { createApi } from './client';
import { Layout } from './components/layout';
import { LogOut } from './operations/auth';
import { HomePage } from './pages/home';
import { LogInPage } from './pages/log-in';
import { NotFoundPage } from './pages/not-found';
import { NotificationsPage } from './pages/notifications';
import { PostPage } from './pages/post';
import { SettingsPage } from './pages/settings';
import { SignUpPage } from './pages/sign-up';
import { UserPage } from './pages/user';
import { matchRoute, navigate, type Route, usePath } from './router';
import {
  clearSession,
  isExpired,
  loadSession,
  onSessionChange,
  type Session,
  saveSession,
} from './session';
import { type SessionApi, SessionContext } from './session-context';

const EXPIRED = 'Your session has expired. Log in again to continue.';
const REVOKED =
  'You were logged out (from another tab or device, or your password changed). Log in again to continue.';
/** setTimeout cannot wait longer than this. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export function App() {
  const [session, setSession] = useState<Session | null>(loadSession);
  const [notice, setNotice] = useState<string | null>(null);
  const current = useRef(session);
  current.current = session;
  const leaving = useRef(false);

  const end = useCallback((message: string) => {
    clearSession(message);
    setSession(null);
    setNotice(message);
    navigate('/login', { replace: true });
  }, []);

  const token = session?.token ?? null;
  const api = useMemo(
    () =>
      createApi({
        token,
        onSessionEnded() {
          const ended = current.current;
          if (!ended || leaving.current) return;
          end(isExpired(ended) ? EXPIRED : REVOKED);
        },
      }),
    [token, end],
  );
  useEffect(() => () => api.dispose(), [api]);

  // There is no way to renew a token without the password, so at its expiry the
  // app returns to the log-in page and says why, rather than failing request by request.
  useEffect(() => {
    if (!session) return;
    const wait = Math.min(Date.parse(session.expiresAt) - Date.now(), MAX_TIMER_MS);
    const timer = setTimeout(() => end(EXPIRED), Math.max(wait, 0));
    return () => clearTimeout(timer);
  }, [session, end]);

  // Logging in or out in one tab does the same in every other tab.
  useEffect(
    () =>
      onSessionChange((next, reason) => {
        const was = current.current;
        setSession(next);
        if (!next && was) {
          setNotice(reason ?? 'You were logged out in another tab.');
          navigate('/login', { replace: true });
        }
      }),
    [],
  );

  const sessionApi: SessionApi = {
    session,
    notice,
    signIn(next) {
      leaving.current = false;
      saveSession(next);
      setSession(next);
      setNotice(null);
      navigate('/');
    },
    async signOut() {
      // logOut revokes the token, which closes this tab's socket with 4403: that is expected.
      leaving.current = true;
      await api.client.mutation(LogOut, {}).toPromise();
      end('You are logged out.');
    },
  };

  const path = usePath();
  const route = matchRoute(path);
  const redirect = redirectFor(route, session !== null);
  useEffect(() => {
    if (redirect) navigate(redirect, { replace: true });
  }, [redirect]);

  return (
    <SessionContext.Provider value={sessionApi}>
      <Provider value={api.client}>
        <Layout path={path} connection={api.connection}>
          {redirect ? null : <Page route={route} signedIn={session !== null} />}
        </Layout>
      </Provider>
    </SessionContext.Provider>
  );
}

/** Pages that need a viewer send anonymous visitors to log in, and back. */
function redirectFor(route: Route, signedIn: boolean): string | null {
  if (!signedIn && (route.page === 'notifications' || route.page === 'settings')) return '/login';
  if (signedIn && route.page === 'login') return '/';
  return null;
}

function Page({ route, signedIn }: { route: Route; signedIn: boolean }) {
  switch (route.page) {
    case 'home':
      return signedIn ? <HomePage /> : <SignUpPage />;
    case 'login':
      return <LogInPage />;
    case 'post':
      return <PostPage key={route.id} id={route.id} />;
    case 'user':
      return <UserPage key={route.id} id={route.id} />;
    case 'notifications':
      return <NotificationsPage />;
    case 'settings':
      return <SettingsPage />;
    case 'not-found':
      return <NotFoundPage />;
  }
}
