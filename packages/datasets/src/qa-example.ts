/** One question with its accepted answers, whatever file it came from. */
export interface QaExample {
  /** The record's id (FlashRAG `id`, a number turned into its decimal string), or `${basename}-${index}` for arrays. */
  id: string;
  question: string;
  /** Every accepted answer (FlashRAG `golden_answers`, aliases included); never empty. */
  goldenAnswers: string[];
  /** The record's other fields, unchanged; absent when it has none. */
  metadata?: Record<string, unknown>;
}

/** A question in FlashRAG's JSONL layout, as `writeJsonl` should write it. */
export interface FlashRagQuestion {
  id: string;
  question: string;
  golden_answers: string[];
  [field: string]: unknown;
}

/**
 * The FlashRAG record of an example: `{ id, question, golden_answers, ...metadata }`. Metadata fields come
 * first, so they never replace the three core fields. `readQuestionsJsonl` reads it back as the same example.
 */
export function toFlashRagQuestion(example: QaExample): FlashRagQuestion {
  return {
    ...example.metadata,
    id: example.id,
    question: example.question,
    golden_answers: [...example.goldenAnswers],
  };
}
