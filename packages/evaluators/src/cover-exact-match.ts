import { toList } from './exact-match';
import { normalizeAnswer } from './normalize-answer';

/**
 * Cover exact match (FlashRAG `Sub_ExactMatch`, reported as `acc`; Search-R1 `subem_check`;
 * the "Cover-EM" of R1-Searcher): 1 when the normalized form of any golden answer is a substring
 * of the normalized prediction, else 0. It is a character substring test, not a token test:
 * `"cat"` covers `"concatenate"`. A golden answer that normalizes to `""` (say `"the"`) is covered by
 * every prediction.
 */
export function coverExactMatch(prediction: string, goldenAnswers: string | readonly string[]): 0 | 1 {
  const normalizedPrediction = normalizeAnswer(prediction);
  for (const gold of toList(goldenAnswers)) {
    if (normalizedPrediction.includes(normalizeAnswer(gold))) return 1;
  }
  return 0;
}
