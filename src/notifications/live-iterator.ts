// The async iterator a live subscription hands to graphql-js: its producer pushes
// values, the transport's `for await` takes them, and either side can stop it.
//
// Written here instead of using graphql-yoga's Repeater, which these streams used
// before. A Repeater runs its producer as an async function that waits, with its
// promises and closures, for as long as the subscription lives; ours waited inside
// it too. With tens of thousands of idle subscribers, every kept object counts
// (heap snapshots, see bench/what-changed.md), and a post's fan-out pushes one
// value into thousands of them at once. This keeps only what the streams use: a
// start at the first `next()`, a push that resolves once its value is taken, an
// end with or without an error, and the undoing of what the start set up.

export type Producer<T> = {
  /** Queues a value; resolves once the consumer has taken it (or the stream stopped). */
  push(value: T): Promise<void>;
  /**
   * Ends the stream: the consumer still gets the values already pushed, then the
   * end, or `error` thrown from its `next()`.
   */
  stop(error?: unknown): void;
  readonly stopped: boolean;
  /** Whether the consumer waits in `next()`: a value pushed now is taken at once. */
  readonly waiting: boolean;
  /** Runs `undo` when the stream stops, or now if it has; the consumer's `return()` awaits it. */
  onStop(undo: () => unknown): void;
};

type Taker<T> = { resolve(result: IteratorResult<T>): void; reject(error: unknown): void };

class LiveIterator<T> implements AsyncIterableIterator<T>, Producer<T> {
  #start: ((producer: Producer<T>) => unknown) | undefined;
  /** Values pushed and not yet taken, each with what resolves its push. */
  #queue: { value: T; taken: () => void }[] = [];
  /** `next()` calls waiting for a value (only while the queue is empty). */
  #takers: Taker<T>[] = [];
  /** What the start set up, undone once at the stop (then `#undone` says when that ended). */
  #undos: (() => unknown)[] = [];
  #undone: Promise<void> | undefined;
  #stopped = false;
  /** The producer's error, thrown once to the consumer after the queued values. */
  #error: { value: unknown } | undefined;

  constructor(start: (producer: Producer<T>) => unknown) {
    this.#start = start;
  }

  get stopped() {
    return this.#stopped;
  }

  get waiting() {
    return this.#takers.length > 0;
  }

  push(value: T): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    const taker = this.#takers.shift();
    if (taker) {
      taker.resolve({ value, done: false });
      return Promise.resolve();
    }
    return new Promise((taken) => this.#queue.push({ value, taken }));
  }

  stop(error?: unknown) {
    if (this.#stopped) return;
    this.#stopped = true;
    if (error !== undefined) this.#error = { value: error };
    for (const taker of this.#takers.splice(0)) this.#end().then(taker.resolve, taker.reject);
    this.#undone = undoAll(this.#undos.splice(0));
    // Nobody awaits a stop from the producer's side; the consumer's return() rethrows.
    this.#undone.catch(() => {});
  }

  onStop(undo: () => unknown) {
    // A start still running when the stream stopped: what it sets up now is undone at once.
    if (this.#stopped) undoAll([undo]).catch(() => {});
    else this.#undos.push(undo);
  }

  next(): Promise<IteratorResult<T>> {
    const item = this.#queue.shift();
    if (item) {
      item.taken();
      return Promise.resolve({ value: item.value, done: false });
    }
    if (this.#stopped) return this.#end();
    const taken = new Promise<IteratorResult<T>>((resolve, reject) =>
      this.#takers.push({ resolve, reject }),
    );
    const start = this.#start;
    if (start) {
      this.#start = undefined;
      // After the taker is waiting, so a value the start pushes at once goes to it.
      // A start that fails ends the stream with its error.
      (async () => start(this))().catch((error: unknown) => this.stop(error));
    }
    return taken;
  }

  /** The consumer is done (a client's `complete`, a closed socket): stops, and undoes the start. */
  async return(): Promise<IteratorResult<T>> {
    this.#start = undefined;
    this.#error = undefined;
    for (const item of this.#queue.splice(0)) item.taken();
    this.stop();
    await this.#undone;
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  #end(): Promise<IteratorResult<T>> {
    const error = this.#error;
    this.#error = undefined;
    return error ? Promise.reject(error.value) : Promise.resolve({ value: undefined, done: true });
  }
}

/** Runs the undos, last registered first, all of them even if one fails (the first failure is rethrown). */
async function undoAll(undos: (() => unknown)[]) {
  let failure: { error: unknown } | undefined;
  for (const undo of undos.reverse()) {
    try {
      await undo();
    } catch (error) {
      failure ??= { error };
    }
  }
  if (failure) throw failure.error;
}

/**
 * An async iterator whose `start` runs at the consumer's first `next()`, with the
 * producer's side of it; what `start` registers with `onStop` is undone once,
 * whichever side stops.
 */
export function liveIterator<T>(
  start: (producer: Producer<T>) => unknown,
): AsyncIterableIterator<T> {
  return new LiveIterator(start);
}
