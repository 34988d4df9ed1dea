// Pub/sub inside one process: the embedded default, for a single instance.
import { createDispatcher } from './dispatcher.js';
import type { Listener, PubSub, UserMessage } from './pubsub.js';

/** `onError`: a listener threw; by default rethrown outside the dispatch, which goes on. */
export function createInProcessPubSub(
  onError: (error: unknown) => void = (error) =>
    queueMicrotask(() => {
      throw error;
    }),
): PubSub {
  const listeners = new Map<number, Set<Listener>>();
  // A fan-out is handed out in slices, as over Redis (dispatcher.ts).
  const dispatch = createDispatcher<UserMessage>(({ userId, event }) => {
    for (const listener of listeners.get(userId) ?? []) listener(event);
  }, onError);
  return {
    async publish(messages) {
      dispatch(messages);
    },
    async subscribe(userId, listener) {
      const set = listeners.get(userId) ?? new Set<Listener>();
      listeners.set(userId, set);
      set.add(listener);
      return async () => {
        set.delete(listener);
        if (set.size === 0 && listeners.get(userId) === set) listeners.delete(userId);
      };
    },
    isHealthy: async () => true,
    async close() {
      listeners.clear();
    },
  };
}
