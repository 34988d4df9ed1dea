// The app's one connection to the API: urql over HTTP for queries and mutations, and one
// graphql-ws socket for subscriptions, authenticated with the session's bearer token.
// It also watches that socket, to say when the app is offline and to end the session
// when the server refuses the token (close 4403).
import { createClient as createSocketClient } from 'graphql-ws';
import {
  Client,
  cacheExchange,
  type ExecutionResult,
  fetchExchange,
  mapExchange,
  subscriptionExchange,
} from 'urql';

export type ConnectionState = 'online' | 'offline' | 'reconnecting';

export type Api = {
  client: Client;
  connection: {
    get(): ConnectionState;
    subscribe(listener: () => void): () => void;
  };
  dispose(): void;
};

/** The socket answers pings within this, or it is taken for dead and replaced. */
const PONG_TIMEOUT_MS = 5_000;
const PING_INTERVAL_MS = 10_000;

export function createApi(options: {
  token: string | null;
  /** The server refused the token: it expired or was revoked (log-out, new password). */
  onSessionEnded(): void;
}): Api {
  const { token } = options;
  let disposed = false;
  const endSession = () => {
    if (!disposed) options.onSessionEnded();
  };

  // State for the offline notice: the browser's own view, plus whether a socket that
  // was in use dropped and has not come back yet.
  let lost = false;
  let browserOnline = navigator.onLine;
  const listeners = new Set<() => void>();
  const state = (): ConnectionState =>
    !browserOnline ? 'offline' : lost ? 'reconnecting' : 'online';
  let current = state();
  const update = () => {
    const next = state();
    if (next === current) return;
    current = next;
    for (const listener of listeners) listener();
  };

  let pongTimer: ReturnType<typeof setTimeout> | undefined;
  const socket = createSocketClient({
    url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`,
    // Read at every (re)connection, as the contract asks of clients.
    connectionParams: () => (token ? { authorization: `Bearer ${token}` } : {}),
    lazy: true,
    keepAlive: PING_INTERVAL_MS,
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => !disposed,
    retryWait: async (retries) => {
      await untilOnline();
      const ceiling = Math.min(250 * 2 ** retries, 5_000);
      await sleep(ceiling / 2 + (Math.random() * ceiling) / 2);
    },
    on: {
      connected: () => {
        lost = false;
        update();
      },
      closed: (event) => {
        clearTimeout(pongTimer);
        const code = (event as { code?: number } | undefined)?.code;
        if (code === 4403) endSession();
        // 1000 is the lazy socket closing because nothing listens any more.
        else if (code !== 1000) lost = true;
        update();
      },
      ping: (received) => {
        if (received) return;
        pongTimer = setTimeout(() => socket.terminate(), PONG_TIMEOUT_MS);
      },
      pong: (received) => {
        if (received) clearTimeout(pongTimer);
      },
    },
  });

  // When the browser says the network is gone, an open socket cannot be trusted (it may
  // look open for minutes): drop it now; retryWait then waits for the network to return.
  const wentOffline = () => {
    browserOnline = false;
    socket.terminate();
    update();
  };
  const cameOnline = () => {
    browserOnline = true;
    update();
  };
  window.addEventListener('offline', wentOffline);
  window.addEventListener('online', cameOnline);

  const client = new Client({
    url: '/graphql',
    fetchOptions: (): RequestInit =>
      token ? { headers: { authorization: `Bearer ${token}` } } : {},
    exchanges: [
      mapExchange({
        onError(error) {
          const refused = error.graphQLErrors.some((e) => e.extensions?.code === 'UNAUTHENTICATED');
          if (token && refused) endSession();
        },
      }),
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          // graphql-ws sends this same object again after every reconnect.
          const payload = {
            query: request.query ?? '',
            operationName: request.operationName,
            variables: { ...request.variables },
          };
          return {
            subscribe(sink) {
              const unsubscribe = socket.subscribe(payload, {
                next(result) {
                  resumeFrom(payload.variables, result as ExecutionResult);
                  sink.next(result as ExecutionResult);
                },
                error: (error) => sink.error(error),
                complete: () => sink.complete(),
              });
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });

  return {
    client,
    connection: {
      get: () => current,
      subscribe(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
    dispose() {
      disposed = true;
      window.removeEventListener('offline', wentOffline);
      window.removeEventListener('online', cameOnline);
      clearTimeout(pongTimer);
      void socket.dispose();
    },
  };
}

/**
 * Moves a `notificationAdded(since:)` subscription's `since` to the newest notification
 * received, so the subscribe message graphql-ws repeats after a reconnect resumes right
 * after it: whatever arrived meanwhile is replayed once, and nothing twice.
 */
function resumeFrom(variables: Record<string, unknown>, result: ExecutionResult) {
  const data = result.data as { notificationAdded?: { id?: unknown } } | null | undefined;
  const id = data?.notificationAdded?.id;
  if (typeof id === 'string' && 'since' in variables) variables.since = id;
}

function untilOnline(): Promise<void> {
  if (navigator.onLine) return Promise.resolve();
  return new Promise((resolve) =>
    window.addEventListener('online', () => resolve(), { once: true }),
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
