import { describe, expect, it } from 'vitest';
import { createReadWriteLock } from './read-write-lock';

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('createReadWriteLock', () => {
  it('lets readers share, and a writer wait for every reader', async () => {
    const lock = createReadWriteLock();
    const first = await lock.read();
    const second = await lock.read();
    expect(lock.readers).toBe(2);
    let written = false;
    const writer = lock.write().then((release) => {
      written = true;
      return release;
    });
    await settle();
    expect(written).toBe(false);
    first();
    first(); // a second call gives back nothing more
    await settle();
    expect(written).toBe(false);
    second();
    const release = await writer;
    expect(lock.writing).toBe(true);
    expect(lock.readers).toBe(0);
    release();
    expect(lock.writing).toBe(false);
  });

  it('queues a reader that arrives while a writer waits, and serves in arrival order', async () => {
    const lock = createReadWriteLock();
    const order: string[] = [];
    const held = await lock.read();
    const writer = lock.write().then((release) => {
      order.push('write');
      return release;
    });
    const reader = lock.read().then((release) => {
      order.push('read');
      return release;
    });
    await settle();
    expect(order).toEqual([]);
    expect(lock.waiting).toBe(2);
    held();
    (await writer)();
    (await reader)();
    expect(order).toEqual(['write', 'read']);
  });

  it('drops an aborted waiter, letting the readers behind it in', async () => {
    const lock = createReadWriteLock();
    const held = await lock.read();
    const controller = new AbortController();
    const writer = lock.write(controller.signal);
    const reader = lock.read();
    controller.abort(new Error('stop'));
    await expect(writer).rejects.toThrow('stop');
    (await reader)();
    held();
    expect(lock.waiting).toBe(0);
    await expect(lock.read(controller.signal)).rejects.toThrow('stop');
  });
});
