import { InvalidInputError } from '@research-ts/spec';
import { expectLength, expectNumber, rowCount, type MaskArray } from './batch-shape';
import { centreInGroups } from './sample-groups';

/*
 * REINFORCE++ and REINFORCE++ with a group baseline: per-token advantages whitened over every masked
 * token of the batch. Each matches the verl function it names in verl/trainer/ppo/core_algos.py (read at
 * volcengine/verl 012be9d9dcb7c38499f23616142870d2682757fc), with verl's masked_whiten, masked_mean and
 * masked_var (verl/utils/torch_functional.py, read at 33ddc71428da6e945cee80f6020dac4b59cb9c63).
 */

/** The 1e-8 verl adds to the mask sum (masked_mean) and to the variance (masked_whiten). */
const whitenEpsilon = 1e-8;

/**
 * `value + 1e-8` as verl's float32 arithmetic yields it. From 0.25 up, 1e-8 is less than half a float32
 * ulp and the sum rounds back to `value`; below 0.25 we add 1e-8 (in float64). Following float32 here is
 * what makes a batch of equal returns whiten to exactly 0, as in verl, instead of to `value · 1e-4 / n`.
 */
function plusWhitenEpsilon(value: number): number {
  return value >= 0.25 ? value : value + whitenEpsilon;
}

/**
 * verl `masked_whiten(values, mask) * mask` (shift_mean=True: the mean is not added back):
 * `out = (v − μ) / √(σ² + 1e-8) · m`, with `μ = Σ m·v / (Σ m + 1e-8)` and the unbiased
 * `σ² = Σ m·(v − μ)² / (Σ m + 1e-8) · Σ m / (Σ m − 1)` over every token of the batch (each 1e-8 as float32
 * gives it, see {@link plusWhitenEpsilon}). Tokens with `m = 0` are left out of the sums (so a NaN there
 * stays out, as verl's NaN-safe masked_sum) and come out exactly 0.
 *
 * @param values `[batch, responseLength]` row-major
 * @param mask `[batch, responseLength]` row-major, same length
 * @throws InvalidInputError (field `mask`) when `Σ m` is 0 or 1, where verl's masked_var raises
 */
function whitenOverMask(values: Float64Array, mask: MaskArray): Float64Array {
  let maskSum = 0;
  let first = Number.NaN;
  for (let index = 0; index < values.length; index++) {
    const weight = mask[index]!;
    if (weight === 0) continue;
    if (maskSum === 0) first = values[index]!;
    maskSum += weight;
  }
  if (maskSum === 0 || maskSum === 1) {
    throw new InvalidInputError(
      `whitening needs the mask to sum to neither 0 nor 1 over the batch (unbiased variance), got ${maskSum}`,
      { field: 'mask' },
    );
  }
  const denominator = plusWhitenEpsilon(maskSum);
  let shifted = 0;
  for (let index = 0; index < values.length; index++) {
    const weight = mask[index]!;
    if (weight !== 0) shifted += weight * (values[index]! - first);
  }
  const mean = first * (maskSum / denominator) + shifted / denominator;
  let squares = 0;
  for (let index = 0; index < values.length; index++) {
    const weight = mask[index]!;
    if (weight === 0) continue;
    const deviation = values[index]! - mean;
    squares += weight * deviation * deviation;
  }
  const variance = (squares / denominator) * (maskSum / (maskSum - 1));
  const inverseScale = 1 / Math.sqrt(plusWhitenEpsilon(variance));
  const out = new Float64Array(values.length);
  for (let index = 0; index < values.length; index++) {
    const weight = mask[index]!;
    out[index] = weight === 0 ? 0 : (values[index]! - mean) * inverseScale * weight;
  }
  return out;
}

export interface ReinforcePlusPlusResult {
  /** `[batch, responseLength]` whitened returns times the mask (exactly 0 where the mask is 0). */
  advantages: Float64Array;
  /** `[batch, responseLength]` the discounted returns before whitening (verl's second output), unmasked. */
  returns: Float64Array;
}

/**
 * REINFORCE++: per token, the discounted return `G_t = r_t + γ · m_t+1 · G_t+1` read backwards along the
 * row, then whitened over the batch's masked tokens and multiplied by the mask. The carry is multiplied by
 * the mask after each token, so a token with mask 0 (past the end, or a gap such as an inserted tool
 * result) cuts the sum: the tokens before it see neither its reward nor anything after it (except a NaN:
 * NaN · 0 is NaN, in verl too). Matches verl `compute_reinforce_plus_plus_outcome_advantage` (γ is verl's
 * `algorithm.gamma`, default 1.0).
 *
 * @param options.tokenRewards `[batch, responseLength]` row-major reward of each token (verl puts the
 *   outcome score on the response's last token)
 * @param options.mask `[batch, responseLength]` row-major
 * @param options.gamma the discount, default 1; a finite number in [0, 1]
 * @throws InvalidInputError (field `mask`) when the mask sums to 0 or 1 over the batch
 */
export function computeReinforcePlusPlusAdvantages(options: {
  tokenRewards: ArrayLike<number>;
  mask: MaskArray;
  responseLength: number;
  gamma?: number;
}): ReinforcePlusPlusResult {
  const { tokenRewards, mask, responseLength, gamma = 1 } = options;
  expectNumber('gamma', gamma, (value) => value >= 0 && value <= 1, 'must be a finite number in [0, 1]');
  const batch = rowCount('mask', mask, responseLength);
  expectLength('tokenRewards', tokenRewards, batch * responseLength, '[batch, responseLength], as the mask');
  const returns = new Float64Array(batch * responseLength);
  for (let offset = 0; offset < returns.length; offset += responseLength) {
    let carry = 0;
    for (let t = responseLength - 1; t >= 0; t--) {
      carry = tokenRewards[offset + t]! + gamma * carry;
      returns[offset + t] = carry;
      carry *= mask[offset + t]!;
    }
  }
  return { advantages: whitenOverMask(returns, mask), returns };
}

/**
 * REINFORCE++ with a group baseline: the score minus its group's mean (0 for a group of one), put on every
 * token of the row and multiplied by the mask, then whitened over the batch's masked tokens and multiplied
 * by the mask again. Longer responses weigh more in the whitening statistics. A group of equal scores is
 * centred to exactly 0 but, like every sample, then shifted by the batch mean. Matches verl
 * `compute_reinforce_plus_plus_baseline_outcome_advantage` (its `epsilon` argument is unused).
 *
 * @param options.scores `[batch]` outcome score of each sample
 * @param options.groupIds `[batch]`
 * @param options.mask `[batch, responseLength]` row-major
 * @returns `[batch, responseLength]` advantages (exactly 0 where the mask is 0)
 * @throws InvalidInputError (field `mask`) when the mask sums to 0 or 1 over the batch
 */
export function computeReinforcePlusPlusBaselineAdvantages(options: {
  scores: ArrayLike<number>;
  groupIds: ArrayLike<string | number>;
  mask: MaskArray;
  responseLength: number;
}): Float64Array {
  const { scores, groupIds, mask, responseLength } = options;
  const batch = rowCount('mask', mask, responseLength);
  expectLength('scores', scores, batch, '[batch], one per mask row');
  const centred = centreInGroups(scores, groupIds);
  const spread = new Float64Array(batch * responseLength);
  for (let index = 0; index < spread.length; index++) {
    spread[index] = centred[Math.floor(index / responseLength)]! * mask[index]!;
  }
  return whitenOverMask(spread, mask);
}
