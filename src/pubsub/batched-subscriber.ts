// The Redis subscriber connection as graphql-redis-subscriptions sees it, with
// its SUBSCRIBE and UNSUBSCRIBE commands gathered for a moment (batch-window.ts)
// and sent as one command with many channels, never during the connection's
// handshake.
//
// graphql-redis-subscriptions sends one SUBSCRIBE per new channel, and every
// connecting user is a new channel: in a CPU profile of 19,000 sockets
// connecting, those writes alone took 6 % of this process' time. Redis answers a
// SUBSCRIBE of many channels with one confirmation per channel, which ioredis
// counts before it resolves. Commands keep their order (a channel unsubscribed
// and subscribed again within one window ends subscribed), and ioredis' own
// re-subscribing after a reconnect does not pass through here.
import type { Redis } from 'ioredis';
import { batchWindow } from '../batch-window.js';

type Command = 'subscribe' | 'unsubscribe';
type Pending = { command: Command; channel: string; done: (error: Error | null) => void };

export function batchedSubscriber(
  connection: Redis,
  onError: (error: unknown) => void,
): { subscriber: Redis; flush(): void } {
  const handshakeOver = afterHandshake(connection);
  const windowEnd = batchWindow();
  let pending: Pending[] = [];

  /** Each run of one command as one command, in order. */
  const send = (batch: Pending[]) => {
    let start = 0;
    while (start < batch.length) {
      const command = (batch[start] as Pending).command;
      let end = start + 1;
      while (end < batch.length && (batch[end] as Pending).command === command) end++;
      const run = batch.slice(start, end);
      connection[command](...run.map((p) => p.channel)).then(
        () => {
          for (const p of run) p.done(null);
        },
        (error: Error) => {
          for (const p of run) p.done(error);
        },
      );
      start = end;
    }
  };
  // Also called by close(); the window's own call then finds nothing left.
  const flush = () => {
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    // At once when it can be (close() flushes right before its QUIT).
    if (connection.status !== 'connect') send(batch);
    else void handshakeOver().then(() => send(batch));
  };
  const enqueue = (command: Command, channel: string, done: Pending['done']) => {
    pending.push({ command, channel, done });
    if (pending.length === 1) void windowEnd().then(flush);
  };

  const facade = {
    on(event: string, listener: (...args: unknown[]) => void) {
      connection.on(event, listener);
      return facade;
    },
    subscribe(channel: string, done: (error: Error | null) => void) {
      enqueue('subscribe', channel, done);
    },
    unsubscribe(channel: string) {
      // Nobody waits for it; a failure (the connection closing) is only reported.
      enqueue('unsubscribe', channel, (error) => error && onError(error));
    },
    // graphql-redis-subscriptions follows every UNSUBSCRIBE with a PUNSUBSCRIBE,
    // for pattern subscriptions, which this server never makes.
    punsubscribe() {},
    psubscribe() {
      throw new Error('pattern subscriptions are not used');
    },
  };
  return {
    // All that graphql-redis-subscriptions (2.7) calls on it: `on` in its
    // constructor, `subscribe`, `unsubscribe` and `punsubscribe`.
    subscriber: facade as unknown as Redis,
    /** Sends what waits now. */
    flush,
  };
}

/**
 * A function that resolves once the connection is past its handshake. ioredis 5
 * writes a SUBSCRIBE at once while the connection is still in it (status "connect",
 * before its ready check), since Redis accepts SUBSCRIBE even while loading; the
 * check's INFO is then refused as not allowed in subscriber mode, the connection
 * starts over, and the failed SUBSCRIBE rejects a promise inside
 * graphql-redis-subscriptions that nobody holds, which ends the process
 * (ioredis#2037, fixed in ioredis 6). That window is one round trip at every
 * connect and reconnect, and a server that thousands of clients subscribe to hits it.
 */
function afterHandshake(connection: Redis): () => Promise<void> {
  let waiting: Promise<void> | undefined;
  return () => {
    if (connection.status !== 'connect') return Promise.resolve();
    // One wait for everyone: whichever comes first, ready, or closed (then the
    // command waits in ioredis' offline queue, sent once the next connection is ready).
    waiting ??= new Promise<void>((resolve) => {
      const done = () => {
        connection.off('ready', done);
        connection.off('close', done);
        waiting = undefined;
        resolve();
      };
      connection.on('ready', done);
      connection.on('close', done);
    });
    return waiting;
  };
}
