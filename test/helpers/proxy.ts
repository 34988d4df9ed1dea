// A small load balancer on loopback, as the README's production setup puts in
// front of the instances: round-robin over them for HTTP requests and WebSocket
// upgrades, appending the client's address to X-Forwarded-For as nginx and
// most balancers do. Whatever X-Forwarded-For the client sent itself is kept in
// front, so tests can show that a forged entry changes nothing.
import { createServer, type IncomingMessage, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export type Balancer = {
  /** The proxy's GraphQL endpoint, http and ws. */
  url: string;
  wsUrl: string;
  close(): Promise<void>;
};

export async function startProxy(backends: string[]): Promise<Balancer> {
  const targets = backends.map((url) => new URL(url));
  let next = 0;
  const pick = () => targets[next++ % targets.length] as URL;
  const open = new Set<Socket | Duplex>();

  const forwardedFor = (req: IncomingMessage) => {
    const sent = req.headers['x-forwarded-for'];
    const peer = req.socket.remoteAddress ?? '';
    return sent ? `${sent}, ${peer}` : peer;
  };

  const server = createServer((req, res) => {
    const target = pick();
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, 'x-forwarded-for': forwardedFor(req) },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });

  server.on('upgrade', (req: IncomingMessage, client: Duplex, head: Buffer) => {
    const target = pick();
    const upstream = connect(Number(target.port), target.hostname, () => {
      const headers = { ...req.headers, 'x-forwarded-for': forwardedFor(req) };
      const lines = Object.entries(headers).flatMap(([name, value]) =>
        (Array.isArray(value) ? value : [value]).map((v) => `${name}: ${v}`),
      );
      upstream.write(`${req.method} ${req.url} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const socket of [upstream, client]) {
      open.add(socket);
      socket.on('error', () => {
        upstream.destroy();
        client.destroy();
      });
      socket.on('close', () => open.delete(socket));
    }
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    async close() {
      for (const socket of open) socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
