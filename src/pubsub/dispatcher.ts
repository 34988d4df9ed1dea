// Hands arriving events to this instance's listeners in arrival order, a slice of
// them per turn of the event loop.
//
// A post's fan-out arrives as one message for thousands of followers. Handed out
// in one go, every follower's delivery advances one promise step at a time
// together with all the others, so the first socket write waits until nearly all
// the work is done, and all their half-done deliveries are alive at once (work
// for the garbage collector). In slices, each slice's deliveries reach their
// sockets before the next slice starts. Later events queue behind, so one user's
// events keep their order.

/** How many events are handed out per turn of the event loop. */
const SLICE = 200;

export function createDispatcher<T>(hand: (item: T) => void, onError: (error: unknown) => void) {
  const queue: T[] = [];
  let next = 0;
  // Handing out now, or a turn is scheduled for the rest.
  let busy = false;

  const drain = () => {
    const end = Math.min(queue.length, next + SLICE);
    while (next < end) {
      try {
        hand(queue[next++] as T);
      } catch (error) {
        onError(error);
      }
    }
    if (next < queue.length) setImmediate(drain);
    else {
      queue.length = 0;
      next = 0;
      busy = false;
    }
  };

  /** Queues the items; the first slice is handed out at once when nothing waits. */
  return (items: Iterable<T>) => {
    for (const item of items) queue.push(item);
    if (busy) return;
    busy = true;
    drain();
  };
}
