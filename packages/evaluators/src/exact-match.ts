import { normalizeAnswer } from './normalize-answer';

/**
 * FlashRAG `ExactMatch` (research-paper.md §1.8, §5.3): 1 when the normalized prediction equals the
 * normalized form of any golden answer, else 0. A single string counts as a one-item list; an
 * empty list scores 0. `""` against `""` (and `"A"` against `"a"`, both normalizing to `""`) is 1.
 */
export function exactMatch(prediction: string, goldenAnswers: string | readonly string[]): 0 | 1 {
  const normalizedPrediction = normalizeAnswer(prediction);
  for (const gold of toList(goldenAnswers)) {
    if (normalizeAnswer(gold) === normalizedPrediction) return 1;
  }
  return 0;
}

/** Python's `if isinstance(golden_answers, str): golden_answers = [golden_answers]`. */
export function toList(goldenAnswers: string | readonly string[]): readonly string[] {
  return typeof goldenAnswers === 'string' ? [goldenAnswers] : goldenAnswers;
}
