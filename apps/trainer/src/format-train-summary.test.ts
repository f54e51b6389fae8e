import { describe, expect, it } from 'vitest';
import { formatTrainSummary, rewardStartEnd } from './format-train-summary';
import type { Prediction } from '@research-ts/training';
import { summarizeByHops, type TrainSummary } from './train';

const evaluation = {
  count: 4,
  reward: 0.775,
  exactMatch: 0.75,
  f1: 0.75,
  searches: 1,
  generatedTokens: 13,
  formatOk: 1,
  failedSearches: 1,
};
const summary = (curve: number[], firstStep = 1): TrainSummary => ({
  outputDirectory: 'runs/x',
  steps: firstStep + curve.length - 1,
  resumedFrom: firstStep - 1,
  rewardCurve: curve.map((reward, index) => ({ step: firstStep + index, reward, searches: 1 })),
  heldOut: evaluation,
  heldOutWithoutRetrieval: { ...evaluation, exactMatch: 0, f1: 0, reward: 0.1 },
  heldOutWithDecoyCorpus: { count: 4, followsCorpus: 0.75, exactMatch: 0.25, searches: 1 },
  modelDirectory: 'runs/x/model',
  failedSearches: 3,
  warmupSeconds: 12.4,
  trainingSeconds: 99.6,
});

describe('formatTrainSummary', () => {
  it('prints step 1, the first and last 5 steps, and the evaluations (worked values)', () => {
    // first 5: (0.1 + 0.2 + 0.3 + 0.4 + 0.5) / 5 = 0.3; last 5: (0.4 + … + 0.8) / 5 = 0.6
    const eightSteps = summary([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]);
    const text = formatTrainSummary(eightSteps);
    expect(rewardStartEnd(eightSteps)).toEqual({ start: expect.closeTo(0.3, 12), end: expect.closeTo(0.6, 12) });
    const value = (label: string) =>
      text
        .split('\n')
        .find((line) => line.startsWith(label))
        ?.slice(label.length)
        .trim();
    expect(text.split('\n')[0]).toBe('run runs/x: 8 steps');
    expect(value('training reward, step 1 (before any update)')).toBe('0.100');
    expect(value('training reward, first 5 steps (mean)')).toBe('0.300');
    expect(value('training reward, last 5 steps (mean)')).toBe('0.600');
    expect(value('held-out EM, greedy (4 questions)')).toBe('0.750');
    expect(value('held-out EM, retriever returns nothing')).toBe('0.000');
    expect(value('names permuted in the corpus: answers as the corpus says')).toBe('0.750');
    expect(value('names permuted in the corpus: EM against the real answer')).toBe('0.250');
    expect(value('failed searches, training / held-out')).toBe('3 / 1');
    expect(value('warm-up / GRPO wall time (s)')).toBe('12 / 100');
  });

  it('prints a row pair per question type when the run has them', () => {
    const text = formatTrainSummary({
      ...summary([0.1]),
      heldOutByHops: [
        { ...evaluation, hops: 1, count: 2, exactMatch: 1, searches: 1, rightWithEnoughSearches: 1 },
        { ...evaluation, hops: 2, count: 2, exactMatch: 0.5, searches: 2.5, rightWithEnoughSearches: 0 },
      ],
    });
    expect(text).toMatch(/ {2}1-hop: EM \/ searches per question \(2\) +1\.000 \/ 1\.00\n/);
    expect(text).toMatch(/ {2}2-hop: EM \/ searches per question \(2\) +0\.500 \/ 2\.50\n/);
    expect(text).toMatch(/ {2}2-hop: right answers with ≥ 2 searches +0\.000\n/);
    expect(formatTrainSummary(summary([0.1]))).not.toContain('-hop');
  });

  it('leaves step 1 out of a resumed run whose curve starts later', () => {
    const text = formatTrainSummary(summary([0.5, 0.6], 11));
    expect(text.split('\n')[0]).toBe('run runs/x: 12 steps (resumed at 10)');
    expect(text).toContain('training reward, step 1 (before any update)');
    expect(
      text
        .split('\n')
        .find((line) => line.startsWith('training reward, step 1'))
        ?.trim()
        .endsWith('-'),
    ).toBe(true);
  });
});

describe('summarizeByHops', () => {
  const prediction = (id: string, exactMatch: boolean, searches: number) =>
    ({ id, exactMatch, searches, reward: exactMatch ? 1 : 0.1, f1: exactMatch ? 1 : 0 }) as unknown as Prediction;
  it('groups by hop count, fewest first, and counts the right answers that searched enough (worked values)', () => {
    const hops = new Map([
      ['a', 2],
      ['b', 1],
      ['c', 2],
      ['d', 2],
    ]);
    const byHops = summarizeByHops(
      [
        prediction('a', true, 2),
        prediction('b', true, 1),
        prediction('c', true, 1),
        prediction('d', false, 3),
        prediction('x', true, 1),
      ],
      (id) => hops.get(id),
    );
    expect(
      byHops.map((type) => [type.hops, type.count, type.exactMatch, type.searches, type.rightWithEnoughSearches]),
    ).toEqual([
      [1, 1, 1, 1, 1],
      [2, 3, 2 / 3, 2, 0.5],
    ]);
  });
});
