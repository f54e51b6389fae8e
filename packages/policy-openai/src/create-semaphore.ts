/** Gives back a slot taken from a {@link Semaphore}; calling it more than once gives back one slot only. */
export type ReleaseSlot = () => void;

/** At most `limit` holders at once; the others wait in arrival order. */
export interface Semaphore {
  /**
   * Waits for a free slot. Rejects with `signal.reason` if the signal aborts before a slot frees up
   * (the waiter leaves the queue, so no slot is lost).
   */
  acquire(signal?: AbortSignal): Promise<ReleaseSlot>;
  /** Slots in use now. */
  readonly inUse: number;
  /** Callers waiting now. */
  readonly waiting: number;
}

interface Waiter {
  grant: (release: ReleaseSlot) => void;
}

/** A counting semaphore for bounding requests in flight; `limit` is a positive integer. */
export function createSemaphore(limit: number): Semaphore {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`semaphore limit must be a positive integer, got ${limit}`);
  let inUse = 0;
  const queue: Waiter[] = [];

  const makeRelease = (): ReleaseSlot => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = queue.shift();
      if (next === undefined) inUse -= 1;
      else next.grant(makeRelease());
    };
  };

  return {
    get inUse() {
      return inUse;
    },
    get waiting() {
      return queue.length;
    },
    acquire(signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      if (inUse < limit) {
        inUse += 1;
        return Promise.resolve(makeRelease());
      }
      return new Promise<ReleaseSlot>((resolve, reject) => {
        const waiter: Waiter = {
          grant: (release) => {
            signal?.removeEventListener('abort', onAbort);
            resolve(release);
          },
        };
        const onAbort = () => {
          const position = queue.indexOf(waiter);
          if (position !== -1) queue.splice(position, 1);
          reject(signal?.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        queue.push(waiter);
      });
    },
  };
}
