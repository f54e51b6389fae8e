import { InvalidConfigError, InvalidInputError } from '@research-ts/spec';
import { expectLength, expectNumber, rowCount, type MaskArray, type RealArray } from './batch-shape';
import { k3ValueAndSlope, klEstimatorRule, klKernelOf, type KlEstimator } from './kl-estimators';
import { computeAggregationWeights, type LossAggregation } from './loss-aggregation';
import {
  policyLossKnobs,
  policyLossRowWeights,
  policyLossRule,
  policyLosses,
  type PolicyLossDefaults,
  type PolicyLossName,
  type PolicyLossRule,
  type PolicyLossVariantSettings,
} from './policy-losses';
import type { PolicyLossKernel, ResolvedPolicyLossSettings } from './policy-losses-kernel';
import { checkTokenWeights } from './policy-loss-token-weights';

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

/** ReSearch's recipe (verl config as in research-paper §1.5), the defaults of {@link computeActorLoss}. */
export const researchActorLossDefaults = {
  policyLoss: 'vanilla',
  clipLow: 0.2,
  clipHigh: 0.2,
  dualClip: undefined,
  logRatioClamp: 20,
  klEstimator: 'k3',
  klCoefficient: 0.001,
  entropyCoefficient: 0.001,
  aggregation: { mode: 'token-mean' },
} as const satisfies Required<
  Omit<ActorLossOptions, keyof ActorLossBatch | 'out' | 'dualClip' | keyof PolicyLossVariantSettings>
> & {
  dualClip: undefined;
};

/**
 * {@link researchActorLossDefaults} with the defaults of `policyLoss` over them (e.g. gspo: clip 3e-4 / 4e-4 and
 * seq-mean-token-mean): the defaults a trainer should spread under the user's options when it selects a loss.
 */
export function actorLossDefaultsFor(policyLoss: PolicyLossName) {
  return { ...researchActorLossDefaults, ...policyLossRule(policyLoss).defaults, policyLoss };
}

/** The values a loss knob may take, as the math of {@link computeActorLoss} states them. */
export interface LossSettingRule {
  holds(value: number): boolean;
  /** The rule in words (`must be in [0, 1)`), for the error that names the knob. */
  readonly rule: string;
}

/**
 * The admissible values of the loss knobs. A configuration can check its fields against these before
 * any work (a clip of 1 would clamp the ratio below at 0), and {@link computeActorLoss} and
 * `createGrpoTrainer` apply the same rules.
 */
export const actorLossSettingRules = {
  /** The ratio's lower bound `1 − clipLow` must stay above 0. */
  clipLow: { holds: (value) => value >= 0 && value < 1, rule: 'must be in [0, 1)' },
  clipHigh: { holds: (value) => value >= 0 && Number.isFinite(value), rule: 'must be a finite number ≥ 0' },
  dualClip: { holds: (value) => value > 1, rule: 'must be > 1 (verl asserts clip_ratio_c > 1)' },
  logRatioClamp: { holds: (value) => value > 0, rule: 'must be > 0 (Infinity for none)' },
  klCoefficient: { holds: Number.isFinite, rule: 'must be finite' },
  entropyCoefficient: { holds: Number.isFinite, rule: 'must be finite' },
  tauPositive: { holds: positiveFinite, rule: 'must be a finite number > 0' },
  tauNegative: { holds: positiveFinite, rule: 'must be a finite number > 0' },
  clipCovRatio: { holds: (value) => value > 0 && value <= 1, rule: 'must be in (0, 1] (verl asserts > 0)' },
  clipCovLower: { holds: () => true, rule: 'must be a number' },
  clipCovUpper: { holds: () => true, rule: 'must be a number' },
  clipCovSeed: {
    holds: (value) => Number.isInteger(value) && value >= 0 && value <= 0xffffffff,
    rule: 'must be an integer in [0, 2^32)',
  },
  klCovRatio: { holds: (value) => value > 0 && value <= 1, rule: 'must be in (0, 1] (verl asserts > 0)' },
  klCovCoefficient: { holds: Number.isFinite, rule: 'must be finite' },
} as const satisfies Record<
  Exclude<keyof PolicyLossSettings, 'policyLoss'> | 'klCoefficient' | 'entropyCoefficient',
  LossSettingRule
>;

function positiveFinite(value: number): boolean {
  return value > 0 && Number.isFinite(value);
}

