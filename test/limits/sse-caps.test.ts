// SSE subscriptions meet the same caps as graphql-ws ones: one per-user count of
// live subscriptions across both transports, and a subscribe rate.
import { describe, expect, it } from 'vitest';
import { subscribeSse } from '../helpers/clients.js';
import { rateLimited, serverFor, servesAnotherUser, ws, wsRun } from '../helpers/limits.js';
import { UnreadCountChanged } from '../helpers/operations.js';
import { eventually } from '../helpers/raw.js';
import { signUp } from '../helpers/users.js';

describe('SSE subscription caps', () => {
  describe('per user', () => {
    const caps = serverFor({ MAX_SUBSCRIPTIONS_PER_USER: '3' });

    it('MAX_SUBSCRIPTIONS_PER_USER counts SSE and graphql-ws together; ending one frees its slot', async () => {
      const { url, wsUrl } = caps();
      const user = await signUp(url, 'streams');
      const overWs = ws(wsUrl, user.token).subscribe(UnreadCountChanged);
      const overSse = [1, 2].map(() => subscribeSse(url, UnreadCountChanged, {}, user.token));
      await overWs.results.next('ws count');
      for (const sub of overSse) await sub.results.next('sse count');

      const refused = { errors: rateLimited('Too many subscriptions for this user.') };
      const fourth = subscribeSse(url, UnreadCountChanged, {}, user.token);
      expect(await fourth.results.next('refusal')).toEqual(refused);
      fourth.dispose();
      expect(await wsRun(ws(wsUrl, user.token), UnreadCountChanged)).toEqual({
        kind: 'error',
        errors: refused.errors,
      });
      // Another user is served over SSE meanwhile.
      const other = await signUp(url, 'calm');
      const theirs = subscribeSse(url, UnreadCountChanged, {}, other.token);
      expect(await theirs.results.next('other count')).toEqual({
        data: { unreadNotificationCountChanged: 0 },
      });
      theirs.dispose();

      // Closing an SSE stream gives its slot back (once the server has seen it close).
      overSse[0]?.dispose();
      const next = await eventually(
        async () => {
          const attempt = subscribeSse(url, UnreadCountChanged, {}, user.token);
          const first = await attempt.results.next('retry');
          attempt.dispose();
          return first;
        },
        (first) => first.errors === undefined,
      );
      expect(next).toEqual({ data: { unreadNotificationCountChanged: 0 } });
      overSse[1]?.dispose();
      overWs.stop();
      await servesAnotherUser(url);
    });
  });

  describe('subscribe rate', () => {
    const rate = serverFor({ RATE_SSE_SUBSCRIBES_PER_USER_PER_MINUTE: '3' });

    it('RATE_SSE_SUBSCRIBES_PER_USER_PER_MINUTE: the 4th SSE subscribe of a user in a minute is RATE_LIMITED', async () => {
      const { url } = rate();
      const user = await signUp(url, 'hasty');
      for (let i = 0; i < 3; i++) {
        const sub = subscribeSse(url, UnreadCountChanged, {}, user.token);
        expect(await sub.results.next('count')).toEqual({
          data: { unreadNotificationCountChanged: 0 },
        });
        sub.dispose();
      }
      const refused = subscribeSse(url, UnreadCountChanged, {}, user.token);
      expect(await refused.results.next('refusal')).toEqual({
        errors: rateLimited('Too many subscribe messages; slow down.'),
      });
      refused.dispose();
      // Another user has a budget of their own.
      const other = await signUp(url, 'patient');
      const theirs = subscribeSse(url, UnreadCountChanged, {}, other.token);
      expect(await theirs.results.next('other count')).toEqual({
        data: { unreadNotificationCountChanged: 0 },
      });
      theirs.dispose();
    });
  });
});
