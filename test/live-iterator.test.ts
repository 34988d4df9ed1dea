// The iterator every live subscription hands to graphql-js (src/notifications/live-iterator.ts):
// what its producers and the transports rely on. The streams' own behaviour over real
// transports is in subscriptions.test.ts and live-events.test.ts.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { liveIterator, type Producer } from '../src/notifications/live-iterator.js';

/** An iterator and, once it has started, its producer side. */
function started<T>(onStart?: (producer: Producer<T>) => unknown) {
  let producer: Producer<T> | undefined;
  let starts = 0;
  const iterator = liveIterator<T>(async (p) => {
    starts++;
    producer = p;
    await onStart?.(p);
  });
  return {
    iterator,
    starts: () => starts,
    producer: () => {
      if (!producer) throw new Error('not started');
      return producer;
    },
  };
}

describe('liveIterator', () => {
  it('starts at the first next(), once', async () => {
    const { iterator, starts, producer } = started<number>();
    await nextTurn();
    expect(starts()).toBe(0);
    const first = iterator.next();
    const second = iterator.next();
    await nextTurn();
    expect(starts()).toBe(1);
    await producer().push(1);
    await producer().push(2);
    expect(await first).toEqual({ value: 1, done: false });
    expect(await second).toEqual({ value: 2, done: false });
  });

  it('says whether the consumer waits, so that a push now is taken at once', async () => {
    const { iterator, producer } = started<number>();
    const first = iterator.next();
    await nextTurn();
    expect(producer().waiting).toBe(true);
    void producer().push(1);
    expect(producer().waiting).toBe(false);
    expect(await first).toEqual({ value: 1, done: false });
    // A value pushed while nobody waits is queued; the next next() takes it, and waits no more.
    void producer().push(2);
    expect(producer().waiting).toBe(false);
    expect(await iterator.next()).toEqual({ value: 2, done: false });
    expect(producer().waiting).toBe(false);
    const third = iterator.next();
    expect(producer().waiting).toBe(true);
    await iterator.return?.();
    expect(producer().waiting).toBe(false);
    expect(await third).toEqual({ value: undefined, done: true });
  });

  it('resolves a push only once its value is taken, and gives values in order', async () => {
    const { iterator, producer } = started<string>();
    const waiting = iterator.next();
    await nextTurn();
    await producer().push('a');
    let taken = false;
    const pushed = producer()
      .push('b')
      .then(() => {
        taken = true;
      });
    await nextTurn();
    expect(taken).toBe(false);
    expect(await waiting).toEqual({ value: 'a', done: false });
    expect(await iterator.next()).toEqual({ value: 'b', done: false });
    await pushed;
    expect(taken).toBe(true);
  });

  it('delivers what was pushed before a stop with an error, then throws it once', async () => {
    const { iterator, producer } = started<number>();
    void iterator.next().then(() => {});
    await nextTurn();
    await producer().push(1);
    void producer().push(2);
    producer().stop(new Error('session ended'));
    expect(producer().stopped).toBe(true);
    expect(await iterator.next()).toEqual({ value: 2, done: false });
    await expect(iterator.next()).rejects.toThrow('session ended');
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
  });

  it('ends a waiting next() when the producer stops', async () => {
    const { iterator, producer } = started<number>();
    const waiting = iterator.next();
    await nextTurn();
    producer().stop();
    expect(await waiting).toEqual({ value: undefined, done: true });
  });

  it('undoes the start once when the consumer returns, and return() waits for it', async () => {
    const undone: string[] = [];
    const { iterator, producer } = started<number>((p) => {
      p.onStop(() => undone.push('first'));
      p.onStop(async () => {
        await nextTurn();
        undone.push('second');
      });
    });
    void iterator.next();
    await nextTurn();
    const unblocked = producer().push(1);
    // The value was taken by the waiting next(); a second one waits in the queue.
    const queued = producer().push(2);
    expect(await iterator.return?.()).toEqual({ value: undefined, done: true });
    // Undone in reverse order of registration, each once, and before return() resolved.
    expect(undone).toEqual(['second', 'first']);
    await Promise.all([unblocked, queued]);
    await iterator.return?.();
    producer().stop();
    expect(undone).toEqual(['second', 'first']);
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
    // A stopped stream drops later pushes at once.
    await producer().push(3);
  });

  it('undoes at once what is registered after the stream stopped', async () => {
    let undone = 0;
    const { iterator, producer } = started<number>();
    void iterator.next();
    await nextTurn();
    await iterator.return?.();
    producer().onStop(() => undone++);
    await nextTurn();
    expect(undone).toBe(1);
  });

  it('ends with the error of a start that fails, undoing what it had set up', async () => {
    let undone = 0;
    const iterator = liveIterator<number>(async (p) => {
      p.onStop(() => undone++);
      throw new Error('database away');
    });
    await expect(iterator.next()).rejects.toThrow('database away');
    await nextTurn();
    expect(undone).toBe(1);
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
  });

  it('rethrows from return() an undo that failed, after running the others', async () => {
    let others = 0;
    const { iterator } = started<number>((p) => {
      p.onStop(() => others++);
      p.onStop(() => {
        throw new Error('unsubscribe failed');
      });
      p.onStop(() => others++);
    });
    void iterator.next();
    await nextTurn();
    await expect(iterator.return?.()).rejects.toThrow('unsubscribe failed');
    expect(others).toBe(2);
  });

  it('is its own async iterator, for for-await', async () => {
    const { iterator } = started<number>(async (p) => {
      await p.push(1);
      await p.push(2);
      p.stop();
    });
    const seen: number[] = [];
    for await (const value of iterator) seen.push(value);
    expect(seen).toEqual([1, 2]);
  });
});
