// graphql-ws's protocol (its makeServer) on the sockets of a ws server, with one
// timer pinging every socket.
//
// graphql-ws ships this adapter (graphql-ws/use/ws); it is written out here for
// what that one keeps per socket for as long as a subscription lives, measured
// in heap snapshots with thousands of idle subscribers: its message listener is
// an async function that awaits the whole subscription, so it holds the
// subscribe frame's Buffer, a view of a read buffer of about 3 KiB of native
// memory; and each socket has its own ping interval, pong timer and listener.
// Here a message listener keeps nothing once the message is handed over, and
// one timer pings the sockets (the heartbeat the ws README describes), a slice of
// them per tick: pinging 10,000 in one tick stalled every delivery for a moment.
import type { IncomingMessage } from 'node:http';
import { CloseCode, makeServer, type ServerOptions } from 'graphql-ws';
import type { WebSocket, WebSocketServer } from 'ws';

/** How often the heartbeat visits its next slice of sockets. */
const TICK_MS = 100;

/** Bytes a socket may hold unsent before a send waits for its write to finish. */
export const SEND_BUFFER_BYTES = 64 * 1024;

export function serveGraphqlWs<
  P extends Record<string, unknown> | undefined,
  E extends { socket: WebSocket },
>(options: {
  wss: WebSocketServer;
  protocol: ServerOptions<P, E>;
  /** What the hooks find in `ctx.extra`, made once per socket; the request is not kept. */
  extra(socket: WebSocket, request: IncomingMessage): E;
  /** A socket that has not answered the previous ping by the next one is cut. */
  pingIntervalMs: number;
  /** A socket's own error (a frame too large, a protocol violation) or a hook's. */
  onError(error: unknown): void;
}) {
  const { wss } = options;
  const server = makeServer(options.protocol);

  const unanswered = new WeakSet<WebSocket>();
  // One function for every socket's pongs (ws calls it with the socket as `this`).
  function answered(this: WebSocket) {
    unanswered.delete(this);
  }
  // Sockets are dealt round the slices; one slice is visited per tick, so each
  // socket once an interval.
  const slices = Array.from(
    { length: Math.max(1, Math.round(options.pingIntervalMs / TICK_MS)) },
    () => new Set<WebSocket>(),
  );
  let dealt = 0;
  let visited = 0;
  const heartbeat = setInterval(() => {
    visited = (visited + 1) % slices.length;
    for (const socket of slices[visited] ?? []) {
      if (unanswered.has(socket)) {
        // Terminated, not closed: a peer that does not answer would not answer a close either.
        socket.terminate();
        continue;
      }
      unanswered.add(socket);
      socket.ping();
    }
  }, options.pingIntervalMs / slices.length);
  heartbeat.unref();

  wss.on('connection', (socket, request) => {
    const fail = (error: unknown) => {
      options.onError(error);
      socket.close(CloseCode.InternalServerError, 'Internal server error');
    };
    // ws has already closed the socket with the right code (1009 for a frame too large).
    socket.on('error', fail);
    socket.on('pong', answered);
    const slice = slices[dealt] as Set<WebSocket>;
    dealt = (dealt + 1) % slices.length;
    slice.add(socket);
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) => send(socket, data),
        close: (code, reason) => socket.close(code, reason),
        // Not awaited here: a subscribe message's promise lasts as long as its subscription.
        onMessage: (handle) =>
          socket.on('message', (data) => {
            handle(String(data)).catch(fail);
          }),
      },
      options.extra(socket, request),
    );
    socket.once('close', (code, reason) => {
      slice.delete(socket);
      void closed(code, String(reason));
    });
  });

  return {
    /** Closes every socket with 1001 (going away), so that clients reconnect elsewhere. */
    async dispose() {
      clearInterval(heartbeat);
      for (const socket of wss.clients) socket.close(1001, 'Going away');
      wss.removeAllListeners();
      await new Promise<void>((resolve, reject) =>
        wss.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}

/**
 * Sends a message; resolves at once (undefined) while the socket holds little
 * unsent, and otherwise once the write has finished. graphql-ws awaits each send
 * before it takes a subscription's next result, so a client that stops reading
 * stops its subscriptions (whose streams then keep at most a page of events and
 * read the rest from the database, stream.ts) once it has SEND_BUFFER_BYTES
 * waiting. Below that, a promise and a write callback per message would only
 * cost: a fan-out to 10,000 followers made 10,000 of each.
 */
export function send(socket: WebSocket, data: string): Promise<void> | undefined {
  if (socket.readyState !== socket.OPEN) return undefined;
  if (socket.bufferedAmount < SEND_BUFFER_BYTES) {
    // A failed write makes ws close the socket, which ends its subscriptions.
    socket.send(data);
    return undefined;
  }
  return new Promise<void>((resolve, reject) =>
    socket.send(data, (error) => (error ? reject(error) : resolve())),
  );
}