/**
 * Throws an `InvalidConfigError` naming `prefix + knob` for the first knob that breaks {@link actorLossSettingRules},
 * for an unknown `policyLoss`, and for a loss-specific knob (`dualClip`, `tauPositive`, `clipCovRatio`, …) set
 * for a loss that does not read it.
 */
export function checkActorLossSettings(
  settings: Partial<Record<keyof typeof actorLossSettingRules, number | undefined>> & {
    policyLoss?: PolicyLossName | undefined;
  },
  prefix = '',
): void {
  const policyLoss = settings.policyLoss ?? researchActorLossDefaults.policyLoss;
  const lossRule = policyLossRule(policyLoss, `${prefix}policyLoss`);
  for (const [knob, { holds, rule }] of Object.entries(actorLossSettingRules) as [
    keyof typeof actorLossSettingRules,
    LossSettingRule,
  ][]) {
    const value = settings[knob];
    if (value !== undefined) expectNumber(`${prefix}${knob}`, value, holds, rule);
  }
  for (const knob of policyLossKnobs) {
    if (settings[knob] === undefined || (lossRule.reads as readonly string[]).includes(knob)) continue;
    const readers = Object.entries(policyLosses)
      .filter(([, rule]) => (rule.reads as readonly string[]).includes(knob))
      .map(([name]) => name);
    throw new InvalidConfigError(
      `${prefix}${knob}`,
      `is not read by policyLoss "${policyLoss}" (only by ${readers.join(', ')})`,
    );
  }
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
  const defaults = researchActorLossDefaults;
  const { logprobs, oldLogprobs, advantages, mask, responseLength, refLogprobs, entropies, tokenWeights } = options;
  const policyLoss = options.policyLoss ?? defaults.policyLoss;
  const lossRule = policyLossRule(policyLoss);
  const lossDefaults: PolicyLossDefaults = lossRule.defaults;
  const clipLow = options.clipLow ?? lossDefaults.clipLow ?? defaults.clipLow;
  const clipHigh = options.clipHigh ?? lossDefaults.clipHigh ?? defaults.clipHigh;
  const dualClip = options.dualClip;
  const logRatioClamp = options.logRatioClamp ?? lossDefaults.logRatioClamp ?? defaults.logRatioClamp;
  const klCoefficient = options.klCoefficient ?? defaults.klCoefficient;
  const entropyCoefficient = options.entropyCoefficient ?? defaults.entropyCoefficient;
  const aggregation = options.aggregation ?? lossDefaults.aggregation ?? defaults.aggregation;
  const klRule = klEstimatorRule(options.klEstimator ?? defaults.klEstimator);
  const variantSettings = variantSettingsOf(options);

  checkActorLossSettings({
    policyLoss,
    clipLow,
    clipHigh,
    dualClip,
    logRatioClamp,
    klCoefficient,
    entropyCoefficient,
    ...variantSettings,
  });

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
  const perTokenAdvantages = advantages.length === size;
  if (refLogprobs !== undefined) expectLength('refLogprobs', refLogprobs, size, shape);
  else if (klCoefficient !== 0) {
    throw new InvalidInputError(
      'refLogprobs are required when klCoefficient ≠ 0 (pass klCoefficient: 0 to train without a reference)',
      {
        field: 'refLogprobs',
      },
    );
  }
  if (entropies !== undefined) expectLength('entropies', entropies, size, shape);
  else if (entropyCoefficient !== 0) {
    throw new InvalidInputError(
      'entropies are required when entropyCoefficient ≠ 0 (pass entropyCoefficient: 0 to omit the bonus)',
      {
        field: 'entropies',
      },
    );
  }
  if (tokenWeights !== undefined) checkTokenWeights(tokenWeights, mask, responseLength);
  const gradLogprobs = options.out?.gradLogprobs ?? new Float32Array(size);
  const gradEntropies = options.out?.gradEntropies ?? new Float32Array(size);
  expectLength('out.gradLogprobs', gradLogprobs, size, shape);
  expectLength('out.gradEntropies', gradEntropies, size, shape);

  const { rowWeights, rowMaskSums } = computeAggregationWeights(mask, responseLength, aggregation);
  const klKernel = kernelCodes[klKernelOf(options.klEstimator ?? defaults.klEstimator)];
  if (lossRule.kernel !== 'fused') {
    const { sums, surrogate } = runPolicyLossKernel(lossRule.kernel, {
      logprobs,
      oldLogprobs,
      advantages,
      perTokenAdvantages,
      mask,
      refLogprobs: refLogprobs ?? null,
      entropies: entropies ?? null,
      tokenWeights: tokenWeights ?? null,
      rowWeights,
      rowMaskSums,
      batch,
      responseLength,
      klCoefficient,
      entropyCoefficient,
      klKernel,
      klValue: klRule.value,
      klGradient: klRule.gradient,
      gradLogprobs,
      gradEntropies,
      lossRule,
      aggregation,
      settings: resolveSettings(lossDefaults, variantSettings, clipLow, clipHigh, logRatioClamp),
    });
    return actorLossResult(sums, surrogate, { klCoefficient, entropyCoefficient, rowMaskSums, options }, [
      gradLogprobs,
      gradEntropies,
    ]);
  }
  const sums = runTokenPass({
    logprobs,
    oldLogprobs,
    advantages,
    perTokenAdvantages,
    mask,
    refLogprobs: refLogprobs ?? null,
    entropies: entropies ?? null,
    tokenWeights: tokenWeights ?? null,
    rowWeights,
    batch,
    responseLength,
    ratioLow: 1 - clipLow,
    ratioHigh: 1 + clipHigh,
    dualClip: dualClip ?? 0,
    logRatioClamp,
    klCoefficient,
    entropyCoefficient,
    klKernel,
    klValue: klRule.value,
    klGradient: klRule.gradient,
    gradLogprobs,
    gradEntropies,
  });
  const maskSum = sums[Sum.maskSum]!;
  const maskedMean = (sum: number) => (maskSum === 0 ? 0 : sum / maskSum);
  const surrogate: SurrogateSummary = {
    pgLoss: sums[Sum.pgLoss]!,
    pgClipFrac: maskedMean(sums[Sum.clipped]!),
    pgClipFracLower: maskedMean(sums[Sum.clippedLower]!),
    ppoKl: maskedMean(sums[Sum.negativeLogRatio]!),
  };
  return actorLossResult(sums, surrogate, { klCoefficient, entropyCoefficient, rowMaskSums, options }, [
    gradLogprobs,
    gradEntropies,
  ]);
}

