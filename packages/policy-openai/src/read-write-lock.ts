/** Gives back what {@link ReadWriteLock.read} or {@link ReadWriteLock.write} granted; later calls do nothing. */
export type ReleaseLock = () => void;

/**
 * Many readers or one writer. Waiters are served in arrival order (a reader that arrives while a writer
 * waits queues behind it), so neither a stream of generate calls nor a stream of syncs starves the other.
 */
export interface ReadWriteLock {
  /** Waits until no writer holds or waits ahead; rejects with `signal.reason` if it aborts first. */
  read(signal?: AbortSignal): Promise<ReleaseLock>;
  /** Waits until no reader or writer holds and none waits ahead; rejects with `signal.reason` if it aborts first. */
  write(signal?: AbortSignal): Promise<ReleaseLock>;
  /** Readers holding now. */
  readonly readers: number;
  /** Whether a writer holds now. */
  readonly writing: boolean;
  /** Callers waiting now. */
  readonly waiting: number;
}

interface Waiter {
  kind: 'read' | 'write';
  grant: () => void;
}

export function createReadWriteLock(): ReadWriteLock {
  let readers = 0;
  let writing = false;
  const queue: Waiter[] = [];

  const releaser = (kind: Waiter['kind']): ReleaseLock => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (kind === 'read') readers -= 1;
      else writing = false;
      pump();
    };
  };

  // Grants from the front of the queue: one writer when nothing is held, or every reader up to the next writer.
  const pump = () => {
    while (queue.length > 0 && !writing) {
      const front = queue[0]!;
      if (front.kind === 'write') {
        if (readers > 0) return;
        queue.shift();
        writing = true;
        front.grant();
        return;
      }
      queue.shift();
      readers += 1;
      front.grant();
    }
  };

  const acquire = (kind: Waiter['kind'], signal: AbortSignal | undefined): Promise<ReleaseLock> => {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const free = kind === 'read' ? !writing && queue.length === 0 : !writing && readers === 0 && queue.length === 0;
    if (free) {
      if (kind === 'read') readers += 1;
      else writing = true;
      return Promise.resolve(releaser(kind));
    }
    return new Promise<ReleaseLock>((resolve, reject) => {
      const onAbort = () => {
        const position = queue.indexOf(waiter);
        if (position !== -1) queue.splice(position, 1);
        reject(signal?.reason);
        // A writer that leaves the front may unblock the readers behind it.
        pump();
      };
      const waiter: Waiter = {
        kind,
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(releaser(kind));
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      queue.push(waiter);
    });
  };

  return {
    read: (signal) => acquire('read', signal),
    write: (signal) => acquire('write', signal),
    get readers() {
      return readers;
    },
    get writing() {
      return writing;
    },
    get waiting() {
      return queue.length;
    },
  };
}
