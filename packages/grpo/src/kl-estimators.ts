import { InvalidInputError } from '@research-ts/spec';
import { expectLength, rowCount, type MaskArray, type RealArray } from './batch-shape';

/**
 * Per-token estimators of KL(π ‖ π_ref) from the log-probabilities of the sampled token under the policy
 * (`logprob`) and the reference (`ref`). `x = logprob − ref`.
 *
 * | estimator | value | d value / d logprob |
 * |---|---|---|
 * | `k1` | `x` | `1` |
 * | `abs` | `|x|` | `sign(x)` (0 at x = 0) |
 * | `k2` | `½x²` | `x` |
 * | `k3` | `clamp(e^d − d − 1, −10, 10)` with `d = clamp(ref − logprob, −20, 20)` | `1 − e^d`; 0 where either clamp bites |
 * | `k1+`, `abs+`, `k3+` | as without `+` | `x` (the k2 gradient: straight-through) |
 * | `k3-unclamped` | `e^d − d − 1` with `d = ref − logprob` | `1 − e^d` |
 *
 * The clamp gradients follow autograd's `clamp`: the gradient passes where `min ≤ input ≤ max`
 * (boundaries included) and is 0 outside. The `+` variants use the k2 gradient everywhere, clamps or not.
 */
export type KlEstimator = 'k1' | 'abs' | 'k2' | 'k3' | 'k1+' | 'abs+' | 'k3+' | 'k3-unclamped';

export interface KlEstimatorRule {
  readonly description: string;
  /** The name of the same estimator in verl's `kl_loss_type` / TRL, when it has one. */
  readonly peerName: string;
  /** Forward value for one token. */
  value(logprob: number, refLogprob: number): number;
  /** d value / d logprob for one token, as autograd gives it (or the straight-through gradient). */
  gradient(logprob: number, refLogprob: number): number;
}

const k3PreClamp = 20;
const k3Clamp = 10;

function k1Value(logprob: number, ref: number): number {
  return logprob - ref;
}
function absValue(logprob: number, ref: number): number {
  return Math.abs(logprob - ref);
}
function absGradient(logprob: number, ref: number): number {
  const x = logprob - ref;
  return x > 0 ? 1 : x < 0 ? -1 : 0;
}
function k2Gradient(logprob: number, ref: number): number {
  return logprob - ref;
}
/**
 * The k3 estimator and its autograd slope with one `exp`, written to `out[0]` (value) and `out[1]`
 * (d value / d logprob): `k = e^d − d − 1`, `d = ref − logprob`, computed as verl and TRL write it (not
 * `expm1(d) − d`: the same values as the peers). `clamped` (verl `low_var_kl`) clamps d to ±20 and k to
 * [−10, 10], and the slope is 0 where either clamp bites; unclamped (TRL), the slope is `1 − e^d`. The one
 * definition of k3: the estimator rules below and the fused actor-loss loop both call it.
 */
export function k3ValueAndSlope(logprob: number, ref: number, clamped: boolean, out: Float64Array): void {
  const d = ref - logprob;
  if (!clamped) {
    const e = Math.exp(d);
    out[0] = e - d - 1;
    out[1] = 1 - e;
    return;
  }
  const dPasses = d >= -k3PreClamp && d <= k3PreClamp;
  const clampedD = d < -k3PreClamp ? -k3PreClamp : d > k3PreClamp ? k3PreClamp : d;
  const e = Math.exp(clampedD);
  const k = e - clampedD - 1;
  const kPasses = k >= -k3Clamp && k <= k3Clamp;
  out[0] = k < -k3Clamp ? -k3Clamp : k > k3Clamp ? k3Clamp : k;
  out[1] = dPasses && kPasses ? 1 - e : 0;
}

const k3Scratch = new Float64Array(2);
function k3Value(logprob: number, ref: number): number {
  k3ValueAndSlope(logprob, ref, true, k3Scratch);
  return k3Scratch[0]!;
}
function k3Gradient(logprob: number, ref: number): number {
  k3ValueAndSlope(logprob, ref, true, k3Scratch);
  return k3Scratch[1]!;
}
function k3UnclampedValue(logprob: number, ref: number): number {
  k3ValueAndSlope(logprob, ref, false, k3Scratch);
  return k3Scratch[0]!;
}
function k3UnclampedGradient(logprob: number, ref: number): number {
  k3ValueAndSlope(logprob, ref, false, k3Scratch);
  return k3Scratch[1]!;
}

