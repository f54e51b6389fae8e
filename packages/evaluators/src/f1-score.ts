import { toList } from './exact-match';
import { answerTokens, normalizeAnswer } from './normalize-answer';

export interface TokenScores {
  f1: number;
  precision: number;
  recall: number;
}

const specialAnswers: ReadonlySet<string> = new Set(['yes', 'no', 'noanswer']);

/**
 * Token-level F1 of a prediction against one golden answer (HotpotQA `f1_score`,
 * research-paper.md §5.2):
 * - if either normalized side is `yes`, `no` or `noanswer` and the two differ → all 0;
 * - `common` = multiset intersection of the two token lists (Python `Counter &`); none → all 0;
 * - `precision = common / |prediction tokens|`, `recall = common / |gold tokens|`,
 *   `f1 = 2·precision·recall / (precision + recall)`.
 */
export function tokenScores(prediction: string, goldenAnswer: string): TokenScores {
  const normalizedPrediction = normalizeAnswer(prediction);
  const normalizedGold = normalizeAnswer(goldenAnswer);
  if (
    normalizedPrediction !== normalizedGold &&
    (specialAnswers.has(normalizedPrediction) || specialAnswers.has(normalizedGold))
  ) {
    return { f1: 0, precision: 0, recall: 0 };
  }
  const predictionTokens = answerTokens(prediction);
  const goldTokens = answerTokens(goldenAnswer);
  const goldCounts = new Map<string, number>();
  for (const token of goldTokens) goldCounts.set(token, (goldCounts.get(token) ?? 0) + 1);
  let common = 0;
  for (const token of predictionTokens) {
    const left = goldCounts.get(token) ?? 0;
    if (left > 0) {
      common += 1;
      goldCounts.set(token, left - 1);
    }
  }
  if (common === 0) return { f1: 0, precision: 0, recall: 0 };
  const precision = common / predictionTokens.length;
  const recall = common / goldTokens.length;
  return { f1: (2 * precision * recall) / (precision + recall), precision, recall };
}

/**
 * Token F1 against several golden answers, as ReSearch's `get_f1_score` and FlashRAG's `F1_Score`
 * compute it: the maximum over the golden answers of **each** of f1, precision and recall, taken
 * separately (so `precision` and `recall` may come from different golden answers). `f1` is the
 * maximum F1 over the golden answers, the value the ReSearch reward uses. A single string counts as
 * a one-item list; an empty list scores 0. `""` against `""` scores 0 (no tokens), though its EM is 1.
 */
export function f1Score(prediction: string, goldenAnswers: string | readonly string[]): TokenScores {
  const best: TokenScores = { f1: 0, precision: 0, recall: 0 };
  for (const gold of toList(goldenAnswers)) {
    const scores = tokenScores(prediction, gold);
    best.f1 = Math.max(best.f1, scores.f1);
    best.precision = Math.max(best.precision, scores.precision);
    best.recall = Math.max(best.recall, scores.recall);
  }
  return best;
}
