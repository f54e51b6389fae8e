import { describe, expect, it } from 'vitest';
import { summarizeMetrics, type EvaluationRecord } from './summarize-metrics';

const records: EvaluationRecord[] = [
  // musique: EM 1, F1 1, cover 1, judged correct
  {
    dataset: 'musique',
    prediction: 'Liu Bang',
    goldenAnswers: ['Liu Bang'],
    verdict: { status: 'correct', rationale: 'same' },
  },
  // EM 0, F1 2/3 ("Emperor Gaozu" vs "Emperor Gaozu of Han"), cover 0, judged correct
  {
    dataset: 'musique',
    prediction: 'Emperor Gaozu',
    goldenAnswers: ['Emperor Gaozu of Han'],
    verdict: { status: 'correct', rationale: 'alias' },
  },
  // EM 0, F1 0, cover 0, judged incorrect
  {
    dataset: 'musique',
    prediction: 'Qin',
    goldenAnswers: ['Liu Bang'],
    verdict: { status: 'incorrect', rationale: 'no' },
  },
  // over length: prediction "", judge failed → not in the score
  { dataset: 'musique', prediction: '', goldenAnswers: ['Liu Bang'], verdict: { status: 'failed', error: 'HTTP 500' } },
  // bamboogle: cover 1 (gold inside the prediction), EM 0, F1 2·(1/2·1)/(3/2) = 2/3, not judged
  { dataset: 'bamboogle', prediction: 'Paris France', goldenAnswers: ['Paris'] },
];

describe('summarizeMetrics', () => {
  it('computes per-dataset means and judge counts, in order of first appearance', () => {
    const rows = summarizeMetrics(records);
    expect(rows.map((row) => row.dataset)).toEqual(['musique', 'bamboogle']);
    const [musique, bamboogle] = rows;
    expect(musique).toMatchObject({ dataset: 'musique', count: 4, exactMatch: 1 / 4, coverExactMatch: 1 / 4 });
    expect(musique!.f1).toBeCloseTo((1 + 2 / 3) / 4, 15);
    // 2 correct of 3 judged; the failed one is counted apart, not as incorrect
    expect(musique!.judge).toEqual({ correct: 2, incorrect: 1, failed: 1, unjudged: 0, score: 2 / 3 });
    expect(bamboogle).toMatchObject({ count: 1, exactMatch: 0, coverExactMatch: 1 });
    expect(bamboogle!.f1).toBeCloseTo(2 / 3, 15);
    expect(bamboogle!.judge).toEqual({ correct: 0, incorrect: 0, failed: 0, unjudged: 1, score: undefined });
  });

  it('gives no judge score when every verdict failed', () => {
    const [row] = summarizeMetrics([
      { dataset: 'x', prediction: 'a', goldenAnswers: ['a'], verdict: { status: 'failed', error: 'timeout' } },
    ]);
    expect(row!.judge).toEqual({ correct: 0, incorrect: 0, failed: 1, unjudged: 0, score: undefined });
    expect(row!.exactMatch).toBe(1);
  });

  it('returns no rows for no records', () => {
    expect(summarizeMetrics([])).toEqual([]);
  });
});
