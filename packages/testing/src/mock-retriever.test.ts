import { ApiCallError, TimeoutError, type Passage } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { MockRetriever, termsOf } from './mock-retriever';
import { retrieverConformanceCorpus } from './run-retriever-conformance';
import { runRetrieverConformance } from './run-retriever-conformance';

runRetrieverConformance({
  name: 'MockRetriever',
  createRetriever: (passages) => new MockRetriever(passages),
  supportsScores: true,
});

const passages: Passage[] = [
  { id: 'c', contents: '"Paris"\nParis is the capital of France.' },
  { id: 'a', contents: '"Lyon"\nLyon is a city in France.' },
  { id: 'b', contents: '"Berlin"\nBerlin is the capital of Germany.' },
];

describe('termsOf', () => {
  it('lowercases and splits on anything that is not a letter or digit', () => {
    expect(termsOf('"Paris"\nParis is the capital of France.')).toEqual([
      'paris',
      'paris',
      'is',
      'the',
      'capital',
      'of',
      'france',
    ]);
    expect(termsOf('Zürich, 東京! x2')).toEqual(['zürich', '東京', 'x2']);
    expect(termsOf('  \t ')).toEqual([]);
  });
});

describe('MockRetriever', () => {
  it('scores by distinct query terms present and breaks ties by id', async () => {
    const retriever = new MockRetriever(passages);
    const [capital, france, cityFrance] = await retriever.search(['capital capital', 'France', 'city of France'], 10);
    // "capital" occurs in c and b (score 1 each, repeated query terms count once) -> b before c by id.
    expect(capital!.map((passage) => [passage.id, passage.score])).toEqual([
      ['b', 1],
      ['c', 1],
    ]);
    expect(france!.map((passage) => [passage.id, passage.score])).toEqual([
      ['a', 1],
      ['c', 1],
    ]);
    // "city of france": a has city+france = 2, c has of+france = 2, b has of = 1.
    expect(cityFrance!.map((passage) => [passage.id, passage.score])).toEqual([
      ['a', 2],
      ['c', 2],
      ['b', 1],
    ]);
  });

  it('returns copies: mutating a result does not change the corpus', async () => {
    const retriever = new MockRetriever(passages);
    const [first] = await retriever.search(['Lyon'], 1);
    first![0]!.contents = 'changed';
    const [again] = await retriever.search(['Lyon'], 1);
    expect(again![0]!.contents).toBe('"Lyon"\nLyon is a city in France.');
  });

  it('records every call, including failed ones', async () => {
    const retriever = new MockRetriever(passages, { failTimes: 1 });
    await expect(retriever.search(['paris'], 2)).rejects.toThrow('mock retriever failure on call 0');
    await retriever.search(['lyon', 'berlin'], 3);
    expect(retriever.calls).toEqual([
      { queries: ['paris'], k: 2, failed: true },
      { queries: ['lyon', 'berlin'], k: 3, failed: false },
    ]);
  });

  it('fails the next N calls with a retryable ApiCallError, then answers', async () => {
    const retriever = new MockRetriever(passages);
    retriever.failNext(2);
    const first = await retriever.search(['paris'], 1).catch((error: unknown) => error);
    expect(ApiCallError.isInstance(first)).toBe(true);
    expect((first as ApiCallError).isRetryable).toBe(true);
    expect((first as ApiCallError).statusCode).toBe(503);
    await expect(retriever.search(['paris'], 1)).rejects.toThrow('mock retriever failure on call 1');
    expect((await retriever.search(['paris'], 1))[0]![0]!.id).toBe('c');
  });

  it('fails with a custom error', async () => {
    const retriever = new MockRetriever(passages);
    retriever.failNext(1, (callIndex) => new TimeoutError(`search call ${callIndex}`, 5));
    await expect(retriever.search(['paris'], 1)).rejects.toThrow('search call 0 timed out after 5 ms');
  });

  it('delays and rejects with the signal reason when aborted during the delay', async () => {
    const retriever = new MockRetriever(passages, { delayMs: 10_000 });
    const controller = new AbortController();
    const pending = retriever.search(['paris'], 1, { signal: controller.signal });
    controller.abort(new Error('stop now'));
    await expect(pending).rejects.toThrow('stop now');
    const aborted = AbortSignal.abort(new Error('already aborted'));
    await expect(retriever.search(['paris'], 1, { signal: aborted })).rejects.toThrow('already aborted');
  });

  it('answers after a short delay', async () => {
    const retriever = new MockRetriever(passages, { delayMs: 5 });
    expect((await retriever.search(['berlin'], 1))[0]![0]!.id).toBe('b');
  });

  it('is built over the frozen conformance corpus without mutating it', async () => {
    const retriever = new MockRetriever(retrieverConformanceCorpus);
    const [result] = await retriever.search(['quokka'], 5);
    expect(result!.map((passage) => passage.id)).toEqual(['twin-a', 'twin-b']);
    expect(Object.isFrozen(retrieverConformanceCorpus[0])).toBe(true);
  });
});
