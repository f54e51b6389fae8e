import { ApiCallError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { MockJudge, exactMatchVerdict } from './mock-judge';

describe('exactMatchVerdict', () => {
  it.each([
    ['Paris', ['paris'], 'correct'],
    ['  the   Eiffel tower ', ['The Eiffel Tower'], 'correct'],
    ['Lyon', ['Paris', 'City of Light'], 'incorrect'],
    ['', ['Paris'], 'incorrect'],
    ['Paris', [], 'incorrect'],
  ] as const)('%j against %j is %s', (prediction, goldenAnswers, status) => {
    expect(exactMatchVerdict({ question: 'q', prediction, goldenAnswers }).status).toBe(status);
  });

  it('names the matched golden answer in the rationale', () => {
    expect(exactMatchVerdict({ question: 'q', prediction: 'paris', goldenAnswers: ['Lyon', 'Paris'] })).toEqual({
      status: 'correct',
      rationale: '"paris" matches golden answer "Paris"',
    });
    expect(exactMatchVerdict({ question: 'q', prediction: 'x', goldenAnswers: ['Lyon', 'Paris'] })).toEqual({
      status: 'incorrect',
      rationale: '"x" matches none of 2 golden answers',
    });
  });
});

describe('MockJudge', () => {
  const items = [
    { question: 'Capital of France?', goldenAnswers: ['Paris'], prediction: 'paris' },
    { question: 'Capital of Italy?', goldenAnswers: ['Rome'], prediction: 'Milan' },
  ];

  it('judges each item in order and records calls', async () => {
    const judge = new MockJudge();
    expect((await judge.judge(items)).map((verdict) => verdict.status)).toEqual(['correct', 'incorrect']);
    expect(judge.calls).toEqual([items]);
    expect(judge.specificationVersion).toBe('v1');
  });

  it('uses a custom decision', async () => {
    const judge = new MockJudge({
      decide: (_item, index) =>
        index === 0 ? { status: 'failed', error: 'no verdict' } : { status: 'correct', rationale: 'ok' },
    });
    expect(await judge.judge(items)).toEqual([
      { status: 'failed', error: 'no verdict' },
      { status: 'correct', rationale: 'ok' },
    ]);
  });

  it('fails the first N calls with a retryable ApiCallError', async () => {
    const judge = new MockJudge({ failTimes: 1 });
    const error = await judge.judge(items).catch((caught: unknown) => caught);
    expect(ApiCallError.isInstance(error)).toBe(true);
    expect((error as ApiCallError).message).toBe('mock judge failure on call 0');
    expect((error as ApiCallError).isRetryable).toBe(true);
    expect(await judge.judge(items)).toHaveLength(2);
  });

  it('rejects an aborted signal', async () => {
    const judge = new MockJudge({ delayMs: 10_000 });
    const controller = new AbortController();
    const pending = judge.judge(items, { signal: controller.signal });
    controller.abort(new Error('cancelled'));
    await expect(pending).rejects.toThrow('cancelled');
  });
});
