import { describe, expect, it } from 'vitest';
import { formatMetricsTable } from './format-metrics-table';
import { PAPER_TABLE_2 } from './paper-table-2';
import type { DatasetMetrics } from './summarize-metrics';

const ours: DatasetMetrics[] = [
  {
    dataset: 'musique',
    count: 4,
    exactMatch: 0.25,
    f1: 0.41666666666666663,
    coverExactMatch: 0.25,
    judge: { correct: 2, incorrect: 1, failed: 1, unjudged: 0, score: 2 / 3 },
  },
  {
    dataset: 'Bamboogle',
    count: 1,
    exactMatch: 0,
    f1: 2 / 3,
    coverExactMatch: 1,
    judge: { correct: 0, incorrect: 0, failed: 0, unjudged: 1, score: undefined },
  },
  {
    dataset: 'synthetic',
    count: 2,
    exactMatch: 1,
    f1: 1,
    coverExactMatch: 1,
    judge: { correct: 2, incorrect: 0, failed: 0, unjudged: 0, score: 1 },
  },
];

describe('formatMetricsTable', () => {
  it('prints the chosen paper rows beside ours, then our details', () => {
    const paperRows = PAPER_TABLE_2.filter(
      (row) => row.modelSize === '7B' && (row.method === 'IRCoT' || row.method === 'ReSearch (instruct)'),
    );
    expect(formatMetricsTable(ours, { paperRows, label: 'tiny-qwen (ours)' })).toBe(
      [
        'system                      | MuSiQue EM | MuSiQue LJ | Bamboogle EM | Bamboogle LJ | synthetic EM | synthetic LJ',
        '----------------------------+------------+------------+--------------+--------------+--------------+-------------',
        'IRCoT (Qwen2.5-7B-Instruct) |       6.99 |      14.19 |        24.80 |        36.80 |            - |            -',
        'ReSearch-Qwen-7B-Instruct   |      22.30 |      33.43 |        42.40 |        54.40 |            - |            -',
        'tiny-qwen (ours)            |      25.00 |      66.67 |         0.00 |            - |       100.00 |       100.00',
        '',
        'tiny-qwen (ours) (scores in %):',
        'dataset   | n |     EM |     F1 | cover-EM |     LJ | judged | failed',
        '----------+---+--------+--------+----------+--------+--------+-------',
        'musique   | 4 |  25.00 |  41.67 |    25.00 |  66.67 |      3 |      1',
        'Bamboogle | 1 |   0.00 |  66.67 |   100.00 |      - |      0 |      0',
        'synthetic | 2 | 100.00 | 100.00 |   100.00 | 100.00 |      2 |      0',
        '',
      ].join('\n'),
    );
  });

  it('prints all twelve paper rows by default, and ours alone with paperRows []', () => {
    const table = formatMetricsTable([ours[0]!]);
    expect(
      table
        .split('\n')
        .slice(2, 15)
        .map((line) => line.split(' | ')[0]!.trim()),
    ).toEqual([...PAPER_TABLE_2.map((row) => row.label), 'ours']);
    expect(table).toContain('Naive Generation (Qwen2.5-32B-Instruct) |       6.12 |      14.23');
    const alone = formatMetricsTable([ours[0]!], { paperRows: [] }).split('\n');
    expect(alone.slice(0, 3)).toEqual([
      'system | MuSiQue EM | MuSiQue LJ',
      '-------+------------+-----------',
      'ours   |      25.00 |      66.67',
    ]);
  });

  it('maps the usual file names onto the paper’s columns (bamboogle_test, hotpotqa_dev, …)', () => {
    const rows = ['hotpotqa_dev', '2wikimultihopqa_dev', 'musique_dev', 'bamboogle_test'].map((dataset) => ({
      ...ours[2]!,
      dataset,
    }));
    const table = formatMetricsTable(rows, { paperRows: PAPER_TABLE_2.slice(5, 6) }).split('\n');
    expect(table.slice(0, 3)).toEqual([
      'system                    | HotpotQA EM | HotpotQA LJ | 2Wiki EM | 2Wiki LJ | MuSiQue EM | MuSiQue LJ | Bamboogle EM | Bamboogle LJ',
      '--------------------------+-------------+-------------+----------+----------+------------+------------+--------------+-------------',
      'ReSearch-Qwen-7B-Instruct |       43.52 |       63.62 |    47.59 |    54.22 |      22.30 |      33.43 |        42.40 |        54.40',
    ]);
    // the detail table keeps the file's name, a row per dataset
    expect(table.slice(8, 12).map((line) => line.split(' | ')[0]!.trim())).toEqual([
      'hotpotqa_dev',
      '2wikimultihopqa_dev',
      'musique_dev',
      'bamboogle_test',
    ]);
  });

  it('maps 2wiki names onto the paper column', () => {
    const table = formatMetricsTable([{ ...ours[2]!, dataset: '2WikiMultihopQA' }], {
      paperRows: PAPER_TABLE_2.slice(0, 1),
    });
    expect(table.split('\n').slice(0, 3)).toEqual([
      'system                                 | 2Wiki EM | 2Wiki LJ',
      '---------------------------------------+----------+---------',
      'Naive Generation (Qwen2.5-7B-Instruct) |    25.76 |    27.87',
    ]);
  });
});
