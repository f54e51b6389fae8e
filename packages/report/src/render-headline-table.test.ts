import { describe, expect, it } from 'vitest';
import { normalizeMetricsRecord } from './metrics-record';
import { headlineRows, renderHeadlineTable } from './render-headline-table';

const record = (raw: Record<string, unknown>) => normalizeMetricsRecord(raw, 1);

describe('renderHeadlineTable', () => {
  it('shows the latest evaluation and the no-retrieval and permuted-corpus rows, as train prints them', () => {
    const records = {
      evaluations: [
        record({ kind: 'eval', step: 10, count: 66, exactMatch: 0.5, f1: 0.55 }),
        record({ kind: 'eval', step: 20, count: 66, exactMatch: 0.909, f1: 0.9091, searches: 2.234 }),
      ],
      ablations: [
        record({ kind: 'eval-ablation', step: 20, exactMatch: 0.015 }),
        record({ kind: 'eval-decoy', step: 20, followsCorpus: 0.924, exactMatch: 0.03 }),
      ],
    };
    expect(headlineRows(records)).toEqual([
      ['held-out EM, greedy (66 questions)', '0.909'],
      ['held-out F1', '0.909'],
      ['held-out searches per question', '2.23'],
      ['held-out EM, retriever returns nothing', '0.015'],
      ['names permuted in the corpus: answers as the corpus says', '0.924'],
      ['names permuted in the corpus: EM against the real answer', '0.030'],
    ]);
    const html = renderHeadlineTable(records);
    expect(html).toContain('after step 20');
    expect(html).toContain('<tr><th>held-out EM, retriever returns nothing</th><td class="number">0.015</td></tr>');
  });

  it('leaves out the ablation rows the metrics do not hold, and says when there is no evaluation', () => {
    const rows = headlineRows({ evaluations: [record({ kind: 'eval', step: 3, exactMatch: 0.25 })], ablations: [] });
    expect(rows).toEqual([
      ['held-out EM, greedy', '0.250'],
      ['held-out F1', '—'],
    ]);
    expect(renderHeadlineTable({ evaluations: [], ablations: [] })).toContain(
      'No held-out evaluation in metrics.jsonl yet',
    );
  });
});
