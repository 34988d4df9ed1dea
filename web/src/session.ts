// The signed-in user's bearer token, kept in localStorage so every tab of this browser
// shares it, and told to every tab when it changes (the `storage` event).

export type Session = {
  token: string;
  /** ISO-8601; the server closes sockets with 4403 at that moment. */
  expiresAt: string;
  user: { id: string; username: string };
};

const KEY = 'notify.session';
/** Why the last session ended, so every tab can say the same thing. */
const ENDED_KEY = 'notify.session-ended';

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

export function saveSession(session: Session) {
  localStorage.removeItem(ENDED_KEY);
  localStorage.setItem(KEY, JSON.stringify(session));
}

export function clearSession(reason: string) {
  localStorage.setItem(ENDED_KEY, reason);
  localStorage.removeItem(KEY);
}

/** Calls back when another tab logs in or out; `reason` says why a session ended. */
export function onSessionChange(
  callback: (session: Session | null, reason: string | null) => void,
): () => void {
  const listener = (event: StorageEvent) => {
    if (event.key !== KEY && event.key !== null) return;
    const session = loadSession();
    callback(session, session ? null : localStorage.getItem(ENDED_KEY));
  };
  window.addEventListener('storage', listener);
  return () => window.removeEventListener('storage', listener);
}

export function isExpired(session: Session, now = Date.now()) {
  return Date.parse(session.expiresAt) <= now;
}