/** The surrogate's value and verl's metrics for it (what a policy-loss kernel returns). */
interface SurrogateSummary {
  pgLoss: number;
  pgClipFrac: number;
  pgClipFracLower: number;
  ppoKl: number;
  selectedTokenCount?: number;
}

/** The loss and its metrics from the pass's sums and the surrogate's summary. */
function actorLossResult(
  sums: Float64Array,
  surrogate: SurrogateSummary,
  context: {
    klCoefficient: number;
    entropyCoefficient: number;
    rowMaskSums: Float64Array;
    options: Pick<ActorLossOptions, 'refLogprobs' | 'entropies'>;
  },
  [gradLogprobs, gradEntropies]: [Float32Array, Float32Array],
): ActorLossResult {
  const { klCoefficient, entropyCoefficient, rowMaskSums, options } = context;
  const pgLoss = surrogate.pgLoss;
  const klLoss = sums[Sum.klLoss]!;
  const entropyLoss = sums[Sum.entropyLoss]!;
  const maskSum = sums[Sum.maskSum]!;
  const tokenCount = sums[Sum.tokenCount]!;
  const nonFiniteTokenCount = sums[Sum.nonFiniteTokenCount]!;
  const loss = pgLoss - entropyCoefficient * entropyLoss + klCoefficient * klLoss;
  const maskedMean = (sum: number) => (maskSum === 0 ? 0 : sum / maskSum);
  // advantages are accumulated shifted by the first one in the loss, for a stable std
  const shiftedSum = sums[Sum.advantageShiftedSum]!;
  const advantageMean = tokenCount === 0 ? 0 : sums[Sum.advantageShift]! + shiftedSum / tokenCount;
  const advantageVariance =
    tokenCount < 2
      ? 0
      : (sums[Sum.advantageShiftedSquares]! - (shiftedSum * shiftedSum) / tokenCount) / (tokenCount - 1);
  let sequenceCount = 0;
  for (const sum of rowMaskSums) if (sum > 0) sequenceCount++;
  const metrics: ActorLossMetrics = {
    loss,
    pgLoss,
    pgClipFrac: surrogate.pgClipFrac,
    pgClipFracLower: surrogate.pgClipFracLower,
    ppoKl: surrogate.ppoKl,
    ratioMean: maskedMean(sums[Sum.ratio]!),
    ratioMin: tokenCount === 0 ? 0 : sums[Sum.ratioMin]!,
    ratioMax: tokenCount === 0 ? 0 : sums[Sum.ratioMax]!,
    advantageMean,
    advantageStd: Math.sqrt(Math.max(0, advantageVariance)),
    advantageMin: tokenCount === 0 ? 0 : sums[Sum.advantageMin]!,
    advantageMax: tokenCount === 0 ? 0 : sums[Sum.advantageMax]!,
    tokenCount,
    sequenceCount,
    nonFiniteTokenCount,
    isFinite: Number.isFinite(loss) && nonFiniteTokenCount === 0,
  };
  if (surrogate.selectedTokenCount !== undefined) metrics.selectedTokenCount = surrogate.selectedTokenCount;
  if (options.refLogprobs !== undefined) metrics.klLoss = klLoss;
  if (options.entropies !== undefined) metrics.entropy = entropyLoss;
  return { loss, gradLogprobs, gradEntropies, metrics };
}

