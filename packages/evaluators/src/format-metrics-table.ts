import { paperDatasetOf } from './paper-dataset-of';
import { PAPER_TABLE_2, type PaperDataset, type PaperTableRow } from './paper-table-2';
import type { DatasetMetrics } from './summarize-metrics';

export interface FormatMetricsTableOptions {
  /** Paper rows printed above ours; default all of `PAPER_TABLE_2`; `[]` prints ours alone. */
  paperRows?: readonly PaperTableRow[];
  /** The name of our row. Default `'ours'`. */
  label?: string;
}

const datasetTitles: Record<PaperDataset, string> = {
  hotpotqa: 'HotpotQA',
  '2wikimultihopqa': '2Wiki',
  musique: 'MuSiQue',
  bamboogle: 'Bamboogle',
};

const percent = (value: number | undefined) => (value === undefined ? '-' : (value * 100).toFixed(2));

/**
 * A plain-text table: the paper's Table 2 rows and ours side by side, EM % and LJ % (LLM judge) for
 * each of our datasets, then a detail table of ours (count, EM, F1, cover-EM, LJ, judged and failed
 * verdicts). A paper row shows `-` for a dataset it does not cover, and ours shows `-` for LJ when
 * nothing was judged.
 */
export function formatMetricsTable(rows: readonly DatasetMetrics[], options: FormatMetricsTableOptions = {}): string {
  const paperRows = options.paperRows ?? PAPER_TABLE_2;
  const label = options.label ?? 'ours';
  const comparisonHeader = [
    'system',
    ...rows.flatMap((row) => [`${titleOf(row.dataset)} EM`, `${titleOf(row.dataset)} LJ`]),
  ];
  const comparisonBody = [
    ...paperRows.map((paperRow) => [
      paperRow.label,
      ...rows.flatMap((row) => {
        const dataset = paperDatasetOf(row.dataset);
        const scores = dataset === undefined ? undefined : paperRow.scores[dataset];
        return scores === undefined ? ['-', '-'] : [scores.exactMatch.toFixed(2), scores.llmJudge.toFixed(2)];
      }),
    ]),
    [label, ...rows.flatMap((row) => [percent(row.exactMatch), percent(row.judge.score)])],
  ];
  const detailHeader = ['dataset', 'n', 'EM', 'F1', 'cover-EM', 'LJ', 'judged', 'failed'];
  const detailBody = rows.map((row) => [
    row.dataset,
    String(row.count),
    percent(row.exactMatch),
    percent(row.f1),
    percent(row.coverExactMatch),
    percent(row.judge.score),
    String(row.judge.correct + row.judge.incorrect),
    String(row.judge.failed),
  ]);
  return `${renderTable(comparisonHeader, comparisonBody)}\n\n${label} (scores in %):\n${renderTable(detailHeader, detailBody)}\n`;
}

function titleOf(dataset: string): string {
  const paperDataset = paperDatasetOf(dataset);
  return paperDataset === undefined ? dataset : datasetTitles[paperDataset];
}

/** Columns padded to their widest cell; the first column left-aligned, the others right-aligned. */
function renderTable(header: readonly string[], body: readonly (readonly string[])[]): string {
  const widths = header.map((cell, column) => Math.max(cell.length, ...body.map((line) => line[column]!.length)));
  const render = (line: readonly string[]) =>
    line
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join(' | ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('-+-');
  return [render(header), rule, ...body.map(render)].join('\n');
}
