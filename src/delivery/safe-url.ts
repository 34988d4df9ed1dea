// No server-side request forgery: a URL a user gives us (a webhook endpoint, a push
// endpoint) must never make this server talk to itself, its network or a cloud
// metadata service. Checked when the URL is given, and again at connect time,
// where the address the name resolved to is checked and then used as is (a name
// that re-resolves elsewhere between the check and the connection - DNS rebinding -
// gets nowhere). ALLOW_PRIVATE_DELIVERY_URLS=true lifts both rules (http, and
// private addresses), for development and tests.
import { lookup as dnsLookup } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

export type UrlPolicy = { allowPrivate: boolean };

/**
 * Whether an address is one the public internet could route to us. ipaddr.js
 * names the special ranges (loopback, private, linkLocal - which holds
 * 169.254.169.254, the metadata service -, uniqueLocal - AWS's fd00:ec2::254 -,
 * carrierGradeNat - Alibaba's 100.100.100.200 -, multicast, unspecified,
 * broadcast, reserved, and the IPv6 ranges that embed an IPv4 address: 6to4,
 * Teredo, NAT64). Only plain `unicast` passes; an IPv4-mapped IPv6 address is
 * judged as the IPv4 address it carries.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.process(address); // ::ffff:10.0.0.1 -> 10.0.0.1
  return parsed.range() === 'unicast';
}

/**
 * What can be judged without DNS: the URL's form, its scheme, and an IP-literal
 * host. Checked before every attempt; a host name is judged by pinnedLookup, in
 * the connection itself, so it is resolved once per attempt.
 */
export function staticProblem(raw: string, policy: UrlPolicy): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL.';
  }
  if (raw.length > 2_000) return 'must be at most 2,000 characters.';
  const allowed = policy.allowPrivate ? ['https:', 'http:'] : ['https:'];
  if (!allowed.includes(url.protocol)) return 'must be an https:// URL.';
  const host = hostOf(url);
  if (!policy.allowPrivate && isIP(host) && !isPublicAddress(host)) return NOT_PUBLIC;
  return null;
}

const NOT_PUBLIC = 'must point to a public address (not loopback, private, link-local or similar).';

/** Why a URL a user gives is refused, in words for them; null when it is acceptable. */
export async function urlProblem(raw: string, policy: UrlPolicy): Promise<string | null> {
  const problem = staticProblem(raw, policy);
  if (problem || policy.allowPrivate) return problem;
  const host = hostOf(new URL(raw));
  if (isIP(host)) return null;
  let addresses: string[];
  try {
    addresses = await resolveAll(host);
  } catch {
    return 'has a host name that does not resolve.';
  }
  // Every address must be public: a name with one private answer could be
  // steered to it at connect time.
  if (addresses.length === 0 || !addresses.every(isPublicAddress)) return NOT_PUBLIC;
  return null;
}

/** The host as a connection sees it: IPv6 literals without their brackets. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

function resolveAll(host: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    dnsLookup(host, { all: true }, (error, found) =>
      error ? reject(error) : resolve(found.map((a) => a.address)),
    );
  });
}

/** Thrown (through the request) when a name resolves to an address we refuse. */
export class RefusedAddressError extends Error {
  code = 'EREFUSEDADDRESS';
  constructor() {
    super('refused address');
  }
}

/**
 * A `lookup` for http(s).request: resolves the name once, refuses it when any
 * answer is not public, and hands the checked addresses to the connection, so it
 * connects to exactly what was checked. Node skips `lookup` for IP literals;
 * those are checked by staticProblem before each attempt.
 */
export function pinnedLookup(policy: UrlPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, found) => {
      if (error) return callback(error, '', 0);
      const list = found as { address: string; family: number }[];
      if (
        !policy.allowPrivate &&
        (list.length === 0 || !list.every((a) => isPublicAddress(a.address)))
      ) {
        return callback(new RefusedAddressError(), '', 0);
      }
      if (options.all) return (callback as (e: null, a: typeof list) => void)(null, list);
      const first = list[0] as { address: string; family: number };
      callback(null, first.address, first.family);
    });
  };
}