/** The loss-specific knobs as passed (undefined when not), for the check and for {@link resolveSettings}. */
function variantSettingsOf(options: PolicyLossVariantSettings): PolicyLossVariantSettings {
  const { tauPositive, tauNegative, clipCovRatio, clipCovLower, clipCovUpper, clipCovSeed, klCovRatio } = options;
  return {
    tauPositive,
    tauNegative,
    clipCovRatio,
    clipCovLower,
    clipCovUpper,
    clipCovSeed,
    klCovRatio,
    klCovCoefficient: options.klCovCoefficient,
  };
}

/** Every knob a kernel reads: the option, else the loss's default (NaN for a knob the loss does not read). */
function resolveSettings(
  lossDefaults: PolicyLossDefaults,
  passed: PolicyLossVariantSettings,
  clipLow: number,
  clipHigh: number,
  logRatioClamp: number,
): ResolvedPolicyLossSettings {
  const pick = (knob: keyof PolicyLossVariantSettings) => passed[knob] ?? lossDefaults[knob] ?? Number.NaN;
  return {
    clipLow,
    clipHigh,
    logRatioClamp,
    tauPositive: pick('tauPositive'),
    tauNegative: pick('tauNegative'),
    clipCovRatio: pick('clipCovRatio'),
    clipCovLower: pick('clipCovLower'),
    clipCovUpper: pick('clipCovUpper'),
    clipCovSeed: pick('clipCovSeed'),
    klCovRatio: pick('klCovRatio'),
    klCovCoefficient: pick('klCovCoefficient'),
  };
}

/** Slots of the accumulator array returned by {@link runTokenPass}. */
const enum Sum {
  pgLoss,
  klLoss,
  entropyLoss,
  maskSum,
  clipped,
  clippedLower,
  negativeLogRatio,
  ratio,
  ratioMin,
  ratioMax,
  tokenCount,
  nonFiniteTokenCount,
  advantageShift,
  advantageShiftedSum,
  advantageShiftedSquares,
  advantageMin,
  advantageMax,
  length,
}

/** Scratch for {@link k3ValueAndSlope}: value, slope. */
const k3Pair = new Float64Array(2);

const kernelCodes = { generic: 0, k3: 1, 'k3-straight-through': 2, 'k3-unclamped': 3 } as const;

interface TokenPass {
  logprobs: RealArray;
  oldLogprobs: RealArray;
  advantages: RealArray;
  perTokenAdvantages: boolean;
  mask: MaskArray;
  refLogprobs: RealArray | null;
  entropies: RealArray | null;
  /** The surrogate's factor per token; `null`: 1 (the KL and entropy terms never read it). */
  tokenWeights: RealArray | null;
  rowWeights: Float64Array;
  batch: number;
  responseLength: number;
  ratioLow: number;
  ratioHigh: number;
  /** 0 when off. */
  dualClip: number;
  logRatioClamp: number;
  klCoefficient: number;
  entropyCoefficient: number;
  /** One of {@link kernelCodes}. */
  klKernel: number;
  klValue: (logprob: number, ref: number) => number;
  klGradient: (logprob: number, ref: number) => number;
  gradLogprobs: Float32Array;
  gradEntropies: Float32Array;
}

