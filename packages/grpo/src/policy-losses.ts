import { InvalidConfigError } from '@research-ts/spec';
import type { MaskArray } from './batch-shape';
import { computeAggregationWeights, type LossAggregation } from './loss-aggregation';
import { cispoKernel } from './policy-losses-cispo';
import { clipCovKernel, klCovKernel } from './policy-losses-cov';
import { geoMeanKernel } from './policy-losses-geo-mean';
import { gspoKernel } from './policy-losses-gspo';
import type { PolicyLossKernel } from './policy-losses-kernel';
import { sapoKernel } from './policy-losses-sapo';

/**
 * The policy losses of verl's `POLICY_LOSS_REGISTRY` (read at verl commit 012be9d9dcb7c38499f23616142870d2682757fc,
 * `verl/trainer/ppo/core_algos.py`) plus CISPO and SAPO, which that commit does not have (written from their papers).
 * `dapo` is `vanilla` with DAPO's decoupled clip as its defaults.
 */
export type PolicyLossName = 'vanilla' | 'dapo' | 'gspo' | 'cispo' | 'sapo' | 'geo-mean' | 'clip-cov' | 'kl-cov';

/** The knobs that only some policy losses read. */
export interface PolicyLossVariantSettings {
  /** SAPO τ for tokens with `A > 0` (the paper's τ_pos). Default 1. */
  tauPositive?: number;
  /** SAPO τ for tokens with `A ≤ 0` (τ_neg; larger: the gate of negative tokens fades faster). Default 1.05. */
  tauNegative?: number;
  /** Clip-Cov: the share of the loss tokens whose gradient is cut (verl `clip_cov_ratio`). Default 0.0002. */
  clipCovRatio?: number;
  /** Clip-Cov: a token is a candidate when `clipCovLower < cov < clipCovUpper` (verl `clip_cov_lb`). Default 1. */
  clipCovLower?: number;
  /** Clip-Cov: verl `clip_cov_ub`. Default 5. */
  clipCovUpper?: number;
  /** Clip-Cov: seeds the draw among the candidates (verl draws with an unseeded `randperm`). Default 0. */
  clipCovSeed?: number;
  /** KL-Cov: the share of the loss tokens given the |log ratio| penalty (verl `kl_cov_ratio`). Default 0.0002. */
  klCovRatio?: number;
  /** KL-Cov: the penalty's coefficient (verl `policy_loss.ppo_kl_coef`, 0.1 in its config). Default 0.1. */
  klCovCoefficient?: number;
}

/** Knobs that apply to some losses only: setting one for a loss that does not read it is a config error. */
export type PolicyLossKnob = 'dualClip' | keyof PolicyLossVariantSettings;

/** A loss's defaults for the shared knobs and its own; an option that is passed wins. */
export interface PolicyLossDefaults extends PolicyLossVariantSettings {
  clipLow?: number;
  clipHigh?: number;
  logRatioClamp?: number;
  /** The aggregation of the recipe (the KL and entropy terms use it too). */
  aggregation?: LossAggregation;
}

export interface PolicyLossRule {
  readonly description: string;
  /** The verl function it matches, or the paper it is written from when the verl read lacks it. */
  readonly source: string;
  readonly paper: string;
  readonly defaults: PolicyLossDefaults;
  /** Every knob the loss reads (`clipLow`, `clipHigh`, `logRatioClamp` may be passed to any loss). */
  readonly reads: readonly (PolicyLossKnob | 'clipLow' | 'clipHigh' | 'logRatioClamp')[];
  /**
   * How the surrogate is aggregated: `option` — the `aggregation` option (as KL and entropy); `seq-mean-token-mean`
   * — always that mode, keeping the option's `globalBatchSize` and `dataParallelSize` when it has them;
   * `sequence-mean` — one loss per sequence, averaged over `globalBatchSize` (when the option has one) or all rows.
   */
  readonly aggregation: 'option' | 'seq-mean-token-mean' | 'sequence-mean';
  /** True when `logprob − old` is clamped to `±logRatioClamp` before `exp` (the ratio metrics follow it). */
  readonly clampsLogRatio: boolean;
  /**
   * How the `tokenWeights` of a rollout correction enter the surrogate, as verl applies `rollout_is_weights`:
   * `token` — each token's term (value and gradient) times its weight, before the aggregation;
   * `sequence-geometric-mean` — each sequence's loss times the geometric mean of its row's weights.
   */
  readonly tokenWeights: 'token' | 'sequence-geometric-mean';
  /** What verl's three metrics count for this loss. */
  readonly metrics: { readonly pgClipFrac: string; readonly pgClipFracLower: string; readonly ppoKl: string };
  /** `fused`: the clipped-surrogate pass of `computeActorLoss` (vanilla, dapo); else the loss's own kernel. */
  readonly kernel: PolicyLossKernel | 'fused';
}

