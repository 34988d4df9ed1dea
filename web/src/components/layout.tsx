// The frame of every page: the header (navigation, the live notifications link, log out),
// the connection notice, and the page itself in <main>.
import { type ReactNode, useEffect, useRef } from 'react';
import type { Api } from '../client';
import { Link, userPath } from '../router';
import { useSession } from '../session-context';
import { ConnectionStatus } from './connection-status';
import { NotificationsLink } from './notifications-link';

export function Layout({
  path,
  connection,
  children,
}: {
  path: string;
  connection: Api['connection'];
  children: ReactNode;
}) {
  const { session, signOut } = useSession();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  // After an in-app navigation, focus moves to the new page, as after a full page load.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on every new path.
  useEffect(() => {
    if (first.current) first.current = false;
    else main.current?.focus();
  }, [path]);

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="site-header">
        <nav aria-label="Main">
          <Link to="/" className="brand" aria-current={path === '/' ? 'page' : undefined}>
            Inbox
          </Link>
          {session && (
            <ul className="nav-links">
              <li>
                <NotificationsLink current={path === '/notifications'} />
              </li>
              <li>
                <Link
                  to="/settings/notifications"
                  aria-current={path === '/settings/notifications' ? 'page' : undefined}
                >
                  Settings
                </Link>
              </li>
              <li>
                <Link to={userPath(session.user.id)}>{session.user.username}</Link>
              </li>
              <li>
                <button type="button" className="link-button" onClick={() => void signOut()}>
                  Log out
                </button>
              </li>
            </ul>
          )}
        </nav>
        <ConnectionStatus connection={connection} />
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
