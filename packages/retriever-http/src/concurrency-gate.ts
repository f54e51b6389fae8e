/** Gives back a slot taken from a {@link ConcurrencyGate}; calling it twice is harmless. */
export type ReleaseSlot = () => void;

interface Waiter {
  grant: (release: ReleaseSlot) => void;
}

/**
 * A counting semaphore with a bounded FIFO queue: at most `slots` holders at once, at most
 * `maxQueued` callers waiting. `acquire` answers `undefined` at once when the queue is full, so
 * the caller can refuse the work (HTTP 503) instead of piling it up.
 */
export class ConcurrencyGate {
  readonly slots: number;
  readonly maxQueued: number;
  private active = 0;
  private readonly waiters: Waiter[] = [];

  constructor(slots: number, maxQueued: number) {
    this.slots = slots;
    this.maxQueued = maxQueued;
  }

  /** Free slots right now. */
  get available(): number {
    return this.slots - this.active;
  }

  /** Callers waiting for a slot right now. */
  get queued(): number {
    return this.waiters.length;
  }

  /**
   * A slot, now or when one frees up; `undefined` when every slot is taken and the queue is full.
   * A waiting caller whose `signal` aborts leaves the queue and its promise rejects with the abort reason.
   */
  acquire(signal?: AbortSignal): Promise<ReleaseSlot> | undefined {
    if (this.active < this.slots) {
      this.active += 1;
      return Promise.resolve(this.releaser());
    }
    if (this.waiters.length >= this.maxQueued) return undefined;
    return new Promise<ReleaseSlot>((resolve, reject) => {
      const waiter: Waiter = {
        grant: (release) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
      };
      const onAbort = () => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(signal!.reason);
      };
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private releaser(): ReleaseSlot {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      // The slot passes straight to the next waiter, so `active` stays the same.
      if (next !== undefined) next.grant(this.releaser());
      else this.active -= 1;
    };
  }
}
