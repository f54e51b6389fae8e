import { InvalidConfigError, InvalidInputError, type Passage, type Retriever } from '@research-ts/spec';
import { MockRetriever, runRetrieverConformance } from '@research-ts/testing';
import { describe, expect, it } from 'vitest';
import { createHybridRetriever } from './create-hybrid-retriever';

/** A retriever that answers every query with the same list (cut to k) and records its calls. */
function fixedRetriever(name: string, list: Passage[]): Retriever & { calls: Array<{ queries: string[]; k: number }> } {
  const calls: Array<{ queries: string[]; k: number }> = [];
  return {
    specificationVersion: 'v1',
    name,
    calls,
    async search(queries, k) {
      calls.push({ queries: [...queries], k });
      return queries.map(() => list.slice(0, k).map((passage) => ({ ...passage })));
    },
  };
}

const passage = (id: string, contents = `text of ${id}`): Passage => ({ id, contents });

describe('createHybridRetriever', () => {
  // a: x, y, z     b: y, w, x     (no scores, so ranks are positions)
  const a = () => fixedRetriever('lexical', [passage('x', 'x from a'), passage('y'), passage('z')]);
  const b = () => fixedRetriever('dense', [passage('y'), passage('w'), passage('x', 'x from b')]);

  it.each([
    // options, k, expected ids, expected fused scores (hand-computed from w / (k + rank))
    [{}, 4, ['y', 'x', 'w', 'z'], [1 / 61 + 1 / 62, 1 / 61 + 1 / 63, 1 / 62, 1 / 63]],
    [{}, 2, ['y', 'x'], [1 / 61 + 1 / 62, 1 / 61 + 1 / 63]],
    [{ k: 0 }, 4, ['y', 'x', 'w', 'z'], [1 / 2 + 1 / 1, 1 / 1 + 1 / 3, 1 / 2, 1 / 3]],
    [{ k: 1, weights: [2, 1] as const }, 4, ['x', 'y', 'z', 'w'], [2 / 2 + 1 / 4, 2 / 3 + 1 / 2, 2 / 4, 1 / 3]],
    [{ weights: [1, 0] as const }, 4, ['x', 'y', 'z'], [1 / 61, 1 / 62, 1 / 63]],
  ])('options %j, k = %i → %j', async (options, k, ids, scores) => {
    const hybrid = createHybridRetriever(a(), b(), options);
    const [result] = await hybrid.search(['query'], k);
    expect(result!.map((entry) => entry.id)).toEqual(ids);
    result!.forEach((entry, index) => expect(entry.score).toBeCloseTo(scores[index]!, 15));
  });

  it('keeps the contents the first retriever gave, and names itself after both', async () => {
    const hybrid = createHybridRetriever(a(), b());
    expect(hybrid.name).toBe('hybrid(lexical+dense)');
    expect(createHybridRetriever(a(), b(), { name: 'mine' }).name).toBe('mine');
    const [result] = await hybrid.search(['query'], 10);
    expect(result!.find((entry) => entry.id === 'x')!.contents).toBe('x from a');
    expect(result!.find((entry) => entry.id === 'w')!.contents).toBe('text of w');
  });

  it('asks each retriever for `candidates` passages (default max(k, 50)) and skips a weight-0 one', async () => {
    const [first, second] = [a(), b()];
    await createHybridRetriever(first, second).search(['q'], 5);
    await createHybridRetriever(first, second).search(['q'], 80);
    await createHybridRetriever(first, second, { candidates: 7 }).search(['q'], 5);
    expect(first.calls.map((call) => call.k)).toEqual([50, 80, 7]);
    expect(second.calls.map((call) => call.k)).toEqual([50, 80, 7]);
    await createHybridRetriever(first, second, { weights: [0, 1] }).search(['q'], 5);
    expect(first.calls).toHaveLength(3);
    expect(second.calls).toHaveLength(4);
  });

  it('answers empty and whitespace queries with [] without asking, and k = 0 with [] lists', async () => {
    const [first, second] = [a(), b()];
    const hybrid = createHybridRetriever(first, second);
    const results = await hybrid.search(['', 'real', '  '], 3);
    expect(results[0]).toEqual([]);
    expect(results[2]).toEqual([]);
    expect(results[1]).toHaveLength(3);
    expect(first.calls).toEqual([{ queries: ['real'], k: 50 }]);
    expect(await hybrid.search(['real', 'other'], 0)).toEqual([[], []]);
    expect(await hybrid.search([], 3)).toEqual([]);
  });

  it('refuses bad options and bad search arguments', async () => {
    expect(() => createHybridRetriever(a(), b(), { k: -1 })).toThrow(InvalidConfigError);
    expect(() => createHybridRetriever(a(), b(), { k: Number.NaN })).toThrow(/config field "k"/);
    expect(() => createHybridRetriever(a(), b(), { weights: [0, 0] })).toThrow(/must not both be 0/);
    expect(() => createHybridRetriever(a(), b(), { weights: [1, -1] })).toThrow(/config field "weights.1"/);
    expect(() => createHybridRetriever(a(), b(), { candidates: 0 })).toThrow(/config field "candidates"/);
    const hybrid = createHybridRetriever(a(), b());
    await expect(hybrid.search(['q'], -1)).rejects.toThrow(InvalidInputError);
    await expect(hybrid.search(['q'], 1.5)).rejects.toThrow(/field "k"/);
    await expect(hybrid.search([3 as unknown as string], 1)).rejects.toThrow(/field "queries.0"/);
  });

  it('passes a failure of either retriever through', async () => {
    const failing = new MockRetriever([passage('x')], { failTimes: 1 });
    await expect(createHybridRetriever(a(), failing).search(['x'], 1)).rejects.toThrow();
  });
});

// Two term-overlap mocks: their score ties (the identical twins) share a rank, so the fused ties stay ties.
runRetrieverConformance({
  name: 'hybrid of two MockRetrievers',
  createRetriever: (passages) =>
    createHybridRetriever(new MockRetriever(passages, { name: 'one' }), new MockRetriever(passages, { name: 'two' }), {
      weights: [1, 0.5],
    }),
  supportsScores: true,
});