const tokenKl = 'masked mean of −(logprob − old)';
const clampedTokenKl = 'masked mean of −clamp(logprob − old, ±logRatioClamp)';

/** PPO's clipped surrogate, computed in `computeActorLoss`'s fused pass. */
const vanilla = {
  description: 'PPO clipped surrogate with decoupled clip bounds and an optional dual clip',
  source: 'verl compute_policy_loss_vanilla',
  paper: 'Schulman et al. 2017 (arXiv:1707.06347); dual clip: Ye et al. 2019 (arXiv:1912.09729)',
  defaults: { clipLow: 0.2, clipHigh: 0.2, logRatioClamp: 20 },
  reads: ['clipLow', 'clipHigh', 'dualClip', 'logRatioClamp'],
  aggregation: 'option',
  clampsLogRatio: true,
  tokenWeights: 'token',
  metrics: { pgClipFrac: 'masked mean of L2 > L1', pgClipFracLower: 'dual clip bites', ppoKl: clampedTokenKl },
  kernel: 'fused',
} as const satisfies PolicyLossRule;

/** The policy losses by name; `satisfies` makes the compiler demand one entry per {@link PolicyLossName}. */
export const policyLosses = {
  vanilla,
  dapo: {
    ...vanilla,
    description: "vanilla with DAPO's clip-higher: ε_low 0.2, ε_high 0.28 (token-mean, as the DAPO recipe)",
    source: 'verl compute_policy_loss_vanilla (recipe/dapo: clip_ratio_low 0.2, clip_ratio_high 0.28)',
    paper: 'Yu et al. 2025, DAPO (arXiv:2503.14476)',
    defaults: { clipLow: 0.2, clipHigh: 0.28, logRatioClamp: 20 },
  },
  gspo: {
    description: 'clipped surrogate over the sequence ratio (geometric mean of token ratios), stop-gradient per token',
    source: 'verl compute_policy_loss_gspo (recipe/gspo: clip_ratio_low 3e-4, clip_ratio_high 4e-4)',
    paper: 'Zheng et al. 2025, GSPO (arXiv:2507.18071) §5.1',
    defaults: { clipLow: 3e-4, clipHigh: 4e-4, aggregation: { mode: 'seq-mean-token-mean' } },
    reads: ['clipLow', 'clipHigh'],
    aggregation: 'seq-mean-token-mean',
    clampsLogRatio: false,
    tokenWeights: 'token',
    metrics: { pgClipFrac: 'masked mean of L2 > L1 (sequence ratio)', pgClipFracLower: '0', ppoKl: tokenKl },
    kernel: gspoKernel,
  },
  cispo: {
    description: 'REINFORCE weighted by the detached clipped ratio: −sg(clamp(r))·A·logprob',
    source: 'not in verl 012be9d9 (later verl: compute_policy_loss_cispo); from the paper',
    paper: 'MiniMax-M1 2025 (arXiv:2506.13585) §3.1',
    defaults: { clipLow: 0.2, clipHigh: 0.2, logRatioClamp: 20 },
    reads: ['clipLow', 'clipHigh', 'logRatioClamp'],
    aggregation: 'option',
    clampsLogRatio: true,
    tokenWeights: 'token',
    metrics: { pgClipFrac: 'masked mean of r ≠ clamp(r)', pgClipFracLower: '0', ppoKl: clampedTokenKl },
    kernel: cispoKernel,
  },
  sapo: {
    description: 'soft gate σ(τ(r − 1))·4/τ in place of the clip, τ by the sign of the advantage',
    source: 'not in verl 012be9d9 (later verl: compute_policy_loss_sapo); from the paper',
    paper: 'Gao et al. 2025, SAPO (arXiv:2511.20347) eqs. 5–6',
    defaults: { tauPositive: 1, tauNegative: 1.05, logRatioClamp: 20, aggregation: { mode: 'seq-mean-token-mean' } },
    reads: ['tauPositive', 'tauNegative', 'logRatioClamp'],
    aggregation: 'seq-mean-token-mean',
    clampsLogRatio: true,
    tokenWeights: 'token',
    metrics: { pgClipFrac: '0', pgClipFracLower: '0', ppoKl: clampedTokenKl },
    kernel: sapoKernel,
  },
  'geo-mean': {
    description: 'GMPO: one loss per sequence, −Â·exp(mean of sign-clipped log ratios)',
    source: 'verl compute_policy_loss_geo_mean',
    paper: 'Zhao et al. 2025, GMPO (arXiv:2507.20673)',
    defaults: { clipLow: 0.2, clipHigh: 0.2 },
    reads: ['clipLow', 'clipHigh'],
    aggregation: 'sequence-mean',
    clampsLogRatio: false,
    tokenWeights: 'sequence-geometric-mean',
    metrics: {
      pgClipFrac: 'masked mean of x ≠ clamp(x) and A > 0',
      pgClipFracLower: 'masked mean of x ≠ clamp(x) and A < 0',
      ppoKl: tokenKl,
    },
    kernel: geoMeanKernel,
  },
  'clip-cov': {
    description: 'clipped surrogate with the gradient cut on a few high-covariance tokens (seeded draw)',
    source: 'verl compute_policy_loss_clip_cov',
    paper: 'Cui et al. 2025, The Entropy Mechanism of RL for Reasoning LMs (arXiv:2505.22617) §5',
    defaults: { clipLow: 0.2, clipHigh: 0.2, clipCovRatio: 0.0002, clipCovLower: 1, clipCovUpper: 5, clipCovSeed: 0 },
    reads: ['clipLow', 'clipHigh', 'clipCovRatio', 'clipCovLower', 'clipCovUpper', 'clipCovSeed'],
    aggregation: 'option',
    clampsLogRatio: false,
    tokenWeights: 'token',
    metrics: { pgClipFrac: 'masked mean of the cut tokens', pgClipFracLower: '0', ppoKl: tokenKl },
    kernel: clipCovKernel,
  },
  'kl-cov': {
    description: 'unclipped surrogate plus a |log ratio| penalty on the top-covariance tokens (ties by index)',
    source: 'verl compute_policy_loss_kl_cov',
    paper: 'Cui et al. 2025, The Entropy Mechanism of RL for Reasoning LMs (arXiv:2505.22617) §5',
    defaults: { klCovRatio: 0.0002, klCovCoefficient: 0.1 },
    reads: ['klCovRatio', 'klCovCoefficient'],
    aggregation: 'option',
    clampsLogRatio: false,
    tokenWeights: 'token',
    metrics: { pgClipFrac: '0', pgClipFracLower: '0', ppoKl: 'masked mean of |logprob − old|' },
    kernel: klCovKernel,
  },
} as const satisfies Record<PolicyLossName, PolicyLossRule>;

