import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { f1Score, tokenScores } from './f1-score';

interface ScoreFixture {
  scores: { prediction: string; golds: string[]; f1: number; precision: number; recall: number }[];
}

const fixture = JSON.parse(
  readFileSync(new URL('./__fixtures__/normalize-cases.json', import.meta.url), 'utf8'),
) as ScoreFixture;

describe('tokenScores (one golden answer)', () => {
  it.each([
    // prediction, gold, f1, precision, recall — worked from the rules of research-paper.md §5.2
    ['Paris', 'paris', 1, 1, 1],
    // same tokens, different order and punctuation: F1 1 though EM 0
    ['20 June 1837', 'June 20, 1837', 1, 1, 1],
    // both normalize to "": no tokens, so no common token → 0 (EM would be 1)
    ['', '', 0, 0, 0],
    ['A', 'a', 0, 0, 0],
    // 1 common of 2 predicted, 1 gold: P 1/2, R 1, F1 2·(1/2)·1/(3/2) = 2/3
    ['Barack Obama', 'Obama', 2 / 3, 1 / 2, 1],
    // multiset intersection: {cat:2, dog:1} ∩ {cat:1, dog:2} = {cat:1, dog:1} → 2 of 3 each side
    ['cat cat dog', 'cat dog dog', 2 / 3, 2 / 3, 2 / 3],
    // articles and punctuation vanish before counting: "the cat sat" → [cat, sat]
    ['the cat sat', 'The cat sat on the mat.', 2 / 3, 1, 1 / 2],
    // yes / no / noanswer must match exactly once normalized
    ['yes', 'no', 0, 0, 0],
    ['yes', 'Yes.', 1, 1, 1],
    ['yes', 'yes it is', 0, 0, 0],
    ['yes it is', 'yes', 0, 0, 0],
    ['no', 'no answer', 0, 0, 0],
    ['noanswer', 'no answer', 0, 0, 0],
    ['no answer', 'no answer', 1, 1, 1],
    // "10.8" → "108", "10 8" → ["10", "8"]
    ['10.8', '108', 1, 1, 1],
    ['10.8', '10 8', 0, 0, 0],
    ['rock-and-roll', 'rock and roll', 0, 0, 0],
    ['rock-and-roll', 'Rock and-roll', 0, 0, 0],
    ['rock and roll music', 'rock and roll', 6 / 7, 3 / 4, 1],
  ])('%j vs %j → f1 %d', (prediction, gold, f1, precision, recall) => {
    const scores = tokenScores(prediction, gold);
    expect(scores.f1).toBeCloseTo(f1, 15);
    expect(scores.precision).toBeCloseTo(precision, 15);
    expect(scores.recall).toBeCloseTo(recall, 15);
  });
});

describe('f1Score (max over golden answers)', () => {
  it('takes the max of f1, precision and recall separately, as ReSearch and FlashRAG do', () => {
    // "cat": P 1/2 R 1 F1 2/3; "cat sat on mat": P 1 R 1/2 F1 2/3 → precision and recall both 1
    expect(f1Score('the cat sat', ['cat', 'the cat sat on the mat'])).toEqual({ f1: 2 / 3, precision: 1, recall: 1 });
  });

  it('picks the best golden answer for f1', () => {
    expect(f1Score('Barack Obama', ['Michelle', 'Obama', 'Barack Obama']).f1).toBe(1);
    expect(f1Score('Barack Obama', ['Michelle', 'Obama']).f1).toBe(2 / 3);
  });

  it('treats a string as one golden answer and an empty list as no match', () => {
    expect(f1Score('Paris', 'paris')).toEqual({ f1: 1, precision: 1, recall: 1 });
    expect(f1Score('Paris', [])).toEqual({ f1: 0, precision: 0, recall: 0 });
  });

  it('skips a yes/no mismatch and still scores the other golden answers', () => {
    expect(f1Score('no', ['yes', 'no'])).toEqual({ f1: 1, precision: 1, recall: 1 });
    expect(f1Score('no', ['yes', 'no way']).f1).toBe(0);
  });

  it.each(fixture.scores.map((entry) => [JSON.stringify([entry.prediction, entry.golds]), entry] as const))(
    'matches Python for %s',
    (_label, entry) => {
      expect(f1Score(entry.prediction, entry.golds)).toEqual({
        f1: entry.f1,
        precision: entry.precision,
        recall: entry.recall,
      });
    },
  );
});
