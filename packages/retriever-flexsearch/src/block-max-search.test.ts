import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Passage } from '@research-ts/spec';
import { afterAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../test/known-item-queries';
import type { Bm25Parameters } from './bm25';
import { writeCompactIndex } from './build-compact-index';
import { createFlexsearchRetriever } from './create-flexsearch-retriever';
import { openCompactIndex } from './open-compact-index';

const root = mkdtempSync(join(tmpdir(), 'retriever-flexsearch-block-max-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface GeneratedCorpus {
  passages: Array<{ id: string; contents: string }>;
  vocabulary: string[];
}

/**
 * A Zipf-like corpus in which pruning has work to do and ties are common: words drawn with weight
 * 1 / rank^exponent (so the head terms fill many blocks of 64), passage lengths from 1 to 80, one passage in
 * ten a copy of an earlier one under another id (equal scores), ids that sort differently as strings than
 * as numbers, and a few passages that repeat one word many times (high term frequencies).
 */
function generateCorpus(seed: number, passageCount: number, vocabularySize: number, exponent: number) {
  const random = seededRandom(seed);
  const vocabulary = Array.from({ length: vocabularySize }, (_, rank) => `t${rank.toString(36)}`);
  const cumulative = new Float64Array(vocabularySize);
  let total = 0;
  for (let rank = 0; rank < vocabularySize; rank += 1) cumulative[rank] = total += 1 / (rank + 1) ** exponent;
  const drawWord = (): string => {
    const target = random() * total;
    let low = 0;
    let high = vocabularySize - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (cumulative[middle]! < target) low = middle + 1;
      else high = middle;
    }
    return vocabulary[low]!;
  };
  const passages: GeneratedCorpus['passages'] = [];
  for (let index = 0; index < passageCount; index += 1) {
    const id = random() < 0.5 ? String(index) : `p${(passageCount - index).toString(36)}`;
    if (index > 0 && random() < 0.1) {
      passages.push({ id, contents: passages[Math.floor(random() * index)]!.contents });
      continue;
    }
    const length = 1 + Math.floor(random() ** 2 * 80);
    const words = Array.from({ length }, drawWord);
    if (random() < 0.01) words.push(...Array<string>(40 + Math.floor(random() * 200)).fill(drawWord()));
    passages.push({ id, contents: words.join(' ') });
  }
  return { passages, vocabulary };
}

/** Queries of 1–8 words: mostly from the vocabulary (head and tail), some repeated, some not in the index. */
function generateQueries(seed: number, count: number, vocabulary: readonly string[]): string[] {
  const random = seededRandom(seed);
  const pick = (): string => {
    const roll = random();
    if (roll < 0.05) return `absent${Math.floor(random() * 5)}`;
    if (roll < 0.45) return vocabulary[Math.floor(random() * Math.min(20, vocabulary.length))]!;
    return vocabulary[Math.floor(random() ** 2 * vocabulary.length)]!;
  };
  return Array.from({ length: count }, () => {
    const words = Array.from({ length: 1 + Math.floor(random() * 8) }, pick);
    if (random() < 0.2) words.push(words[0]!, words[0]!);
    return words.join(' ');
  });
}

/** ids and scores only, for a readable diff. */
const summarize = (results: Passage[][]) => results.map((list) => list.map(({ id, score }) => `${id} ${score}`));

describe('block-max search gives exactly the in-memory BM25 results', () => {
  it.each([
    ['2000 passages, Zipf 1.0', 11, 2000, 3000, 1.0, 160],
    ['1500 passages, Zipf 1.3 (a steep head)', 12, 1500, 800, 1.3, 120],
    ['1200 passages, Zipf 0.7 (a flat vocabulary)', 13, 1200, 5000, 0.7, 120],
  ])(
    '%s: ids, scores and tie order at k = 1, 5, 10, 100',
    async (_, seed, passageCount, vocabularySize, exponent, queryCount) => {
      const { passages, vocabulary } = generateCorpus(seed, passageCount, vocabularySize, exponent);
      const memory = createFlexsearchRetriever(passages);
      const directory = join(root, `corpus-${seed}`);
      await writeCompactIndex(directory, passages, { memoryBudgetBytes: 2 ** 20 });
      const blockMax = await openCompactIndex(directory);
      const termAtATime = await openCompactIndex(directory, { queryEvaluation: 'term-at-a-time' });
      const queries = generateQueries(seed * 7, queryCount, vocabulary);
      try {
        for (const k of [1, 5, 10, 100]) {
          const expected = summarize(await memory.search(queries, k));
          expect(summarize(await blockMax.search(queries, k)), `block-max, k = ${k}`).toEqual(expected);
          expect(summarize(await termAtATime.search(queries, k)), `term-at-a-time, k = ${k}`).toEqual(expected);
        }
        // The passages themselves, once.
        expect(await blockMax.search(queries.slice(0, 20), 5)).toEqual(await memory.search(queries.slice(0, 20), 5));
      } finally {
        await blockMax.close();
        await termAtATime.close();
      }
    },
    120_000, // ~2 s alone; generous for a loaded 2-core CI run
  );

  it.each<[string, Bm25Parameters]>([
    ['k1 = 1.2, b = 0.75', { k1: 1.2, b: 0.75 }],
    ['b = 0 (no length normalization: many equal scores)', { k1: 0.9, b: 0 }],
    ['b = 1', { k1: 2, b: 1 }],
    ['k1 = 0 (frequency ignored)', { k1: 0, b: 0.4 }],
  ])('with BM25 %s set at open', async (_, bm25) => {
    const { passages, vocabulary } = generateCorpus(21, 1200, 600, 1.1);
    const directory = join(root, `parameters-${bm25.k1}-${bm25.b}`);
    await writeCompactIndex(directory, passages);
    const compact = await openCompactIndex(directory, { bm25 });
    const memory = createFlexsearchRetriever(passages, { bm25 });
    const queries = generateQueries(22, 80, vocabulary);
    try {
      for (const k of [1, 5, 100])
        expect(summarize(await compact.search(queries, k)), `k = ${k}`).toEqual(
          summarize(await memory.search(queries, k)),
        );
    } finally {
      await compact.close();
    }
  });

  it('frequencies and lengths past the block maxima fields (16 bits) still bound exactly', async () => {
    const { passages, vocabulary } = generateCorpus(31, 400, 200, 1.0);
    passages.push({ id: 'long', contents: `${'t0 '.repeat(70_000)}t1 t2` });
    passages.push({ id: 'longer', contents: `${'t1 '.repeat(66_000)}${'t0 '.repeat(65_600)}t5` });
    const directory = join(root, 'wide');
    await writeCompactIndex(directory, passages);
    const compact = await openCompactIndex(directory);
    const memory = createFlexsearchRetriever(passages);
    const queries = ['t0', 't1', 't0 t1', 't0 t5', 't2 t0 t0', ...generateQueries(32, 40, vocabulary)];
    try {
      for (const k of [1, 2, 5, 100])
        expect(summarize(await compact.search(queries, k)), `k = ${k}`).toEqual(
          summarize(await memory.search(queries, k)),
        );
    } finally {
      await compact.close();
    }
  });

  it('an unknown queryEvaluation is refused at open, naming the option', async () => {
    const directory = join(root, 'small');
    await writeCompactIndex(directory, [{ id: 'a', contents: 'one passage' }]);
    await expect(openCompactIndex(directory, { queryEvaluation: 'fast' as never })).rejects.toThrow(
      /queryEvaluation.*expected one of block-max, term-at-a-time, got "fast"/,
    );
  });
});
