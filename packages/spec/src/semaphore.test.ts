import { describe, expect, it } from 'vitest';
import { createSemaphore } from './semaphore';

describe('createSemaphore', () => {
  it('admits up to the limit at once and queues the rest in arrival order', async () => {
    const semaphore = createSemaphore(2);
    const order: string[] = [];
    const first = await semaphore.acquire();
    const second = await semaphore.acquire();
    expect(semaphore.inUse).toBe(2);
    const third = semaphore.acquire().then((release) => {
      order.push('third');
      return release;
    });
    const fourth = semaphore.acquire().then((release) => {
      order.push('fourth');
      return release;
    });
    await Promise.resolve();
    expect(semaphore.waiting).toBe(2);
    expect(order).toEqual([]);
    first();
    const releaseThird = await third;
    expect(order).toEqual(['third']);
    expect(semaphore.inUse).toBe(2);
    second();
    const releaseFourth = await fourth;
    expect(order).toEqual(['third', 'fourth']);
    releaseThird();
    releaseFourth();
    expect(semaphore.inUse).toBe(0);
    expect(semaphore.waiting).toBe(0);
  });

  it('gives back one slot however many times a release is called', async () => {
    const semaphore = createSemaphore(1);
    const release = await semaphore.acquire();
    release();
    release();
    expect(semaphore.inUse).toBe(0);
    const again = await semaphore.acquire();
    expect(semaphore.inUse).toBe(1);
    const waiting = semaphore.acquire();
    release(); // a stale release must not free the slot held by `again`
    expect(semaphore.waiting).toBe(1);
    again();
    (await waiting)();
    expect(semaphore.inUse).toBe(0);
  });

  it('removes an aborted waiter from the queue and rejects with the reason', async () => {
    const semaphore = createSemaphore(1);
    const held = await semaphore.acquire();
    const controller = new AbortController();
    const waiting = semaphore.acquire(controller.signal);
    const after = semaphore.acquire();
    controller.abort(new Error('caller gave up'));
    await expect(waiting).rejects.toThrow('caller gave up');
    expect(semaphore.waiting).toBe(1);
    held();
    const release = await after;
    expect(semaphore.inUse).toBe(1);
    release();
  });

  it('rejects at once on an already aborted signal', async () => {
    const semaphore = createSemaphore(3);
    await expect(semaphore.acquire(AbortSignal.abort(new Error('already')))).rejects.toThrow('already');
    expect(semaphore.inUse).toBe(0);
  });

  it('refuses a limit that is not a positive integer', () => {
    expect(() => createSemaphore(0)).toThrow('positive integer, got 0');
    expect(() => createSemaphore(1.5)).toThrow('positive integer, got 1.5');
  });

  it('with maxWaiting, tryAcquire answers undefined and acquire rejects when the queue is full', async () => {
    const semaphore = createSemaphore(2, { maxWaiting: 1 });
    const first = await semaphore.tryAcquire()!;
    const second = await semaphore.tryAcquire()!;
    expect(semaphore.available).toBe(0);
    const third = semaphore.tryAcquire();
    expect(third).toBeDefined();
    expect(semaphore.waiting).toBe(1);
    expect(semaphore.tryAcquire()).toBeUndefined();
    await expect(semaphore.acquire()).rejects.toThrow(RangeError);
    first();
    const thirdRelease = await third!;
    expect(semaphore.available).toBe(0);
    expect(semaphore.waiting).toBe(0);
    second();
    thirdRelease();
    expect(semaphore.available).toBe(2);
  });

  it('with maxWaiting 0, never queues', async () => {
    const semaphore = createSemaphore(1, { maxWaiting: 0 });
    const release = await semaphore.tryAcquire()!;
    expect(semaphore.tryAcquire()).toBeUndefined();
    release();
    expect(semaphore.available).toBe(1);
    expect(() => createSemaphore(1, { maxWaiting: -1 })).toThrow('non-negative integer, got -1');
  });
});
