import type { JudgeVerdict } from '@research-ts/spec';
import { coverExactMatch } from './cover-exact-match';
import { exactMatch } from './exact-match';
import { f1Score } from './f1-score';

/** One evaluated question: the extracted prediction (`""` when the run was over length or unparseable). */
export interface EvaluationRecord {
  dataset: string;
  prediction: string;
  goldenAnswers: readonly string[];
  /** The judge's verdict, when the record was judged. */
  verdict?: JudgeVerdict;
}

export interface JudgeCounts {
  correct: number;
  incorrect: number;
  /** Verdicts of `status: 'failed'`: left out of `score`, reported here. */
  failed: number;
  /** Records without a verdict. */
  unjudged: number;
  /** `correct / (correct + incorrect)`; undefined when nothing was judged successfully. */
  score: number | undefined;
}

/** Metrics of one dataset; EM, F1 and cover-EM are means in [0, 1] over all its records. */
export interface DatasetMetrics {
  dataset: string;
  count: number;
  exactMatch: number;
  f1: number;
  coverExactMatch: number;
  judge: JudgeCounts;
}

/**
 * Per-dataset EM, F1 and cover-EM (FlashRAG definitions, max over golden answers) and the judge score,
 * one row per dataset in order of first appearance. The judge score is correct / judged: a failed
 * verdict is counted in `judge.failed`, never as incorrect.
 */
export function summarizeMetrics(records: Iterable<EvaluationRecord>): DatasetMetrics[] {
  const rows = new Map<string, DatasetMetrics>();
  for (const record of records) {
    let row = rows.get(record.dataset);
    if (row === undefined) {
      row = {
        dataset: record.dataset,
        count: 0,
        exactMatch: 0,
        f1: 0,
        coverExactMatch: 0,
        judge: { correct: 0, incorrect: 0, failed: 0, unjudged: 0, score: undefined },
      };
      rows.set(record.dataset, row);
    }
    row.count += 1;
    // Sums for now; divided by the count below.
    row.exactMatch += exactMatch(record.prediction, record.goldenAnswers);
    row.f1 += f1Score(record.prediction, record.goldenAnswers).f1;
    row.coverExactMatch += coverExactMatch(record.prediction, record.goldenAnswers);
    if (record.verdict === undefined) row.judge.unjudged += 1;
    else if (record.verdict.status === 'failed') row.judge.failed += 1;
    else row.judge[record.verdict.status] += 1;
  }
  return [...rows.values()].map((row) => {
    const judged = row.judge.correct + row.judge.incorrect;
    return {
      ...row,
      exactMatch: row.exactMatch / row.count,
      f1: row.f1 / row.count,
      coverExactMatch: row.coverExactMatch / row.count,
      judge: { ...row.judge, score: judged === 0 ? undefined : row.judge.correct / judged },
    };
  });
}