/**
 * The fused per-token loop: writes both gradients and returns the weighted sums. It is its own small
 * function so that V8 keeps its optimized code across calls (a loop inside a function that is called
 * once per step would run from the interpreter until on-stack replacement, every step).
 */
function runTokenPass(pass: TokenPass): Float64Array {
  const { logprobs, oldLogprobs, advantages, perTokenAdvantages, mask, refLogprobs, entropies, rowWeights } = pass;
  const { batch, responseLength, ratioLow, ratioHigh, dualClip, logRatioClamp, klCoefficient, entropyCoefficient } =
    pass;
  const { tokenWeights } = pass;
  const { klKernel, klValue, klGradient, gradLogprobs, gradEntropies } = pass;
  const useDualClip = dualClip !== 0;
  let pgLoss = 0;
  let klLoss = 0;
  let entropyLoss = 0;
  let maskSum = 0;
  let clippedSum = 0;
  let clippedLowerSum = 0;
  let negativeLogRatioSum = 0;
  let ratioSum = 0;
  let ratioMin = Number.POSITIVE_INFINITY;
  let ratioMax = Number.NEGATIVE_INFINITY;
  let tokenCount = 0;
  let nonFiniteTokenCount = 0;
  let advantageShift = Number.NaN;
  let advantageShiftedSum = 0;
  let advantageShiftedSquares = 0;
  let advantageMin = Number.POSITIVE_INFINITY;
  let advantageMax = Number.NEGATIVE_INFINITY;

  for (let row = 0, offset = 0; row < batch; row++, offset += responseLength) {
    const rowWeight = rowWeights[row]!;
    const rowAdvantage = perTokenAdvantages ? 0 : advantages[row]!;
    for (let t = 0; t < responseLength; t++) {
      const index = offset + t;
      const m = mask[index]!;
      if (m === 0) {
        gradLogprobs[index] = 0;
        gradEntropies[index] = 0;
        continue;
      }
      const weight = rowWeight * m;
      const logprob = logprobs[index]!;
      const advantage = perTokenAdvantages ? advantages[index]! : rowAdvantage;

      // Clipped surrogate and d L / d ratio.
      const logRatio = logprob - oldLogprobs[index]!;
      const logRatioPasses = logRatio >= -logRatioClamp && logRatio <= logRatioClamp;
      const clampedLogRatio =
        logRatio < -logRatioClamp ? -logRatioClamp : logRatio > logRatioClamp ? logRatioClamp : logRatio;
      const ratio = Math.exp(clampedLogRatio);
      const clippedRatio = ratio < ratioLow ? ratioLow : ratio > ratioHigh ? ratioHigh : ratio;
      const unclippedLoss = -advantage * ratio;
      const clippedLoss = -advantage * clippedRatio;
      let surrogate: number;
      let dSurrogateDRatio: number;
      if (unclippedLoss > clippedLoss) {
        surrogate = unclippedLoss;
        dSurrogateDRatio = -advantage;
      } else if (unclippedLoss < clippedLoss) {
        surrogate = clippedLoss;
        dSurrogateDRatio = 0;
        clippedSum += m;
      } else {
        // A tie: autograd's max sends half to each side; the clamp passes its half only inside the range.
        surrogate = unclippedLoss;
        dSurrogateDRatio = ratio >= ratioLow && ratio <= ratioHigh ? -advantage : -0.5 * advantage;
      }
      if (useDualClip && advantage < 0) {
        const floorLoss = -advantage * dualClip;
        if (surrogate > floorLoss) {
          surrogate = floorLoss;
          dSurrogateDRatio = 0;
          clippedLowerSum += m;
        } else if (surrogate === floorLoss) {
          dSurrogateDRatio *= 0.5;
        }
      }
      // the token weight scales the surrogate alone (× 1 without weights: the same bits)
      const tokenWeight = tokenWeights === null ? 1 : tokenWeights[index]!;
      let gradient = logRatioPasses ? tokenWeight * dSurrogateDRatio * ratio : 0;
      pgLoss += weight * tokenWeight * surrogate;

      let finite = logRatio - logRatio === 0 && advantage - advantage === 0;
      if (refLogprobs !== null) {
        const ref = refLogprobs[index]!;
        let klTerm: number;
        let klSlope: number;
        if (klKernel === kernelCodes.generic) {
          klTerm = klValue(logprob, ref);
          klSlope = klGradient(logprob, ref);
        } else {
          // the k3 family with one exp (kl-estimators.ts holds its one definition)
          k3ValueAndSlope(logprob, ref, klKernel !== kernelCodes['k3-unclamped'], k3Pair);
          klTerm = k3Pair[0]!;
          klSlope = klKernel === kernelCodes['k3-straight-through'] ? logprob - ref : k3Pair[1]!;
        }
        klLoss += weight * klTerm;
        gradient += klCoefficient * klSlope;
        finite = finite && ref - ref === 0;
      }
      if (entropies !== null) {
        const entropy = entropies[index]!;
        entropyLoss += weight * entropy;
        finite = finite && entropy - entropy === 0;
      }
      gradLogprobs[index] = weight * gradient;
      gradEntropies[index] = -entropyCoefficient * weight;

      maskSum += m;
      negativeLogRatioSum -= clampedLogRatio * m;
      ratioSum += ratio * m;
      if (ratio < ratioMin) ratioMin = ratio;
      if (ratio > ratioMax) ratioMax = ratio;
      if (tokenCount === 0) advantageShift = advantage;
      tokenCount++;
      const shifted = advantage - advantageShift;
      advantageShiftedSum += shifted;
      advantageShiftedSquares += shifted * shifted;
      if (advantage < advantageMin) advantageMin = advantage;
      if (advantage > advantageMax) advantageMax = advantage;
      if (!finite) nonFiniteTokenCount++;
    }
  }

  const sums = new Float64Array(Sum.length);
  sums[Sum.pgLoss] = pgLoss;
  sums[Sum.klLoss] = klLoss;
  sums[Sum.entropyLoss] = entropyLoss;
  sums[Sum.maskSum] = maskSum;
  sums[Sum.clipped] = clippedSum;
  sums[Sum.clippedLower] = clippedLowerSum;
  sums[Sum.negativeLogRatio] = negativeLogRatioSum;
  sums[Sum.ratio] = ratioSum;
  sums[Sum.ratioMin] = ratioMin;
  sums[Sum.ratioMax] = ratioMax;
  sums[Sum.tokenCount] = tokenCount;
  sums[Sum.nonFiniteTokenCount] = nonFiniteTokenCount;
  sums[Sum.advantageShift] = advantageShift;
  sums[Sum.advantageShiftedSum] = advantageShiftedSum;
  sums[Sum.advantageShiftedSquares] = advantageShiftedSquares;
  sums[Sum.advantageMin] = advantageMin;
  sums[Sum.advantageMax] = advantageMax;
  return sums;
}

