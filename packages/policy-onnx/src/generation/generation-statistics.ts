/** Cumulative generation counters of an `OnnxPolicy`. */
export interface GenerationStatistics {
  /** Context tokens run through the model in prefill. */
  prefilledTokens: number;
  /** Context tokens whose keys and values were taken from the cache pool instead. */
  reusedTokens: number;
  /** Batched decode steps. */
  decodeSteps: number;
  /** Tokens fed in decode steps (the sum of the batch sizes). */
  decodedTokens: number;
}
