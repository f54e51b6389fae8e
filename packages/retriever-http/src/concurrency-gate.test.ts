import { describe, expect, it } from 'vitest';
import { ConcurrencyGate } from './concurrency-gate';

describe('ConcurrencyGate', () => {
  it('grants up to `slots` at once, queues up to `maxQueued`, refuses beyond', async () => {
    const gate = new ConcurrencyGate(2, 1);
    const first = await gate.acquire()!;
    const second = await gate.acquire()!;
    expect(gate.available).toBe(0);
    const third = gate.acquire();
    expect(third).toBeDefined();
    expect(gate.queued).toBe(1);
    expect(gate.acquire()).toBeUndefined();
    first();
    const thirdRelease = await third!;
    // The freed slot went straight to the waiter.
    expect(gate.available).toBe(0);
    expect(gate.queued).toBe(0);
    second();
    thirdRelease();
    expect(gate.available).toBe(2);
  });

  it('serves waiters first in, first out', async () => {
    const gate = new ConcurrencyGate(1, 3);
    const holder = await gate.acquire()!;
    const order: string[] = [];
    const waiters = ['a', 'b', 'c'].map((name) =>
      gate.acquire()!.then((release) => {
        order.push(name);
        release();
      }),
    );
    holder();
    await Promise.all(waiters);
    expect(order).toEqual(['a', 'b', 'c']);
    expect(gate.available).toBe(1);
  });

  it('ignores a second release of the same slot', async () => {
    const gate = new ConcurrencyGate(1, 0);
    const release = await gate.acquire()!;
    release();
    release();
    expect(gate.available).toBe(1);
    await gate.acquire()!;
    expect(gate.available).toBe(0);
  });

  it('drops a waiter whose signal aborts, rejecting with the reason', async () => {
    const gate = new ConcurrencyGate(1, 2);
    const holder = await gate.acquire()!;
    const controller = new AbortController();
    const leaving = gate.acquire(controller.signal)!;
    const staying = gate.acquire()!;
    expect(gate.queued).toBe(2);
    const reason = new Error('gone');
    controller.abort(reason);
    await expect(leaving).rejects.toBe(reason);
    expect(gate.queued).toBe(1);
    holder();
    const release = await staying;
    release();
    expect(gate.available).toBe(1);
  });

  it('rejects at once for an already aborted signal when it would have to wait', async () => {
    const gate = new ConcurrencyGate(1, 1);
    await gate.acquire()!;
    await expect(gate.acquire(AbortSignal.abort('late'))!).rejects.toBe('late');
    expect(gate.queued).toBe(0);
  });
});