interface KernelPass extends Omit<TokenPass, 'ratioLow' | 'ratioHigh' | 'dualClip' | 'logRatioClamp'> {
  rowMaskSums: Float64Array;
  lossRule: PolicyLossRule;
  aggregation: LossAggregation;
  settings: ResolvedPolicyLossSettings;
}

/**
 * A policy loss with its own kernel: the kernel writes the surrogate's gradient (weights included) to a float64
 * scratch, then {@link runRegularizerPass} adds the KL and entropy terms and the statistics, as the fused pass does.
 */
function runPolicyLossKernel(
  kernel: PolicyLossKernel,
  pass: KernelPass,
): { sums: Float64Array; surrogate: SurrogateSummary } {
  const { lossRule, mask, responseLength, aggregation, rowWeights, settings } = pass;
  const surrogateGradient = new Float64Array(pass.batch * responseLength);
  const surrogate = kernel({
    logprobs: pass.logprobs,
    oldLogprobs: pass.oldLogprobs,
    advantages: pass.advantages,
    perTokenAdvantages: pass.perTokenAdvantages,
    mask,
    batch: pass.batch,
    responseLength,
    rowMaskSums: pass.rowMaskSums,
    rowWeights: policyLossRowWeights(lossRule, mask, responseLength, aggregation, rowWeights),
    tokenWeights: pass.tokenWeights,
    settings,
    gradient: surrogateGradient,
  });
  const ratioClamp = lossRule.clampsLogRatio ? settings.logRatioClamp : Number.POSITIVE_INFINITY;
  return { sums: runRegularizerPass(pass, surrogateGradient, ratioClamp), surrogate };
}

/**
 * The KL and entropy terms, the gradients (the surrogate's from `surrogateGradient`) and the statistics of
 * {@link runTokenPass}, for a surrogate computed elsewhere. Fills the same {@link Sum} slots but the
 * surrogate's (`pgLoss`, `clipped`, `clippedLower`, `negativeLogRatio` stay 0).
 */
