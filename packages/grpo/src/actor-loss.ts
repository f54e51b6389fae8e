import { InvalidInputError } from '@research-ts/spec';
import { resolveActorLossSettings, type ResolvedActorLossSettings } from './actor-loss-settings';
import {
  actorLossResult,
  fusedSurrogateSummary,
  klKernelCodes,
  runTokenPass,
  type TokenPass,
} from './actor-loss-token-pass';
import { expectLength, rowCount, type MaskArray, type RealArray } from './batch-shape';
import { klKernelOf, type KlEstimator } from './kl-estimators';
import { computeAggregationWeights, type LossAggregation } from './loss-aggregation';
import { policyLossRowWeights, type PolicyLossName, type PolicyLossVariantSettings } from './policy-losses';
import type { PolicyLossKernel, PolicyLossKernelResult } from './policy-losses-kernel';
import { checkTokenWeights } from './policy-loss-token-weights';

export {
  actorLossDefaultsFor,
  actorLossSettingRules,
  checkActorLossSettings,
  researchActorLossDefaults,
  type LossSettingRule,
} from './actor-loss-settings';

/**
 * The policy loss's knobs. An unset knob takes the default of the selected `policyLoss`
 * (`policyLosses[name].defaults`), else the value below.
 */
export interface PolicyLossSettings extends PolicyLossVariantSettings {
  /**
   * Which surrogate (see `policyLosses`): `vanilla` (default), `dapo`, `gspo`, `cispo`, `sapo`, `geo-mean`,
   * `clip-cov`, `kl-cov`. The KL and entropy terms are the same for all.
   */
  policyLoss?: PolicyLossName;
  /** ε_low: the ratio is clipped below at `1 − clipLow`. Default 0.2 (gspo: 3e-4). */
  clipLow?: number;
  /** ε_high: the ratio is clipped above at `1 + clipHigh`. Default 0.2 (dapo: 0.28, gspo: 4e-4). */
  clipHigh?: number;
  /**
   * Dual clip `c > 1`: for `A < 0` the per-token loss is capped at `−A·c` (verl `clip_ratio_c`, 3 there).
   * Off by default: the verl bundled with ReSearch has no dual clip. Read by `vanilla` and `dapo` only.
   */
  dualClip?: number;
  /**
   * `logprob − oldLogprob` is clamped to `±logRatioClamp` before `exp` (verl: 20). `Infinity` turns it off (TRL).
   * Read by `vanilla`, `dapo`, `cispo`, `sapo`; the others have no token clamp, as in verl.
   */
  logRatioClamp?: number;
}

/** The arrays of one batch. All `[batch, responseLength]` arrays are row-major. */
export interface ActorLossBatch {
  /** `[batch, responseLength]` log π_θ of each sampled token (the policy being trained). */
  logprobs: RealArray;
  /** `[batch, responseLength]` log π_old of each sampled token (the policy that sampled it). */
  oldLogprobs: RealArray;
  /** `[batch]` per-sequence or `[batch, responseLength]` per-token advantages. */
  advantages: RealArray;
  /** `[batch, responseLength]` the loss mask: 0 for padding and for inserted `<result>` tokens. */
  mask: MaskArray;
  responseLength: number;
  /** `[batch, responseLength]` log π_ref of each sampled token; needed when `klCoefficient ≠ 0`. */
  refLogprobs?: RealArray;
  /** `[batch, responseLength]` entropy of the policy at each position; needed when `entropyCoefficient ≠ 0`. */
  entropies?: RealArray;
  /**
   * `[batch, responseLength]` a constant factor of each token's policy-loss term: the importance weights of a
   * rollout correction (`computeRolloutCorrection(…).weights`, verl `rollout_is_weights`). Each token's surrogate
   * is multiplied by its weight before the aggregation, and so is its gradient (the weights carry none); the KL and
   * entropy terms and every metric ignore them. `geo-mean`, whose loss is per sequence, multiplies each sequence's
   * loss by the geometric mean of its row's weights instead (as verl). Must be finite and ≥ 0 where the mask is ≠ 0;
   * never read where it is 0. Absent: every weight 1, and weights of 1 give the same bits as none.
   */
  tokenWeights?: RealArray;
}

export interface ActorLossOptions extends ActorLossBatch, PolicyLossSettings {
  /**
   * Default `{ mode: 'token-mean' }` (gspo, sapo: `seq-mean-token-mean`). It applies to the KL and the entropy, and
   * to the surrogate except where the policy loss fixes its own (`policyLosses[name].aggregation`).
   */
  aggregation?: LossAggregation;
  /** Default `'k3'` (verl `low_var_kl`, as ReSearch). */
  klEstimator?: KlEstimator;
  /** Default 0.001 (ReSearch `kl_loss_coef`). 0 turns the KL term off. */
  klCoefficient?: number;
  /** Default 0.001 (the `entropy_coeff` of ReSearch's verl config). 0 turns the entropy bonus off. */
  entropyCoefficient?: number;
  /** Preallocated outputs `[batch, responseLength]`, overwritten in full (reuse them across steps). */
  out?: { gradLogprobs?: Float32Array; gradEntropies?: Float32Array };
}

