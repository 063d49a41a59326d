/**
 * Runs mints one at a time, each starting in a fresh event-loop turn.
 *
 * Each mint has about 1 ms of synchronous work (writing and signing the leaf, building the SecureContext;
 * more for an IP-literal host, which the x509 library encodes). Started together, twenty mints would run
 * those parts back to back inside one turn (their promise continuations are microtasks), starving timers
 * and sockets for 20+ ms. Queued,
 * and separated by setImmediate, the loop gets a turn between every mint and at most one mint's
 * synchronous work ever runs without a break. Throughput is about the same: the work is CPU-bound.
 */
export type MintQueue = <T>(task: () => Promise<T>) => Promise<T>;

export function createMintQueue(): MintQueue {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const result = tail.then(nextTurn).then(task);
    // The queue continues after a failed task; the failure itself goes to that task's caller.
    tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  };
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
