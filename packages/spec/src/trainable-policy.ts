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
 * One optimizer update as the training step asks for it: clip the accumulated gradients to a global
 * L2 norm (`torch.nn.utils.clip_grad_norm_`), then one AdamW step (`torch.optim.AdamW`: decoupled
 * weight decay, bias correction). The training step owns the schedule; the policy owns the state.
 */
export interface ParameterUpdate {
  /** The learning rate of this update (the schedule already applied). */
  learningRate: number;
  /** AdamW's `(β1, β2)`. */
  betas: readonly [number, number];
  eps: number;
  /** Decoupled weight decay λ: `p ← p·(1 − lr·λ)`. */
  weightDecay: number;
  /** Clip the global gradient norm to this first; `Infinity` turns clipping off. */
  maxGradNorm: number;
  /**
   * The parameters this update trains (default: every parameter). The others — frozen ones — keep
   * their values and moments, and their gradients count neither in the norm nor anywhere else.
   */
  parameters?: readonly string[];
}

/** What an update did: only scalars cross from the policy (and its device) to the caller. */
export interface ParameterUpdateResult {
  /** The global gradient norm before clipping, over the trained parameters. */
  gradNorm: number;
  /** `false` when the norm was not finite: nothing changed and the gradients were discarded. */
  applied: boolean;
}

/** One tensor's AdamW moments, as PyTorch keeps them (`state[p]['step']`, `exp_avg`, `exp_avg_sq`). */
export interface AdamWParameterState {
  step: number;
  expAvg: Float32Array;
  expAvgSq: Float32Array;
}

/** The optimizer's moments by parameter name; a tensor never updated has no entry (as in PyTorch). */
export type AdamWMoments = Record<string, AdamWParameterState>;

/**
 * A policy that can be trained. The seam carries "apply this update", not raw gradient arrays, so that
 * an implementation on a GPU keeps parameters, gradients and optimizer moments on the device and only
 * scalars cross (docs/architecture.md, "The training seam"). One step:
 *
 * ```text
 * for each micro-batch: scoreTokens → (loss math on the host) → accumulateGradients
 * applyUpdate({ learningRate, …, maxGradNorm })   // clip + AdamW, gradients zeroed
 * ```
 *
 * Arrays returned by `scoreTokens` belong to the caller until the policy's next call: a policy may reuse
 * its output buffers, so a caller that keeps results across calls copies them.
 */
export interface TrainablePolicy extends Policy {
  /** The trainable parameters' names and element counts, in the policy's order (the values may live on a device). */
  readonly parameterSizes: ReadonlyMap<string, number>;
  scoreTokens(batch: TokenBatch): Promise<TokenScores>;
  /**
   * Adds to the policy's gradient accumulators the gradient, with respect to every parameter, of
   * `Σ gradLogprobs·logprobs + Σ gradEntropies·entropies` over the batch (the loss's gradients with
   * respect to the token scores). The accumulators start at zero and are zeroed by `applyUpdate` and
   * `zeroGradients`.
   */
  accumulateGradients(batch: TokenBatch, upstream: TokenScoreGradients): Promise<void>;
  /** Clips the accumulated gradients and applies one AdamW update to the parameters; zeroes the accumulators. */
  applyUpdate(update: ParameterUpdate): Promise<ParameterUpdateResult>;
  /** Discards the accumulated gradients. */
  zeroGradients(): Promise<void>;
  /** Host copies of the accumulated gradients (of the parameters that received one since they were zeroed). */
  readGradients(): Promise<Map<string, Float32Array>>;
  /** Host copies of the parameters (for checkpoints; all of them by default). */
  readParameters(names?: readonly string[]): Promise<Map<string, Float32Array>>;
  /** Host copies of the optimizer moments. */
  readOptimizerState(): Promise<AdamWMoments>;
  /** Replaces the optimizer moments (`{}` starts a fresh optimizer); sizes are checked. */
  loadOptimizerState(moments: AdamWMoments): Promise<void>;
}
