// Slow or idle HTTP clients cannot hold the server's connections: a request must
// arrive within HTTP_HEADERS_TIMEOUT_MS / HTTP_REQUEST_TIMEOUT_MS (408), and one
// address may hold MAX_CONNECTIONS_PER_IP connections, the process MAX_CONNECTIONS.
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ATTACKER_IP, serverFor, servesAnotherUser } from '../helpers/limits.js';
import { within } from '../helpers/raw.js';
import { sleep } from '../helpers/services.js';

const open: Socket[] = [];
afterEach(() => {
  for (const socket of open.splice(0)) socket.destroy();
});

/** A raw TCP connection from `ip`; `answer` resolves with all it received once it closes. */
function rawConnection(url: string, ip?: string) {
  const { hostname, port } = new URL(url);
  const socket = connect({ host: hostname, port: Number(port), localAddress: ip });
  open.push(socket);
  let received = '';
  socket.on('data', (chunk) => {
    received += chunk.toString();
  });
  socket.on('error', () => {});
  const connected = new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const answer = new Promise<string>((resolve) => socket.once('close', () => resolve(received)));
  return { socket, connected, answer };
}

const healthCheck = 'GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n';

/**
 * A health check on a new connection, retried for a few seconds while it is
 * refused: the server sees a closed connection a moment after the client does.
 */
async function healthFrom(url: string, ip?: string): Promise<string> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const connection = rawConnection(url, ip);
    await connection.connected;
    connection.socket.write(healthCheck);
    const answer = await within(connection.answer, 5_000, 'health check');
    if (answer !== '' || Date.now() > deadline) return answer;
    await sleep(50);
  }
}

describe('HTTP connections', () => {
  describe('timeouts and connections per address', () => {
    const slow = serverFor({
      HTTP_REQUEST_TIMEOUT_MS: '2000',
      HTTP_HEADERS_TIMEOUT_MS: '1000',
      MAX_CONNECTIONS_PER_IP: '5',
    });

    it('HTTP_REQUEST_TIMEOUT_MS / HTTP_HEADERS_TIMEOUT_MS: a slow body or slow headers get 408 and are closed', async () => {
      const { url } = slow();
      const body = rawConnection(url, ATTACKER_IP);
      await body.connected;
      body.socket.write(
        'POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"qu',
      );
      const headers = rawConnection(url, ATTACKER_IP);
      await headers.connected;
      headers.socket.write('POST /graphql HTTP/1.1\r\nHost: local');
      // Node's default would hold both for 300 s; the bound is generous against 2 s.
      for (const connection of [body, headers]) {
        const answer = await within(connection.answer, 10_000, 'slow request closed');
        expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      }
      await servesAnotherUser(url);
    });

    it('MAX_CONNECTIONS_PER_IP: the 6th connection from one address is closed at once; others are served', async () => {
      const { url } = slow();
      const held = Array.from({ length: 5 }, () => rawConnection(url, ATTACKER_IP));
      for (const connection of held) await connection.connected;
      const sixth = rawConnection(url, ATTACKER_IP);
      await sixth.connected;
      sixth.socket.write(healthCheck);
      expect(await within(sixth.answer, 5_000, 'sixth connection closed')).toBe('');
      // Another address is served meanwhile.
      await servesAnotherUser(url);
      // Once the address lets go of its connections, it is served again.
      for (const connection of held) connection.socket.destroy();
      expect(await healthFrom(url, ATTACKER_IP)).toMatch(/^HTTP\/1\.1 200 /);
    });
  });

  describe('connections in all', () => {
    const capped = serverFor({ MAX_CONNECTIONS: '4' });

    it('MAX_CONNECTIONS: a connection beyond it is closed; freed ones let the next in', async () => {
      const { url } = capped();
      const held = Array.from({ length: 4 }, () => rawConnection(url));
      for (const connection of held) await connection.connected;
      const fifth = rawConnection(url);
      await fifth.connected;
      fifth.socket.write(healthCheck);
      expect(await within(fifth.answer, 5_000, 'fifth connection closed')).toBe('');
      held[0]?.socket.destroy();
      expect(await healthFrom(url)).toMatch(/^HTTP\/1\.1 200 /);
    });
  });
});
