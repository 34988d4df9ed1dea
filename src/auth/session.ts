// The one watcher of a signed-in session: it ends when its token expires or when
// the user's tokens are revoked (log-out, new password) on any instance. A
// graphql-ws socket watches its session once and closes with 4403; an SSE stream,
// which has no socket, watches its own and ends with UNAUTHENTICATED.
import type { BatchedReads } from '../db/batched-reads.js';
import { EVERYONE, type PubSub } from '../pubsub/pubsub.js';
import { cacheTokenVersions, forgetTokenVersion, isRevoked, type Viewer } from './viewer.js';

// setTimeout cannot wait longer than this (about 24.8 days).
const MAX_TIMER_MS = 2 ** 31 - 1;

export type SessionEnd = 'expired' | 'revoked';

export type Sessions = {
  /** After commit: tells every instance that this user's older tokens are revoked. */
  announceRevoked(userId: number): Promise<void>;
  /**
   * Calls `onEnd` once, when the viewer's token expires or is revoked. Resolves
   * once revocations are being listened for, with the function that stops watching.
   */
  watch(viewer: Viewer, onEnd: (reason: SessionEnd) => void): Promise<() => void>;
};

export function createSessions(deps: {
  reads: BatchedReads;
  pubsub: PubSub;
  onError(error: unknown): void;
}): Sessions {
  const { reads, pubsub } = deps;
  // Token versions in memory, corrected by the announcements below (viewer.ts).
  cacheTokenVersions(reads, pubsub).catch((error) => deps.onError(error));
  return {
    async announceRevoked(userId) {
      // This instance forgets at once; the others when the announcement arrives.
      forgetTokenVersion(reads, userId);
      await pubsub
        .publish([
          { userId, event: { type: 'revoked' } },
          { userId: EVERYONE, event: { type: 'tokensRevoked', userId } },
        ])
        .catch((error) => deps.onError(error));
    },
    async watch(viewer, onEnd) {
      let ended = false;
      const end = (reason: SessionEnd) => {
        if (ended) return;
        ended = true;
        onEnd(reason);
      };
      const unsubscribe = await pubsub.subscribe(viewer.id, (event) => {
        // After a resync (Redis reconnected, or answered a late SUBSCRIBE) a
        // revocation may have been missed: the database is asked then too.
        if ((event.type !== 'revoked' && event.type !== 'resync') || ended) return;
        // The event says "some tokens were revoked"; the database says whether this one was.
        // When it cannot be asked, the session ends: failing closed.
        isRevoked(reads, viewer.id, viewer.tokenVersion).then(
          (revoked) => revoked && end('revoked'),
          () => end('revoked'),
        );
      });
      const wait = Math.min(viewer.tokenExpiresAt.getTime() - Date.now(), MAX_TIMER_MS);
      const timer = setTimeout(() => end('expired'), Math.max(wait, 0));
      return () => {
        ended = true;
        clearTimeout(timer);
        void unsubscribe();
      };
    },
  };
}
