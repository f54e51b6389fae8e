export interface JudgeItem {
  question: string;
  goldenAnswers: readonly string[];
  prediction: string;
}

/** `failed` means the judge could not give a verdict (after retries); it is never counted as correct or incorrect. */
export type JudgeVerdict = { status: 'correct' | 'incorrect'; rationale: string } | { status: 'failed'; error: string };

/** An LLM (or other) judge of answers against golden answers. */
export interface Judge {
  readonly specificationVersion: 'v1';
  readonly name: string;
  judge(items: readonly JudgeItem[], options?: { signal?: AbortSignal }): Promise<JudgeVerdict[]>;
}
