import type { Policy } from './policy';

/**
 * A batch of token sequences, right-padded to one length. Row `b` holds its tokens at
 * `inputIds[b * length … b * length + rowLength)`, and `attentionMask` is 1 there and 0 on padding.
 */
export interface TokenBatch {
  /** `[batch, length]` row-major token ids; padding positions hold any valid id (usually the pad id). */
  inputIds: Int32Array;
  /** `[batch, length]` 1 for real tokens, 0 for padding. */
  attentionMask: Uint8Array;
  batch: number;
  length: number;
}

/**
 * Per-token scores of a batch. Position `t` of row `b` (for `t < length − 1`) scores token `t + 1`
 * given tokens `0 … t`: `logprobs` is its log-probability and `entropies` the entropy of the
 * next-token distribution at `t`. Shapes `[batch, length − 1]`.
 */
export interface TokenScores {
  logprobs: Float32Array;
  entropies: Float32Array;
}

/** Upstream gradients of a scalar loss with respect to {@link TokenScores}, same shapes. */
export interface TokenScoreGradients {
  gradLogprobs: Float32Array;
  gradEntropies: Float32Array;
}

/**
 * A policy whose parameters can be trained: it scores tokens and back-propagates gradients of those
 * scores to its parameters. The optimizer updates `parameters` in place and then calls
 * `parametersChanged()` so the policy can refresh anything derived from them (device copies, caches).
 *
 * Arrays returned by `scoreTokens` and `backward` belong to the caller until the policy's next call: a
 * policy may reuse its output buffers, so a caller that keeps results across calls copies them.
 */
export interface TrainablePolicy extends Policy {
  /** The live trainable parameters, by name (Hugging Face names for decoders), fp32. */
  readonly parameters: ReadonlyMap<string, Float32Array>;
  scoreTokens(batch: TokenBatch): Promise<TokenScores>;
  /** Gradients of the loss w.r.t. every parameter, given its gradients w.r.t. the token scores. */
  backward(batch: TokenBatch, upstream: TokenScoreGradients): Promise<Map<string, Float32Array>>;
  parametersChanged(): void;
}