/** The KL estimators; `satisfies` makes the compiler demand one entry per {@link KlEstimator}. */
export const klEstimators = {
  k1: { description: 'logprob − ref', peerName: "verl 'kl' / 'k1'", value: k1Value, gradient: () => 1 },
  abs: { description: '|logprob − ref|', peerName: "verl 'abs'", value: absValue, gradient: absGradient },
  k2: {
    description: '½ (logprob − ref)²',
    peerName: "verl 'mse' / 'k2'",
    value: (logprob: number, ref: number) => 0.5 * (logprob - ref) * (logprob - ref),
    gradient: k2Gradient,
  },
  k3: {
    description: 'e^d − d − 1, d = ref − logprob clamped to ±20, result clamped to [−10, 10]',
    peerName: "verl 'low_var_kl' / 'k3' (ReSearch's kl_loss_type)",
    value: k3Value,
    gradient: k3Gradient,
  },
  'k1+': { description: 'k1 forward, k2 gradient', peerName: "verl 'k1+'", value: k1Value, gradient: k2Gradient },
  'abs+': { description: 'abs forward, k2 gradient', peerName: "verl 'abs+'", value: absValue, gradient: k2Gradient },
  'k3+': {
    description: 'k3 forward, k2 gradient',
    peerName: "verl 'k3+' / 'low_var_kl+'",
    value: k3Value,
    gradient: k2Gradient,
  },
  'k3-unclamped': {
    description: 'e^d − d − 1, d = ref − logprob, no clamps',
    peerName: 'TRL GRPOTrainer per-token KL (beta ≠ 0)',
    value: k3UnclampedValue,
    gradient: k3UnclampedGradient,
  },
} as const satisfies Record<KlEstimator, KlEstimatorRule>;

/**
 * How the fused actor-loss loop evaluates an estimator: the k3 family shares one `exp` between value and
 * gradient there (the formulas are those of {@link klEstimators}; the tests check both against each other).
 * `generic` calls the rule's `value` and `gradient`.
 */
export type KlKernel = 'generic' | 'k3' | 'k3-straight-through' | 'k3-unclamped';

export function klKernelOf(estimator: KlEstimator): KlKernel {
  return estimator === 'k3'
    ? 'k3'
    : estimator === 'k3+'
      ? 'k3-straight-through'
      : estimator === 'k3-unclamped'
        ? 'k3-unclamped'
        : 'generic';
}

/** The rule of `estimator`; throws for an unknown name (a config typo, say). */
export function klEstimatorRule(estimator: KlEstimator): KlEstimatorRule {
  const rule: KlEstimatorRule | undefined = klEstimators[estimator];
  if (rule === undefined) {
    throw new InvalidInputError(
      `unknown KL estimator "${String(estimator)}" (expected one of ${Object.keys(klEstimators).join(', ')})`,
      { field: 'klEstimator' },
    );
  }
  return rule;
}

/**
 * Per-token KL values and their gradients w.r.t. `logprobs`, for logging or for an in-reward penalty.
 * Tokens with mask 0 get 0 in both outputs.
 *
 * @param options.logprobs `[batch, responseLength]`
 * @param options.refLogprobs `[batch, responseLength]`
 * @param options.mask `[batch, responseLength]`, optional (all tokens when absent)
 * @returns `values` and `gradients`, each `[batch, responseLength]`
 */
export function computeKlPenalty(options: {
  logprobs: RealArray;
  refLogprobs: RealArray;
  estimator: KlEstimator;
  responseLength: number;
  mask?: MaskArray;
}): { values: Float32Array; gradients: Float32Array } {
  const { logprobs, refLogprobs, mask, responseLength } = options;
  const rule = klEstimatorRule(options.estimator);
  const batch = rowCount('logprobs', logprobs, responseLength);
  const size = batch * responseLength;
  expectLength('refLogprobs', refLogprobs, size, '[batch, responseLength]');
  if (mask !== undefined) expectLength('mask', mask, size, '[batch, responseLength]');
  const values = new Float32Array(size);
  const gradients = new Float32Array(size);
  for (let index = 0; index < size; index++) {
    if (mask !== undefined && mask[index] === 0) continue;
    values[index] = rule.value(logprobs[index]!, refLogprobs[index]!);
    gradients[index] = rule.gradient(logprobs[index]!, refLogprobs[index]!);
  }
  return { values, gradients };
}
