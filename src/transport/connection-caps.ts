// Caps on open TCP connections, so that slow or idle clients cannot use up the
// process's file descriptors: MAX_CONNECTIONS in all (Node refuses the rest) and
// MAX_CONNECTIONS_PER_IP per peer address. A trusted proxy carries many clients
// on its connections, so it is not capped per address.
import type { Server } from 'node:http';
import type { Config } from '../config.js';
import type { Metrics } from '../metrics.js';
import type { Trust } from './client-ip.js';

export function capConnections(
  server: Server,
  deps: { config: Config; metrics: Metrics; trust: Trust },
) {
  const { config, metrics, trust } = deps;
  server.maxConnections = config.MAX_CONNECTIONS;
  server.on('drop', () => metrics.rateLimited.inc({ limit: 'connections' }));
  const open = new Map<string, number>();
  server.on('connection', (socket) => {
    const peer = socket.remoteAddress ?? 'unknown';
    if (trust(peer, 0)) return;
    const count = (open.get(peer) ?? 0) + 1;
    if (count > config.MAX_CONNECTIONS_PER_IP) {
      metrics.rateLimited.inc({ limit: 'connections-per-ip' });
      socket.destroy();
      return;
    }
    open.set(peer, count);
    socket.once('close', () => {
      const left = (open.get(peer) ?? 1) - 1;
      if (left > 0) open.set(peer, left);
      else open.delete(peer);
    });
  });
}
