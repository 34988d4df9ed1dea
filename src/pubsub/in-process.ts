// Pub/sub inside one process: the embedded default, for a single instance.
import type { Listener, PubSub } from './pubsub.js';

export function createInProcessPubSub(): PubSub {
  const listeners = new Map<number, Set<Listener>>();
  return {
    async publish(messages) {
      for (const { userId, event } of messages) {
        for (const listener of listeners.get(userId) ?? []) listener(event);
      }
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
