// Waiting a moment so that what many connections send travels together.
//
// Each new connection makes a few small requests: its per-IP counter and its
// SUBSCRIBE to Redis, two reads from PostgreSQL. Each request written alone is a
// system call on a loopback or network socket, and in a CPU profile of 19,000
// sockets connecting those writes took about a quarter of this process' time,
// more than the work they asked for. Batching per turn of the event loop
// (setImmediate) barely helped: at 1,500 connections a second a turn holds one
// or two of them (measured: 1.5–2.2 requests per write). Waiting a few
// milliseconds gathers about a dozen (measured: 12 per statement), and costs a
// new connection those milliseconds once, against a handshake of tens.

/** How long a batch waits for more, from its first request. */
export const BATCH_WINDOW_MS = 3;

/**
 * A function that resolves at the end of the current window, opening one when
 * none is: every caller in the window resumes in the same turn, so what each
 * sends next leaves together (ioredis' auto-pipelining sends the commands of a
 * turn as one write).
 */
export function batchWindow(ms = BATCH_WINDOW_MS): () => Promise<void> {
  let open: Promise<void> | undefined;
  return () => {
    open ??= new Promise<void>((resolve) =>
      setTimeout(() => {
        open = undefined;
        resolve();
      }, ms),
    );
    return open;
  };
}
