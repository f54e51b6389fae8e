export interface RewardInput {
  /** The response text (model text and inserted results), without the prompt. */
  response: string;
  goldenAnswers: readonly string[];
  /** Whether the response ended with an EOS token (ReSearch scores 0 otherwise). */
  endedWithEos: boolean;
  question?: string;
}

export interface RewardResult {
  /** The scalar reward. */
  score: number;
  /** Whether the response passed the format rules. */
  formatOk: boolean;
  /** Why the score is what it is: `'ok'`, or a format failure or scoring reason (`'search-unclosed'`, `'over-length'`). */
  reason: string;
  /** The extracted answer, when one was found. */
  prediction?: string;
  /** Named parts of the score for metrics (e.g. `{ f1: 0.5, format: 1 }`). */
  components: Record<string, number>;
}

/** A rule reward over one response. Pure: the same input gives the same result. */
export interface RewardFunction {
  readonly specificationVersion: 'v1';
  readonly name: string;
  score(input: RewardInput): RewardResult;
}
