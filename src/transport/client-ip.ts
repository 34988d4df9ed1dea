// Who the client is, for every per-IP limit, log line and metric, over HTTP, SSE
// and WebSocket upgrades. Behind a load balancer the TCP peer is the balancer, so
// the address comes from X-Forwarded-For (or RFC 7239 Forwarded), read from the
// nearest hop outwards and only as far as TRUST_PROXY trusts: an untrusted peer's
// own address is the answer, whatever headers it sends. proxy-addr implements
// Express's `trust proxy` rules exactly.
import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';

/** Whether the hop at `address`, `hop` steps from this server (0: the TCP peer), is trusted. */
export type Trust = (address: string, hop: number) => boolean;

/** TRUST_PROXY as Express takes it: false, true, a hop count, or addresses / CIDRs / names. */
export function compileTrust(setting: string): Trust {
  const value = setting.trim();
  if (value === '' || value === 'false') return () => false;
  if (value === 'true') return () => true;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    return (_address, hop) => hop < hops;
  }
  // Throws on a malformed address, so a typo stops the server at start-up.
  return proxyaddr.compile(
    value
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean),
  );
}

/** The client's address of a request, worked out once per request. */
export function createClientIp(trust: Trust) {
  const known = new WeakMap<IncomingMessage, string>();
  return (req: IncomingMessage): string => {
    let ip = known.get(req);
    if (ip === undefined) {
      ip = proxyaddr(withForwardedFor(req), trust) || 'unknown';
      known.set(req, ip);
    }
    return ip;
  };
}

export type ClientIp = ReturnType<typeof createClientIp>;

/**
 * proxy-addr reads X-Forwarded-For only; a proxy that sends the standard
 * Forwarded header instead gets its `for=` entries read the same way.
 */
function withForwardedFor(req: IncomingMessage): IncomingMessage {
  const forwarded = req.headers.forwarded;
  if (req.headers['x-forwarded-for'] !== undefined || typeof forwarded !== 'string') return req;
  const addresses = forwarded
    .split(',')
    .map((element) => {
      const pair = element
        .split(';')
        .map((p) => p.trim())
        .find((p) => p.toLowerCase().startsWith('for='));
      return pair ? forNode(pair.slice(4)) : 'unknown';
    })
    .join(', ');
  return {
    headers: { 'x-forwarded-for': addresses },
    socket: req.socket,
  } as unknown as IncomingMessage;
}

/** `"[2001:db8::1]:4711"` -> `2001:db8::1`, `192.0.2.1:80` -> `192.0.2.1`. */
function forNode(value: string): string {
  const unquoted = value.replace(/^"(.*)"$/, '$1');
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(unquoted);
  if (bracketed?.[1]) return bracketed[1];
  return unquoted.replace(/^(\d+\.\d+\.\d+\.\d+):\d+$/, '$1');
}
