// When writes leave alone and when together (src/db/write-groups.ts), with a
// statement the test finishes by hand: which writes share a statement depends only
// on how many are in flight, never on timers.
import { describe, expect, it } from 'vitest';
import { writeGroups } from '../src/db/write-groups.js';

type Call = { items: number[]; finish(): void; fail(error: Error): void };

function harness(options: { inFlight: number; maxGroup: number }) {
  // Only an error whose message says so proves the statement wrote nothing.
  const calls: Call[] = [];
  const groups = writeGroups<number, string>(
    (items) =>
      new Promise((resolve, reject) => {
        calls.push({
          items,
          finish: () => resolve(items.map((n) => `stored ${n}`)),
          fail: reject,
        });
      }),
    { ...options, retryAlone: (error) => String(error).includes('constraint') },
  );
  return { calls, write: (n: number) => groups.write(n) };
}

const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('write groups', () => {
  it('sends a write at once while a slot is free, and gathers those that wait', async () => {
    const { calls, write } = harness({ inFlight: 2, maxGroup: 10 });
    const first = write(1);
    const second = write(2);
    // Two slots: each of the first two left alone, without waiting.
    expect(calls.map((c) => c.items)).toEqual([[1], [2]]);

    const waiting = [3, 4, 5].map(write);
    expect(calls).toHaveLength(2);
    calls[0]?.finish();
    expect(await first).toBe('stored 1');
    await settled();
    // The freed slot took everything that had waited, as one statement.
    expect(calls.map((c) => c.items)).toEqual([[1], [2], [3, 4, 5]]);
    calls[2]?.finish();
    expect(await Promise.all(waiting)).toEqual(['stored 3', 'stored 4', 'stored 5']);
    calls[1]?.finish();
    expect(await second).toBe('stored 2');
  });

  it('puts at most maxGroup writes in one statement', async () => {
    const { calls, write } = harness({ inFlight: 1, maxGroup: 2 });
    const all = [1, 2, 3, 4, 5, 6].map(write);
    for (let i = 0; i < 4; i++) {
      calls[i]?.finish();
      await settled();
    }
    expect(calls.map((c) => c.items)).toEqual([[1], [2, 3], [4, 5], [6]]);
    expect(await Promise.all(all)).toHaveLength(6);
  });

  it('writes each item of a refused group again alone, one after another, so only the one at fault fails', async () => {
    const { calls, write } = harness({ inFlight: 1, maxGroup: 10 });
    const first = write(1);
    const group = [2, 3, 4].map((n) => write(n).then(String, (e: Error) => `failed: ${e.message}`));
    calls[0]?.finish();
    await first;
    await settled();
    calls[1]?.fail(new Error('a constraint'));
    await settled();
    // Alone now, one at a time in the group's slot: never more than inFlight at once.
    expect(calls.slice(2).map((c) => c.items)).toEqual([[2]]);
    const later = write(5);
    calls[2]?.finish();
    await settled();
    expect(calls.slice(2).map((c) => c.items)).toEqual([[2], [3]]);
    calls[3]?.fail(new Error('a constraint'));
    await settled();
    calls[4]?.finish();
    expect(await Promise.all(group)).toEqual(['stored 2', 'failed: a constraint', 'stored 4']);
    // The slot is free again for what waited meanwhile.
    await settled();
    expect(calls[5]?.items).toEqual([5]);
    calls[5]?.finish();
    expect(await later).toBe('stored 5');
  });

  it('fails a whole group, writing nothing again, on an error that may have come after its commit', async () => {
    const { calls, write } = harness({ inFlight: 1, maxGroup: 10 });
    const first = write(1);
    const group = [2, 3].map((n) => write(n).then(String, (e: Error) => `failed: ${e.message}`));
    calls[0]?.finish();
    await first;
    await settled();
    calls[1]?.fail(new Error('connection lost'));
    expect(await Promise.all(group)).toEqual([
      'failed: connection lost',
      'failed: connection lost',
    ]);
    expect(calls).toHaveLength(2);
  });

  it('fails a write that went alone with its own error', async () => {
    const { calls, write } = harness({ inFlight: 1, maxGroup: 10 });
    const only = write(1);
    calls[0]?.fail(new Error('refused'));
    await expect(only).rejects.toThrow('refused');
    // The slot is free again.
    const next = write(2);
    expect(calls[1]?.items).toEqual([2]);
    calls[1]?.finish();
    expect(await next).toBe('stored 2');
  });
});
