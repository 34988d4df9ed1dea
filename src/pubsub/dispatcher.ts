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
//
// What is queued is iterated as it is handed out, so a fan-out's events can be
// made one at a time (pubsub.ts unpackCause): made all at once, 10,000 of them
// lived through the whole burst, long enough to be copied into the old
// generation and collected much later.

/** How many events are handed out per turn of the event loop. */
const SLICE = 200;

export function createDispatcher<T>(hand: (item: T) => void, onError: (error: unknown) => void) {
  const queue: Iterator<T>[] = [];
  // Handing out now, or a turn is scheduled for the rest.
  let busy = false;

  const drain = () => {
    let left = SLICE;
    while (left > 0 && queue.length > 0) {
      const step = (queue[0] as Iterator<T>).next();
      if (step.done) {
        queue.shift();
        continue;
      }
      left--;
      try {
        hand(step.value);
      } catch (error) {
        onError(error);
      }
    }
    if (queue.length > 0) setImmediate(drain);
    else busy = false;
  };

  /** Queues the items; the first slice is handed out at once when nothing waits. */
  return (items: Iterable<T>) => {
    queue.push(items[Symbol.iterator]());
    if (busy) return;
    busy = true;
    drain();
  };
}
