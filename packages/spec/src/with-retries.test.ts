import { describe, expect, it } from 'vitest';
import { withRetries, type RetryNotice, type TryOutcome } from './with-retries';

function recorder() {
  const waits: number[] = [];
  return { waits, sleep: async (milliseconds: number) => void waits.push(milliseconds) };
}

describe('withRetries', () => {
  it('retries failures with the backoff until a try succeeds, reporting each retry', async () => {
    const { waits, sleep } = recorder();
    const notices: RetryNotice<string>[] = [];
    const outcomes: TryOutcome<string, string>[] = [
      { ok: false, error: 'a' },
      { ok: false, error: 'b' },
      { ok: true, value: 'done' },
    ];
    const tries: number[] = [];
    const result = await withRetries<string, string>(
      async (attempt) => {
        tries.push(attempt);
        return outcomes[attempt - 1]!;
      },
      { maxRetries: 5, backoff: { initialMs: 100 }, sleep, onRetry: (notice) => notices.push(notice) },
    );
    expect(result).toEqual({ ok: true, value: 'done' });
    expect(tries).toEqual([1, 2, 3]);
    expect(waits).toEqual([100, 200]);
    expect(notices).toEqual([
      { attempt: 1, delayMs: 100, error: 'a' },
      { attempt: 2, delayMs: 200, error: 'b' },
    ]);
  });

  it('gives up after maxRetries retries with the last error and the number of tries', async () => {
    const { waits, sleep } = recorder();
    const result = await withRetries(async (attempt) => ({ ok: false, error: `e${attempt}` }), {
      maxRetries: 2,
      backoff: { initialMs: 10, factor: 3 },
      sleep,
    });
    expect(result).toEqual({ ok: false, error: 'e3', attempts: 3 });
    expect(waits).toEqual([10, 30]);
  });

  it('stops at once on a failure that is not retryable', async () => {
    const { waits, sleep } = recorder();
    const result = await withRetries(async () => ({ ok: false, error: 'no', retryable: false }), {
      maxRetries: 5,
      backoff: { initialMs: 10 },
      sleep,
    });
    expect(result).toEqual({ ok: false, error: 'no', attempts: 1 });
    expect(waits).toEqual([]);
  });

  it("waits the server's retryAfterMs instead of the backoff, both capped by maxDelayMs", async () => {
    const { waits, sleep } = recorder();
    const outcomes: TryOutcome<number>[] = [
      { ok: false, error: 'x', retryAfterMs: 5 },
      { ok: false, error: 'x', retryAfterMs: 50_000 },
      { ok: false, error: 'x' },
      { ok: true, value: 1 },
    ];
    await withRetries(async (attempt) => outcomes[attempt - 1]!, {
      maxRetries: 5,
      backoff: { initialMs: 4000 },
      maxDelayMs: 6000,
      sleep,
    });
    expect(waits).toEqual([5, 6000, 6000]);
  });

  it('rejects with the reason of an aborted signal, and with what a try throws', async () => {
    const controller = new AbortController();
    const pending = withRetries(async () => ({ ok: false, error: 'x' }), {
      maxRetries: 5,
      backoff: { initialMs: 60_000 },
      signal: controller.signal,
    });
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
    await expect(
      withRetries(
        async () => {
          throw new Error('fatal');
        },
        { maxRetries: 5, backoff: { initialMs: 1 } },
      ),
    ).rejects.toThrow('fatal');
  });
});
