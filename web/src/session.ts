// The signed-in user's bearer token, kept in localStorage so every tab of this browser
// shares it, and told to every tab when it changes (the `storage` event).

export type Session = {
  token: string;
  /** ISO-8601; the server closes sockets with 4403 at that moment. */
  expiresAt: string;
  user: { id: string; username: string };
};

const KEY = 'notify.session';

export function loadSession(): Session | null {
  try {
    const raw = localStorage.getItem(KEY);
    if (!raw) return null;
    const session = JSON.parse(raw) as Session;
    return isExpired(session) ? null : session;
  } catch {
    return null;
  }
}

export function saveSession(session: Session | null) {
  if (session) localStorage.setItem(KEY, JSON.stringify(session));
  else localStorage.removeItem(KEY);
}

/** Calls back when another tab logs in or out. */
export function onSessionChange(callback: (session: Session | null) => void): () => void {
  const listener = (event: StorageEvent) => {
    if (event.key === KEY || event.key === null) callback(loadSession());
  };
  window.addEventListener('storage', listener);
  return () => window.removeEventListener('storage', listener);
}

export function isExpired(session: Session, now = Date.now()) {
  return Date.parse(session.expiresAt) <= now;
}