export interface ActorLossMetrics {
  /** The total loss: `pgLoss − entropyCoefficient·entropy + klCoefficient·klLoss`. */
  loss: number;
  /** The aggregated surrogate of the policy loss. */
  pgLoss: number;
  /** The aggregated KL estimate; absent without `refLogprobs`. */
  klLoss?: number;
  /** The aggregated entropy; absent without `entropies`. */
  entropy?: number;
  /**
   * verl `pg_clipfrac`. Vanilla: masked mean of `L2 > L1`, tokens where the clipped term won; other losses count
   * what verl counts for them (`policyLosses[name].metrics`).
   */
  pgClipFrac: number;
  /** verl `pg_clipfrac_lower`. Vanilla: masked mean of `A < 0 and Lclip > −A·c`, tokens capped by the dual clip. */
  pgClipFracLower: number;
  /** verl `ppo_kl`. Vanilla: masked mean of `−(logprob − oldLogprob)` (after the log-ratio clamp); kl-cov: of `|…|`. */
  ppoKl: number;
  /** clip-cov: tokens whose gradient was cut; kl-cov: tokens given the penalty; absent for the other losses. */
  selectedTokenCount?: number;
  /** The token ratio `exp(logprob − old)`, after the log-ratio clamp where the loss applies one. */
  ratioMean: number;
  ratioMin: number;
  ratioMax: number;
  /** Over the tokens with mask ≠ 0; the std is unbiased. */
  advantageMean: number;
  advantageStd: number;
  advantageMin: number;
  advantageMax: number;
  /** Tokens with mask ≠ 0. */
  tokenCount: number;
  /** Sequences with at least one token in the loss. */
  sequenceCount: number;
  /** Tokens in the loss with a non-finite input (logprob, old, advantage, and ref/entropy when used). */
  nonFiniteTokenCount: number;
  /** True when the loss is finite and no input in the loss was non-finite: a trainer skips the batch otherwise. */
  isFinite: boolean;
}

export interface ActorLossResult {
  loss: number;
  /** `[batch, responseLength]` d loss / d logprobs; 0 on masked tokens and where the surrogate is flat. */
  gradLogprobs: Float32Array;
  /** `[batch, responseLength]` d loss / d entropies (`−entropyCoefficient·w_i·M`). */
  gradEntropies: Float32Array;
  metrics: ActorLossMetrics;
}

/**
 * The GRPO actor loss of verl's `dp_actor` and its gradients:
 *
 * `loss = agg(L_pg) − entropyCoefficient·agg(entropy) + klCoefficient·agg(kl(logprobs, refLogprobs))`
 *
 * where `L_pg` is the surrogate of `policyLoss` (default `vanilla`; see `policyLosses` for the others and the
 * verl function each matches). The vanilla surrogate per token (`r = exp(clamp(logprob − old, ±logRatioClamp))`):
 * `L1 = −A·r`, `L2 = −A·clamp(r, 1 − clipLow, 1 + clipHigh)`, `Lclip = max(L1, L2)`, and with a dual
 * clip `L = A < 0 ? min(Lclip, −A·c) : Lclip`; it runs in one fused pass.
 *
 * Gradients follow autograd exactly, ties included: `max`/`min` of two equal values send half the
 * gradient to each side, `clamp` passes the gradient on `[min, max]` (boundaries included) and stops
 * it outside. So for vanilla `gradLogprobs` is 0 where the clipped term wins (`L2 > L1`), where the dual clip
 * caps the loss, and where the log ratio is clamped; it is `−A·r·w` inside the trust region. Where a loss
 * detaches a factor (gspo, cispo), the gradient is autograd's, not the derivative of the loss value.
 *
 * With `tokenWeights` (a rollout correction's importance weights, verl `rollout_is_weights`) each token's
 * surrogate is `w·L_pg` before the aggregation, and its gradient `w·dL_pg/dlogprob` (the weights are constants);
 * geo-mean, one loss per sequence, takes the geometric mean of the row's weights instead (`policyLosses[name]
 * .tokenWeights`). The KL and entropy terms and every metric but `loss` and `pgLoss` are those without weights.
 *
 * Masked-out tokens (mask 0) are never read: a NaN there does not reach the loss. A NaN inside the loss
 * is counted in `metrics.nonFiniteTokenCount`.
 */
