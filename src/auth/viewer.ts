// Bearer token -> viewer: a signed, unexpired token whose version is still the user's.
//
// The user's token version is kept in memory per instance once read, so a request
// costs no database read. Every revocation is announced to every instance (the
// EVERYONE topic, see session.ts), which forgets that user's version; the instance
// that revokes forgets it before its mutation returns. So a revoked token can be
// accepted elsewhere only until the announcement arrives (one pub/sub hop, the same
// bound as the closing of its sockets). While the pub/sub is unhealthy, when
// announcements may be lost, every check reads the database, and after it
// reconnects the memory is emptied; an entry is also read again after CACHE_MS.
import type { BatchedReads } from '../db/batched-reads.js';
import { EVERYONE, type PubSub } from '../pubsub/pubsub.js';
import type { TokenClaims } from './tokens.js';

/** The signed-in user, with what their token allows: until when, and under which version. */
export type Viewer = { id: number; tokenExpiresAt: Date; tokenVersion: number };

const CACHE_MS = 60_000;
// Beyond this many users the memory is emptied rather than grown.
const CACHE_SIZE = 100_000;

type VersionCache = {
  pubsub: PubSub;
  versions: Map<number, { version: number; at: number }>;
  /** Raised by every forgetting, so that a read that started before it is not kept. */
  epoch: number;
};

// One cache per database reader: the app's has one (session.ts starts it); any
// other (a test's) reads the database every time.
const caches = new WeakMap<BatchedReads, VersionCache>();

/** Whether tokens of this version were revoked since (log-out, new password), asking the database. */
export async function isRevoked(reads: BatchedReads, userId: number, version: number) {
  return (await reads.tokenVersion(userId)) !== version;
}

async function currentVersion(reads: BatchedReads, userId: number) {
  const cache = caches.get(reads);
  if (!cache || !(await cache.pubsub.isHealthy())) return reads.tokenVersion(userId);
  const known = cache.versions.get(userId);
  if (known && Date.now() - known.at < CACHE_MS) return known.version;
  const epoch = cache.epoch;
  const version = await reads.tokenVersion(userId);
  if (version !== null && cache.epoch === epoch) {
    if (cache.versions.size >= CACHE_SIZE) cache.versions.clear();
    cache.versions.set(userId, { version, at: Date.now() });
  }
  return version;
}

/** The viewer that verified claims name, or null when their version was revoked. */
export async function viewerFromClaims(
  reads: BatchedReads,
  claims: TokenClaims,
): Promise<Viewer | null> {
  if ((await currentVersion(reads, claims.id)) !== claims.version) return null;
  return { id: claims.id, tokenExpiresAt: claims.tokenExpiresAt, tokenVersion: claims.version };
}

/** Forgets a user's version on this instance (their tokens were revoked). */
export function forgetTokenVersion(reads: BatchedReads, userId: number) {
  const cache = caches.get(reads);
  if (!cache) return;
  cache.epoch++;
  cache.versions.delete(userId);
}

/**
 * Keeps token versions in memory for this reader, once revocation announcements
 * are being listened to. Resolves with the function that stops it.
 */
export async function cacheTokenVersions(reads: BatchedReads, pubsub: PubSub) {
  const cache: VersionCache = { pubsub, versions: new Map(), epoch: 0 };
  const unsubscribe = await pubsub.subscribe(EVERYONE, (event) => {
    if (event.type === 'tokensRevoked') forgetTokenVersion(reads, event.userId);
    else if (event.type === 'resync') {
      // Announcements may have been lost while the transport was away.
      cache.epoch++;
      cache.versions.clear();
    }
  });
  caches.set(reads, cache);
  return async () => {
    caches.delete(reads);
    await unsubscribe();
  };
}
