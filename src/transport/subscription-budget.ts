// MAX_SUBSCRIPTIONS_PER_USER, counted in one place for graphql-ws (socket.ts)
// and SSE (sse-limits.ts), so a user cannot get twice the cap by mixing them.
// Per instance: the count is of what this process holds open.

export type SubscriptionBudget = {
  /** Takes one of the user's slots; the function gives it back (once). Undefined: none left. */
  take(userId: number): (() => void) | undefined;
};

export function createSubscriptionBudget(max: number): SubscriptionBudget {
  const perUser = new Map<number, number>();
  return {
    take(userId) {
      const open = perUser.get(userId) ?? 0;
      if (open >= max) return undefined;
      perUser.set(userId, open + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const left = (perUser.get(userId) ?? 1) - 1;
        if (left > 0) perUser.set(userId, left);
        else perUser.delete(userId);
      };
    },
  };
}
