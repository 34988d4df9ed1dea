// How the graphql-ws adapter sends (src/transport/socket-adapter.ts): at once while
// a socket holds little unsent, and waiting for the write once a client that
// stopped reading has let SEND_BUFFER_BYTES pile up, which is what stops its
// subscriptions from taking more results. Real sockets on loopback.
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { SEND_BUFFER_BYTES, send } from '../src/transport/socket-adapter.js';

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

/** A server socket and the client connected to it, counting what it receives. */
async function pair() {
  const wss = new WebSocketServer({ port: 0 });
  await new Promise((resolve) => wss.once('listening', resolve));
  const accepted = new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  const received: string[] = [];
  client.on('message', (data) => received.push(String(data)));
  await new Promise((resolve) => client.once('open', resolve));
  const server = await accepted;
  closers.push(() => {
    client.terminate();
    wss.close();
  });
  // ws keeps the TCP socket private; pausing it is how a client stops reading.
  const tcp = (client as unknown as { _socket: Socket })._socket;
  return { server, received, tcp };
}

describe('sending on a socket', () => {
  it('sends at once while little is unsent, and in order', async () => {
    const { server, received } = await pair();
    const sent = Array.from({ length: 50 }, (_, i) => `message ${i}`);
    for (const message of sent) expect(send(server, message)).toBeUndefined();
    await expect.poll(() => received.length).toBe(sent.length);
    expect(received).toEqual(sent);
  });

  it('waits for the write once a client that stopped reading lets the buffer fill', async () => {
    const { server, received, tcp } = await pair();
    tcp.pause();
    const chunk = 'x'.repeat(32 * 1024);
    let sent = 0;
    let waiting: Promise<void> | undefined;
    // The kernel's buffers fill first (a few MB on loopback), then ws' own.
    while (!waiting && sent < 1_000) {
      waiting = send(server, `${sent} ${chunk}`);
      sent++;
    }
    expect(waiting).toBeInstanceOf(Promise);
    expect(server.bufferedAmount).toBeGreaterThanOrEqual(SEND_BUFFER_BYTES);
    let written = false;
    void waiting?.then(() => {
      written = true;
    });
    await sleep(200);
    expect(written).toBe(false);

    tcp.resume();
    await waiting;
    await expect.poll(() => received.length, { timeout: 10_000 }).toBe(sent);
    expect(received.map((message) => Number(message.split(' ')[0]))).toEqual(
      Array.from({ length: sent }, (_, i) => i),
    );
  });

  it('sends nothing on a closed socket', async () => {
    const { server, received } = await pair();
    server.close();
    await new Promise((resolve) => server.once('close', resolve));
    expect(send(server, 'too late')).toBeUndefined();
    await sleep(50);
    expect(received).toEqual([]);
  });
});
