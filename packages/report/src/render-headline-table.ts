import { escapeHtml } from './escape-html';
import { formatNumber } from './format-number';
import type { MetricsRecord } from './metrics-record';

/** The evaluation lines the headline table reads (see FORMAT.md). */
export interface HeadlineRecords {
  /** `kind: 'eval'` lines: the held-out questions with the training retriever. */
  evaluations: readonly MetricsRecord[];
  /** `kind: 'eval-ablation'` (a retriever that returns nothing) and `kind: 'eval-decoy'` (names permuted) lines. */
  ablations: readonly MetricsRecord[];
}

const latest = (records: readonly MetricsRecord[], kind?: string) =>
  records
    .filter((record) => kind === undefined || record.kind === kind)
    .reduce<MetricsRecord | undefined>(
      (last, record) => (last === undefined || record.step >= last.step ? record : last),
      undefined,
    );

const fixed = (value: number | undefined, digits = 3) => (value === undefined ? '—' : value.toFixed(digits));

/**
 * The run's headline numbers, as `train` prints them: held-out EM and F1 of the latest evaluation, and,
 * when the metrics hold them, EM with a retriever that returns nothing and the permuted-corpus rows.
 */
export function headlineRows(records: HeadlineRecords): [label: string, value: string][] {
  const heldOut = latest(records.evaluations);
  if (heldOut === undefined) return [];
  const count = heldOut.values.count;
  const rows: [string, string][] = [
    [
      `held-out EM, greedy${count === undefined ? '' : ` (${formatNumber(count)} questions)`}`,
      fixed(heldOut.values.exactMatch),
    ],
    ['held-out F1', fixed(heldOut.values.f1)],
  ];
  if (heldOut.values.searches !== undefined)
    rows.push(['held-out searches per question', fixed(heldOut.values.searches, 2)]);
  const withoutRetrieval = latest(records.ablations, 'eval-ablation');
  if (withoutRetrieval !== undefined)
    rows.push(['held-out EM, retriever returns nothing', fixed(withoutRetrieval.values.exactMatch)]);
  const permuted = latest(records.ablations, 'eval-decoy');
  if (permuted !== undefined) {
    rows.push(['names permuted in the corpus: answers as the corpus says', fixed(permuted.values.followsCorpus)]);
    rows.push(['names permuted in the corpus: EM against the real answer', fixed(permuted.values.exactMatch)]);
  }
  return rows;
}

/** The headline table as a page section; without an evaluation line, says so. */
export function renderHeadlineTable(records: HeadlineRecords): string {
  const heldOut = latest(records.evaluations);
  if (heldOut === undefined) {
    return '<section id="headline"><h2>Held-out results</h2><p class="no-data">No held-out evaluation in metrics.jsonl yet (kind "eval"; written during and at the end of training)</p></section>';
  }
  const rows = headlineRows(records)
    .map(([label, value]) => `<tr><th>${escapeHtml(label)}</th><td class="number">${escapeHtml(value)}</td></tr>`)
    .join('');
  return `<section id="headline"><h2>Held-out results <span class="unit">after step ${escapeHtml(formatNumber(heldOut.step))}</span></h2><table class="headline"><tbody>${rows}</tbody></table></section>`;
}