/** The knobs {@link PolicyLossKnob} lists, for the "not read" check. */
export const policyLossKnobs: readonly PolicyLossKnob[] = [
  'dualClip',
  'tauPositive',
  'tauNegative',
  'clipCovRatio',
  'clipCovLower',
  'clipCovUpper',
  'clipCovSeed',
  'klCovRatio',
  'klCovCoefficient',
];

/** The rule of a policy loss; throws an `InvalidConfigError` naming `path` for an unknown name. */
export function policyLossRule(name: PolicyLossName, path = 'policyLoss'): PolicyLossRule {
  const rule = (policyLosses as Record<string, PolicyLossRule>)[name];
  if (rule === undefined || !Object.hasOwn(policyLosses, name)) {
    throw new InvalidConfigError(
      path,
      `unknown policy loss "${String(name)}" (expected one of ${Object.keys(policyLosses).join(', ')})`,
    );
  }
  return rule;
}

/**
 * The per-sequence weights of the surrogate of `rule` (see {@link PolicyLossRule.aggregation}). `optionWeights`
 * are those of the `aggregation` option (already validated), returned as they are for `option`.
 *
 * @param mask `[batch, responseLength]`
 * @returns `[batch]`
 */
export function policyLossRowWeights(
  rule: PolicyLossRule,
  mask: MaskArray,
  responseLength: number,
  aggregation: LossAggregation,
  optionWeights: Float64Array,
): Float64Array {
  if (rule.aggregation === 'option') return optionWeights;
  const globalBatchSize = 'globalBatchSize' in aggregation ? aggregation.globalBatchSize : undefined;
  const dataParallelSize = 'dataParallelSize' in aggregation ? aggregation.dataParallelSize : undefined;
  if (rule.aggregation === 'seq-mean-token-mean') {
    const sequenceMean: LossAggregation = {
      mode: 'seq-mean-token-mean',
      ...(globalBatchSize === undefined ? {} : { globalBatchSize }),
      ...(dataParallelSize === undefined ? {} : { dataParallelSize }),
    };
    return computeAggregationWeights(mask, responseLength, sequenceMean).rowWeights;
  }
  const batch = optionWeights.length;
  const sequences = globalBatchSize ?? batch;
  return new Float64Array(batch).fill(sequences === 0 ? 0 : (dataParallelSize ?? 1) / sequences);
}
