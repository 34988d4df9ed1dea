// Writes that arrive while others are in flight wait for a free slot and then
// leave together, as one statement: one round trip, one plan, one commit for
// many. PostgreSQL gathers the WAL flushes of concurrent commits the same way
// (group commit). With a slot free a write leaves at once, so a quiet server adds
// no wait; under load the groups grow by themselves.
//
// Measured in the bench's steady scenario (2 cores shared by everything): a
// comment cost PostgreSQL 0.45–0.6 ms of CPU alone and 0.2–0.4 ms in groups
// (1,000–2,000 a second), and the rate held within 50 ms rose from 700 comments a
// second to 1,000 (1,500 in some partial runs).
//
// Written by hand: the batching libraries (dataloader and its kind) gather what
// one turn of the event loop asks for and then send it all at once, however many
// writes are already waiting on the database; here a group leaves when a slot
// frees, which is what makes the groups grow with the load.

export type WriteGroups<I, O> = {
  /** Resolves with this item's result once its group has committed. */
  write(item: I): Promise<O>;
};

export function writeGroups<I, O>(
  /** Writes the items in one statement; resolves with one result per item, in order. */
  run: (items: I[]) => Promise<O[]>,
  options: {
    /** How many statements may be in flight at once. */
    inFlight: number;
    /** The most items in one group, which bounds one statement's size and time. */
    maxGroup: number;
    /**
     * Whether a group's error proves that its statement wrote nothing and that one
     * item may be at fault (a constraint it breaks, a deadlock), so that each item is
     * written again alone. Any other error (a connection lost, maybe after the
     * commit) fails the whole group: writing it again could write it twice.
     */
    retryAlone: (error: unknown) => boolean;
  },
): WriteGroups<I, O> {
  type Waiting = { item: I; resolve(value: O): void; reject(error: unknown): void };
  const queue: Waiting[] = [];
  let running = 0;

  const settle = async (group: Waiting[]) => {
    const results = await run(group.map((w) => w.item));
    group.forEach((w, i) => {
      w.resolve(results[i] as O);
    });
  };

  const send = async (group: Waiting[]) => {
    running++;
    try {
      await settle(group);
    } catch (error) {
      if (group.length === 1 || !options.retryAlone(error)) {
        for (const w of group) w.reject(error);
      } else {
        // One after another, in this group's slot: a group that keeps failing
        // never puts more than inFlight statements in flight.
        for (const w of group) await settle([w]).catch(w.reject);
      }
    } finally {
      running--;
      next();
    }
  };

  const next = () => {
    while (running < options.inFlight && queue.length > 0) {
      void send(queue.splice(0, options.maxGroup));
    }
  };

  return {
    write: (item) =>
      new Promise<O>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        next();
      }),
  };
}