export function computeActorLoss(options: ActorLossOptions): ActorLossResult {
  const settings = resolveActorLossSettings(options);
  const { batch, perTokenAdvantages, gradLogprobs, gradEntropies } = checkActorLossBatch(options, settings);
  const { mask, responseLength } = options;
  const { lossRule, klCoefficient, entropyCoefficient, klRule } = settings;
  const { rowWeights, rowMaskSums } = computeAggregationWeights(mask, responseLength, settings.aggregation);
  const kernel =
    lossRule.kernel === 'fused'
      ? null
      : runPolicyLossKernel(lossRule.kernel, options, settings, { batch, perTokenAdvantages, rowWeights, rowMaskSums });
  const pass: TokenPass = {
    logprobs: options.logprobs,
    oldLogprobs: options.oldLogprobs,
    advantages: options.advantages,
    perTokenAdvantages,
    mask,
    refLogprobs: options.refLogprobs ?? null,
    entropies: options.entropies ?? null,
    tokenWeights: options.tokenWeights ?? null,
    rowWeights,
    batch,
    responseLength,
    logRatioClamp: lossRule.clampsLogRatio ? settings.logRatioClamp : Number.POSITIVE_INFINITY,
    surrogateGradient: kernel?.gradient ?? null,
    ratioLow: 1 - settings.clipLow,
    ratioHigh: 1 + settings.clipHigh,
    dualClip: settings.dualClip ?? 0,
    klCoefficient,
    entropyCoefficient,
    klKernel: klKernelCodes[klKernelOf(settings.klEstimator)],
    klValue: klRule.value,
    klGradient: klRule.gradient,
    gradLogprobs,
    gradEntropies,
  };
  const sums = runTokenPass(pass);
  const surrogate = kernel?.result ?? fusedSurrogateSummary(sums);
  const context = { klCoefficient, entropyCoefficient, rowMaskSums, pass };
  return actorLossResult(sums, surrogate, context);
}

/**
 * A policy loss with its own kernel: the kernel writes the surrogate's gradient (weights included) to a float64
 * scratch, to which {@link runTokenPass} then adds the KL and entropy terms.
 */
function runPolicyLossKernel(
  kernel: PolicyLossKernel,
  options: ActorLossOptions,
  settings: ResolvedActorLossSettings,
  shape: { batch: number; perTokenAdvantages: boolean; rowWeights: Float64Array; rowMaskSums: Float64Array },
): { result: PolicyLossKernelResult; gradient: Float64Array } {
  const { mask, responseLength } = options;
  const gradient = new Float64Array(shape.batch * responseLength);
  const result = kernel({
    logprobs: options.logprobs,
    oldLogprobs: options.oldLogprobs,
    advantages: options.advantages,
    perTokenAdvantages: shape.perTokenAdvantages,
    mask,
    batch: shape.batch,
    responseLength,
    rowMaskSums: shape.rowMaskSums,
    rowWeights: policyLossRowWeights(settings.lossRule, mask, responseLength, settings.aggregation, shape.rowWeights),
    tokenWeights: options.tokenWeights ?? null,
    settings: settings.kernelSettings,
    gradient,
  });
  return { result, gradient };
}

/**
 * Checks the shapes of the batch, that the reference and the entropies are there when their coefficients
 * are not 0, the token weights, and the output buffers (allocated when not given).
 */
function checkActorLossBatch(options: ActorLossOptions, settings: ResolvedActorLossSettings) {
  const { logprobs, oldLogprobs, advantages, mask, responseLength, refLogprobs, entropies, tokenWeights } = options;
  const batch = rowCount('logprobs', logprobs, responseLength);
  const size = batch * responseLength;
  const shape = '[batch, responseLength]';
  expectLength('oldLogprobs', oldLogprobs, size, shape);
  expectLength('mask', mask, size, shape);
  if (advantages.length !== size && advantages.length !== batch) {
    throw new InvalidInputError(`expected ${batch} ([batch]) or ${size} (${shape}) values, got ${advantages.length}`, {
      field: 'advantages',
    });
  }
  if (refLogprobs !== undefined) expectLength('refLogprobs', refLogprobs, size, shape);
  else if (settings.klCoefficient !== 0) {
    throw new InvalidInputError(
      'refLogprobs are required when klCoefficient ≠ 0 (pass klCoefficient: 0 to train without a reference)',
      { field: 'refLogprobs' },
    );
  }
  if (entropies !== undefined) expectLength('entropies', entropies, size, shape);
  else if (settings.entropyCoefficient !== 0) {
    throw new InvalidInputError(
      'entropies are required when entropyCoefficient ≠ 0 (pass entropyCoefficient: 0 to omit the bonus)',
      { field: 'entropies' },
    );
  }
  if (tokenWeights !== undefined) checkTokenWeights(tokenWeights, mask, responseLength);
  const gradLogprobs = options.out?.gradLogprobs ?? new Float32Array(size);
  const gradEntropies = options.out?.gradEntropies ?? new Float32Array(size);
  expectLength('out.gradLogprobs', gradLogprobs, size, shape);
  expectLength('out.gradEntropies', gradEntropies, size, shape);
  return { batch, perTokenAdvantages: advantages.length === size, gradLogprobs, gradEntropies };
}
