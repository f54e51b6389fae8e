import { describe, expect, it } from 'vitest';
import { delay } from './delay';

describe('delay', () => {
  it('resolves after the time, at once for 0', async () => {
    const start = Date.now();
    await delay(20);
    expect(Date.now() - start).toBeGreaterThanOrEqual(15);
    await expect(delay(0)).resolves.toBeUndefined();
  });

  it('rejects with the signal reason, whether aborted before or during the wait', async () => {
    const reason = new Error('stop');
    await expect(delay(10, AbortSignal.abort(reason))).rejects.toBe(reason);
    const controller = new AbortController();
    const waiting = delay(10_000, controller.signal);
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
  });
});
