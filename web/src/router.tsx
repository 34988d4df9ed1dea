// Paths are the app's state: a link changes the path without a reload, and a reload of
// any path shows the same page (the server answers every page path with index.html).
import { type AnchorHTMLAttributes, type MouseEvent, useSyncExternalStore } from 'react';

const listeners = new Set<() => void>();
const notify = () => {
  for (const listener of listeners) listener();
};
window.addEventListener('popstate', notify);

export function navigate(to: string, options: { replace?: boolean } = {}) {
  if (to === location.pathname) return;
  if (options.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  notify();
}

export function usePath(): string {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => location.pathname,
  );
}

export type Route =
  | { page: 'home' }
  | { page: 'login' }
  | { page: 'post'; id: string }
  | { page: 'user'; id: string }
  | { page: 'notifications' }
  | { page: 'settings' }
  | { page: 'not-found' };

export function matchRoute(path: string): Route {
  if (path === '/') return { page: 'home' };
  if (path === '/login') return { page: 'login' };
  if (path === '/notifications') return { page: 'notifications' };
  if (path === '/settings/notifications') return { page: 'settings' };
  const match = /^\/(posts|users)\/([^/]+)$/.exec(path);
  if (match?.[2]) {
    const id = decodeURIComponent(match[2]);
    return match[1] === 'posts' ? { page: 'post', id } : { page: 'user', id };
  }
  return { page: 'not-found' };
}

export const postPath = (id: string) => `/posts/${encodeURIComponent(id)}`;
export const userPath = (id: string) => `/users/${encodeURIComponent(id)}`;

type LinkProps = Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> & { to: string };

/** An ordinary link (open in a new tab still works) that navigates in place on a plain click. */
export function Link({ to, onClick, ...props }: LinkProps) {
  const click = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={click} {...props} />;
}
