import { ApiCallError, TimeoutError, type Passage, type Retriever } from '@research-ts/spec';
import { MockRetriever } from '@research-ts/testing';
import { describe, expect, it } from 'vitest';
import { defaultRetryOptions, resolveRetryOptions, searchWithRetry } from './search-with-retry';

const corpus: Passage[] = [{ id: 'a', contents: '"A"\nalpha' }];

function recorder() {
  const waits: number[] = [];
  return { waits, sleep: async (milliseconds: number) => void waits.push(milliseconds) };
}

describe('resolveRetryOptions', () => {
  it('defaults to 5 tries, 1000 ms, backoff 2, no timeout', () => {
    expect(resolveRetryOptions()).toEqual({ attempts: 5, delayMs: 1000, backoff: 2, timeoutMs: undefined });
    expect(resolveRetryOptions({ attempts: 2, backoff: undefined })).toEqual({ ...defaultRetryOptions, attempts: 2 });
  });

  it.each([
    [{ delayMs: -1 }, 'config field "retry.delayMs": must be a finite number ≥ 0, got -1'],
    [{ timeoutMs: 0 }, 'config field "retry.timeoutMs": must be a finite number > 0, got 0'],
    [{ attempts: Number.POSITIVE_INFINITY }, 'config field "retry.attempts": must be a positive integer, got Infinity'],
  ])('rejects %j', (options, message) => {
    expect(() => resolveRetryOptions(options)).toThrow(message);
  });
});

describe('searchWithRetry', () => {
  it('waits delayMs · backoff^(try − 1) between tries and reports every failure', async () => {
    const retriever = new MockRetriever(corpus, { failTimes: 4 });
    const { waits, sleep } = recorder();
    const failures: [string, number, boolean][] = [];
    const outcome = await searchWithRetry(retriever, ['alpha'], 3, {
      retry: resolveRetryOptions(),
      sleep,
      onError: (error, attempt, willRetry) => failures.push([(error as Error).message, attempt, willRetry]),
    });
    expect(waits).toEqual([1000, 2000, 4000, 8000]);
    expect(failures.map(([, attempt, willRetry]) => [attempt, willRetry])).toEqual([
      [1, true],
      [2, true],
      [3, true],
      [4, true],
    ]);
    expect(outcome).toEqual({ ok: true, results: [[{ ...corpus[0], score: 1 }]] });
  });

  it("waits a constant delay with backoff 1 (ReSearch's 1 s sleeps) and gives up after the last try", async () => {
    const retriever = new MockRetriever(corpus, { failTimes: 9 });
    const { waits, sleep } = recorder();
    const outcome = await searchWithRetry(retriever, ['alpha'], 3, {
      retry: resolveRetryOptions({ backoff: 1 }),
      sleep,
    });
    expect(waits).toEqual([1000, 1000, 1000, 1000]);
    expect(retriever.calls).toHaveLength(5);
    expect(outcome).toEqual({
      ok: false,
      error: 'retriever "mock" failed after 5 tries: mock retriever failure on call 4',
    });
  });

  it('does not retry an ApiCallError marked not retryable', async () => {
    const retriever = new MockRetriever(corpus, {
      failTimes: 1,
      failWith: () => new ApiCallError('HTTP 400', { url: 'u', statusCode: 400 }),
    });
    const { waits, sleep } = recorder();
    const outcome = await searchWithRetry(retriever, ['alpha'], 3, { retry: resolveRetryOptions(), sleep });
    expect(waits).toEqual([]);
    expect(outcome).toEqual({ ok: false, error: 'retriever "mock" failed after 1 try: HTTP 400' });
  });

  it('treats a wrong number of result lists, or a synchronous throw, as a failed try', async () => {
    const wrong: Retriever = { specificationVersion: 'v1', name: 'short', search: async () => [] };
    const { sleep } = recorder();
    expect(await searchWithRetry(wrong, ['a', 'b'], 3, { retry: resolveRetryOptions({ attempts: 2 }), sleep })).toEqual(
      {
        ok: false,
        error: 'retriever "short" failed after 2 tries: retriever returned 0 result lists for 2 queries',
      },
    );
    const throwing: Retriever = {
      specificationVersion: 'v1',
      name: 'sync',
      search: () => {
        throw new Error('boom');
      },
    };
    for (const timeoutMs of [undefined, 1000]) {
      expect(
        await searchWithRetry(throwing, ['a'], 3, { retry: resolveRetryOptions({ attempts: 1, timeoutMs }), sleep }),
      ).toEqual({
        ok: false,
        error: 'retriever "sync" failed after 1 try: boom',
      });
    }
  });

  it('aborts a call past its timeout with a TimeoutError, passing an aborted signal to the retriever', async () => {
    let seenSignal: AbortSignal | undefined;
    const hanging: Retriever = {
      specificationVersion: 'v1',
      name: 'hang',
      search: (_queries, _k, options) => {
        seenSignal = options?.signal;
        return new Promise(() => {});
      },
    };
    const errors: unknown[] = [];
    const outcome = await searchWithRetry(hanging, ['a'], 3, {
      retry: resolveRetryOptions({ attempts: 1, timeoutMs: 5 }),
      onError: (error) => errors.push(error),
    });
    expect(outcome).toEqual({
      ok: false,
      error: 'retriever "hang" failed after 1 try: retriever "hang" search timed out after 5 ms',
    });
    expect(errors[0]).toBeInstanceOf(TimeoutError);
    expect(seenSignal?.aborted).toBe(true);
  });

  it("rejects with the caller's abort reason instead of retrying", async () => {
    const controller = new AbortController();
    const retriever = new MockRetriever(corpus, { delayMs: 60_000 });
    const pending = searchWithRetry(retriever, ['alpha'], 3, {
      retry: resolveRetryOptions(),
      signal: controller.signal,
    });
    controller.abort(new Error('cancelled by user'));
    await expect(pending).rejects.toThrow('cancelled by user');
    expect(retriever.calls).toHaveLength(1);
  });
});
