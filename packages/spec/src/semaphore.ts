/** Gives back a slot taken from a {@link Semaphore}; calling it more than once gives back one slot only. */
export type ReleaseSlot = () => void;

/** At most `limit` holders at once; the others wait in arrival order. */
export interface Semaphore {
  /** Holders allowed at once. */
  readonly limit: number;
  /** Callers allowed to wait at once (`Infinity` when unbounded). */
  readonly maxWaiting: number;
  /**
   * Waits for a free slot. Rejects with `signal.reason` if the signal has aborted or aborts before a slot
   * frees up (the waiter leaves the queue, so no slot is lost), and with a `RangeError` when the queue of
   * waiters is full (see {@link Semaphore.tryAcquire}).
   */
  acquire(signal?: AbortSignal): Promise<ReleaseSlot>;
  /** As {@link Semaphore.acquire}, but `undefined` at once when every slot is taken and the queue is full, so the caller can refuse the work (HTTP 503). */
  tryAcquire(signal?: AbortSignal): Promise<ReleaseSlot> | undefined;
  /** Slots in use now. */
  readonly inUse: number;
  /** Free slots now. */
  readonly available: number;
  /** Callers waiting now. */
  readonly waiting: number;
}

interface Waiter {
  grant: (release: ReleaseSlot) => void;
}

/**
 * A counting semaphore for bounding work in flight (requests to a server, searches in a retriever);
 * `limit` is a positive integer, `maxWaiting` (default unbounded) a non-negative integer or `Infinity`.
 * A released slot passes straight to the first waiter.
 */
export function createSemaphore(limit: number, options: { maxWaiting?: number } = {}): Semaphore {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`semaphore limit must be a positive integer, got ${limit}`);
  const maxWaiting = options.maxWaiting ?? Number.POSITIVE_INFINITY;
  if (!(maxWaiting === Number.POSITIVE_INFINITY || (Number.isInteger(maxWaiting) && maxWaiting >= 0))) {
    throw new RangeError(`semaphore maxWaiting must be a non-negative integer, got ${maxWaiting}`);
  }
  let inUse = 0;
  const queue: Waiter[] = [];

  const makeRelease = (): ReleaseSlot => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = queue.shift();
      // The slot passes straight to the next waiter, so `inUse` stays the same.
      if (next === undefined) inUse -= 1;
      else next.grant(makeRelease());
    };
  };

  const tryAcquire = (signal?: AbortSignal): Promise<ReleaseSlot> | undefined => {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (inUse < limit) {
      inUse += 1;
      return Promise.resolve(makeRelease());
    }
    if (queue.length >= maxWaiting) return undefined;
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
  };

  return {
    limit,
    maxWaiting,
    get inUse() {
      return inUse;
    },
    get available() {
      return limit - inUse;
    },
    get waiting() {
      return queue.length;
    },
    tryAcquire,
    acquire(signal) {
      return tryAcquire(signal) ?? Promise.reject(new RangeError(`semaphore queue is full (${maxWaiting} waiting)`));
    },
  };
}
