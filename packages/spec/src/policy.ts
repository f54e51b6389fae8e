/** Sampling settings of one generation. `temperature: 0` means greedy. */
export interface SamplingOptions {
  temperature?: number;
  /** Nucleus sampling: keep the smallest set of tokens whose probability reaches `topP` (1 = off). */
  topP?: number;
  /** Keep the `topK` most likely tokens (0 or undefined = off). */
  topK?: number;
  /** Seed of the sampler's RNG; the same seed and inputs give the same tokens. */
  seed?: number;
}

export interface GenerateRequest {
  /** The full context as token ids (prompt plus any earlier turns and inserted results). */
  inputIds: readonly number[];
  maxNewTokens: number;
  /** Strings that end the generation when they appear in the decoded output; the string is kept. */
  stopStrings?: readonly string[];
  /**
   * Token ids that end the generation (in addition to the policy's EOS ids); the token is kept and the
   * generation ends with `finishReason: 'eos'`.
   */
  stopTokenIds?: readonly number[];
  sampling?: SamplingOptions;
  /** Ask for the log-probabilities of the generated tokens (`GenerateResult.logprobs`). */
  logprobs?: boolean;
}

export type FinishReason = 'stop-string' | 'eos' | 'length';

export interface GenerateResult {
  /** The new token ids, including the stop token or the tokens of the stop string. */
  outputIds: number[];
  /** The decoded new text: `tokenizer.decode(outputIds)`, special tokens included. */
  text: string;
  finishReason: FinishReason;
  /** The stop string that matched, for `finishReason === 'stop-string'`. */
  stopString?: string;
  /** The stop token id that ended the generation, when `finishReason === 'eos'` and it is known. */
  stopTokenId?: number;
  /** Log-probabilities of `outputIds` under the sampling distribution, when the policy reports them. */
  logprobs?: number[];
  /**
   * False when `outputIds` were re-encoded from text (a remote server that returned no ids) and may differ
   * from the tokens the model sampled; training should refuse such ids. Absent or true: the sampled ids.
   */
  idsExact?: boolean;
  /**
   * The version of the weights that generated this result, when the policy serves weights that the trainer
   * updates (a remote server kept in step by a weight sync); absent otherwise.
   */
  weightVersion?: number;
}

export interface GenerateOptions {
  signal?: AbortSignal;
  /** Streaming: called with each new piece of text of request `index` as it is decoded. */
  onText?: (index: number, delta: string) => void;
}

/**
 * A language model that generates continuations of token-id contexts. A batch of requests may have
 * contexts of different lengths. Policies that keep a KV cache reuse it when a context extends an
 * earlier one.
 */
export interface Policy {
  readonly specificationVersion: 'v1';
  readonly name: string;
  generate(requests: readonly GenerateRequest[], options?: GenerateOptions): Promise<GenerateResult[]>;
}
