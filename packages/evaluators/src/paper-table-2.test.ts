import { describe, expect, it } from 'vitest';
import { PAPER_DATASETS, PAPER_TABLE_2, type PaperTableRow } from './paper-table-2';

const meanOf = (row: PaperTableRow, metric: 'exactMatch' | 'llmJudge') =>
  PAPER_DATASETS.reduce((sum, dataset) => sum + row.scores[dataset][metric], 0) / PAPER_DATASETS.length;

const find = (modelSize: '7B' | '32B', method: PaperTableRow['method']) =>
  PAPER_TABLE_2.find((row) => row.modelSize === modelSize && row.method === method)!;

describe('PAPER_TABLE_2', () => {
  it('has 6 rows per model size with the labels of the paper', () => {
    expect(PAPER_TABLE_2).toHaveLength(12);
    expect(PAPER_TABLE_2.map((row) => row.label).slice(0, 6)).toEqual([
      'Naive Generation (Qwen2.5-7B-Instruct)',
      'Naive RAG (Qwen2.5-7B-Instruct)',
      'Iter-RetGen (Qwen2.5-7B-Instruct)',
      'IRCoT (Qwen2.5-7B-Instruct)',
      'ReSearch-Qwen-7B',
      'ReSearch-Qwen-7B-Instruct',
    ]);
    expect(find('32B', 'ReSearch (instruct)').label).toBe('ReSearch-Qwen-32B-Instruct');
  });

  it("reproduces the paper's cross-checks: mean EM 38.95 (7B-Instruct) and 43.71 (32B-Instruct)", () => {
    expect(meanOf(find('7B', 'ReSearch (instruct)'), 'exactMatch').toFixed(2)).toBe('38.95');
    expect(meanOf(find('32B', 'ReSearch (instruct)'), 'exactMatch').toFixed(2)).toBe('43.71');
  });

  it('reproduces the average gains over the best baseline: +15.81 EM / +17.56 LJ (7B), +14.82 / +15.46 (32B)', () => {
    const baselines = ['Naive Generation', 'Naive RAG', 'Iter-RetGen', 'IRCoT'] as const;
    const gain = (modelSize: '7B' | '32B', metric: 'exactMatch' | 'llmJudge') =>
      meanOf(find(modelSize, 'ReSearch (instruct)'), metric) -
      Math.max(...baselines.map((method) => meanOf(find(modelSize, method), metric)));
    expect(gain('7B', 'exactMatch').toFixed(2)).toBe('15.81');
    expect(gain('7B', 'llmJudge').toFixed(2)).toBe('17.56');
    expect(gain('32B', 'exactMatch').toFixed(2)).toBe('14.82');
    expect(gain('32B', 'llmJudge').toFixed(2)).toBe('15.46');
  });

  it('matches the 7B LJ numbers that Figure 1 shows (63.6 / 54.2 / 33.4 / 54.4)', () => {
    const row = find('7B', 'ReSearch (instruct)');
    expect(PAPER_DATASETS.map((dataset) => row.scores[dataset].llmJudge.toFixed(1))).toEqual([
      '63.6',
      '54.2',
      '33.4',
      '54.4',
    ]);
  });
});
