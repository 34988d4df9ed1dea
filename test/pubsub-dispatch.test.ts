// How a large fan-out is handed to listeners (src/pubsub/dispatcher.ts): a slice
// at once, the rest on later turns of the event loop, every event exactly once,
// and events published meanwhile after it, so one user's events keep their order.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createDispatcher } from '../src/pubsub/dispatcher.js';
import { createInProcessPubSub } from '../src/pubsub/in-process.js';
import type { UserEvent, UserMessage } from '../src/pubsub/pubsub.js';

const FOLLOWERS = 1_000;

const notification = (id: number, seq: number): UserEvent => ({ type: 'notification', id, seq });

describe('dispatching a fan-out', () => {
  it('hands out a slice at once and the rest on later turns, in arrival order', async () => {
    const pubsub = createInProcessPubSub();
    const received = new Map<number, number[]>();
    for (let user = 1; user <= FOLLOWERS; user++) {
      await pubsub.subscribe(user, (event) => {
        if (event.type !== 'notification') return;
        received.set(user, [...(received.get(user) ?? []), event.id]);
      });
    }
    const fanout: UserMessage[] = Array.from({ length: FOLLOWERS }, (_, i) => ({
      userId: i + 1,
      event: notification(i + 1, 1),
    }));

    await pubsub.publish(fanout);
    // The last follower's second event, published while the fan-out is being handed out.
    await pubsub.publish([{ userId: FOLLOWERS, event: notification(FOLLOWERS + 1, 2) }]);
    const atOnce = received.size;
    expect(atOnce).toBeGreaterThan(0);
    expect(atOnce).toBeLessThan(FOLLOWERS);

    const handed = () => [...received.values()].reduce((sum, ids) => sum + ids.length, 0);
    for (let turns = 0; handed() < FOLLOWERS + 1 && turns < 100; turns++) await nextTurn();
    expect(received.size).toBe(FOLLOWERS);
    for (let user = 1; user < FOLLOWERS; user++) expect(received.get(user)).toEqual([user]);
    // Its own fan-out event first, then the later one.
    expect(received.get(FOLLOWERS)).toEqual([FOLLOWERS, FOLLOWERS + 1]);
    await pubsub.close();
  });

  it('goes on with the other listeners when one throws, and reports the error', async () => {
    const errors: unknown[] = [];
    const pubsub = createInProcessPubSub((error) => errors.push(error));
    const got: number[] = [];
    await pubsub.subscribe(1, () => {
      throw new Error('a broken listener');
    });
    await pubsub.subscribe(2, (event) => event.type === 'notification' && got.push(event.id));
    await pubsub.publish([
      { userId: 1, event: notification(10, 1) },
      { userId: 2, event: notification(11, 1) },
    ]);
    await pubsub.publish([{ userId: 2, event: notification(12, 2) }]);
    expect(got).toEqual([11, 12]);
    expect(errors).toHaveLength(1);
    await pubsub.close();
  });

  it('makes queued events only as it hands them out', async () => {
    const handed: number[] = [];
    let made = 0;
    const dispatch = createDispatcher<number>(
      (n) => handed.push(n),
      (error) => {
        throw error;
      },
    );
    function* events() {
      for (let n = 0; n < FOLLOWERS; n++) {
        made++;
        yield n;
      }
    }
    dispatch(events());
    dispatch([FOLLOWERS]);
    // Only the first slice (and a look past it) has been made.
    expect(made).toBe(handed.length);
    expect(made).toBeLessThan(FOLLOWERS / 2);
    for (let turns = 0; handed.length < FOLLOWERS + 1 && turns < 100; turns++) await nextTurn();
    expect(made).toBe(FOLLOWERS);
    expect(handed).toEqual(Array.from({ length: FOLLOWERS + 1 }, (_, n) => n));
  });
});