function runRegularizerPass(pass: KernelPass, surrogateGradient: Float64Array, ratioClamp: number): Float64Array {
  const { logprobs, oldLogprobs, advantages, perTokenAdvantages, mask, refLogprobs, entropies, rowWeights } = pass;
  const { batch, responseLength, klCoefficient, entropyCoefficient, klKernel, klValue, klGradient } = pass;
  const { gradLogprobs, gradEntropies } = pass;
  let klLoss = 0;
  let entropyLoss = 0;
  let maskSum = 0;
  let ratioSum = 0;
  let advantageShiftedSum = 0;
  let advantageShiftedSquares = 0;
  let nonFiniteTokenCount = 0;
  let ratioMin = Number.POSITIVE_INFINITY;
  let ratioMax = Number.NEGATIVE_INFINITY;
  let advantageMin = Number.POSITIVE_INFINITY;
  let advantageMax = Number.NEGATIVE_INFINITY;
  let tokenCount = 0;
  let advantageShift = Number.NaN;
  for (let row = 0, offset = 0; row < batch; row++, offset += responseLength) {
    const rowWeight = rowWeights[row]!;
    for (let t = 0; t < responseLength; t++) {
      const index = offset + t;
      const m = mask[index]!;
      if (m === 0) {
        gradLogprobs[index] = 0;
        gradEntropies[index] = 0;
        continue;
      }
      const weight = rowWeight * m;
      const logprob = logprobs[index]!;
      const advantage = perTokenAdvantages ? advantages[index]! : advantages[row]!;
      const logRatio = logprob - oldLogprobs[index]!;
      const ratio = Math.exp(logRatio < -ratioClamp ? -ratioClamp : logRatio > ratioClamp ? ratioClamp : logRatio);
      let gradient = surrogateGradient[index]!;
      let finite = logRatio - logRatio === 0 && advantage - advantage === 0;
      if (refLogprobs !== null) {
        const ref = refLogprobs[index]!;
        let klTerm: number;
        let klSlope: number;
        if (klKernel === kernelCodes.generic) {
          klTerm = klValue(logprob, ref);
          klSlope = klGradient(logprob, ref);
        } else {
          k3ValueAndSlope(logprob, ref, klKernel !== kernelCodes['k3-unclamped'], k3Pair);
          klTerm = k3Pair[0]!;
          klSlope = klKernel === kernelCodes['k3-straight-through'] ? logprob - ref : k3Pair[1]!;
        }
        klLoss += weight * klTerm;
        gradient += weight * klCoefficient * klSlope;
        finite = finite && ref - ref === 0;
      }
      if (entropies !== null) {
        const entropy = entropies[index]!;
        entropyLoss += weight * entropy;
        finite = finite && entropy - entropy === 0;
      }
      gradLogprobs[index] = gradient;
      gradEntropies[index] = -entropyCoefficient * weight;

      maskSum += m;
      ratioSum += ratio * m;
      if (ratio < ratioMin) ratioMin = ratio;
      if (ratio > ratioMax) ratioMax = ratio;
      if (tokenCount === 0) advantageShift = advantage;
      tokenCount++;
      const shifted = advantage - advantageShift;
      advantageShiftedSum += shifted;
      advantageShiftedSquares += shifted * shifted;
      if (advantage < advantageMin) advantageMin = advantage;
      if (advantage > advantageMax) advantageMax = advantage;
      if (!finite) nonFiniteTokenCount++;
    }
  }
  const sums = new Float64Array(Sum.length);
  sums[Sum.klLoss] = klLoss;
  sums[Sum.entropyLoss] = entropyLoss;
  sums[Sum.maskSum] = maskSum;
  sums[Sum.ratio] = ratioSum;
  sums[Sum.nonFiniteTokenCount] = nonFiniteTokenCount;
  sums[Sum.advantageShiftedSum] = advantageShiftedSum;
  sums[Sum.advantageShiftedSquares] = advantageShiftedSquares;
  sums[Sum.ratioMin] = ratioMin;
  sums[Sum.ratioMax] = ratioMax;
  sums[Sum.tokenCount] = tokenCount;
  sums[Sum.advantageShift] = advantageShift;
  sums[Sum.advantageMin] = advantageMin;
  sums[Sum.advantageMax] = advantageMax;
  return sums;
}
