import { expectLength, expectNumber, rowMaskSums, type MaskArray } from './batch-shape';
import { centreInGroups, groupMean, groupMembers } from './sample-groups';

/*
 * Per-sequence estimators that subtract a baseline taken from the sample's group (the samples of one
 * prompt): RLOO, OPO, GPG. Each matches the verl function it names in verl/trainer/ppo/core_algos.py,
 * read at volcengine/verl 012be9d9dcb7c38499f23616142870d2682757fc. Arithmetic is float64; a group of
 * equal scores gets exactly 0 (see `sample-groups.ts`).
 */

/**
 * RLOO: each sample's score minus the mean of the *other* samples of its group, written as
 * `(s − group mean) · n / (n − 1)`. A group of one keeps its raw score. Matches verl
 * `compute_rloo_outcome_advantage` (verl scales `s` and the mean by `n / (n − 1)` separately, in float32;
 * the two are equal in exact arithmetic). Every group of two or more sums to 0.
 *
 * @param options.scores `[batch]` outcome score of each sample
 * @param options.groupIds `[batch]` group of each sample
 * @returns `[batch]` advantages
 */
export function computeRlooAdvantages(options: {
  scores: ArrayLike<number>;
  groupIds: ArrayLike<string | number>;
}): Float64Array {
  const { scores, groupIds } = options;
  const advantages = Float64Array.from(scores);
  for (const indices of groupMembers(scores, groupIds)) {
    const size = indices.length;
    if (size === 1) continue;
    const mean = groupMean(scores, indices);
    const factor = size / (size - 1);
    for (const index of indices) advantages[index] = (scores[index]! - mean) * factor;
  }
  return advantages;
}

/**
 * OPO: the score minus the group's length-weighted mean score `Σ L·s / Σ L`, where `L` is the row's mask
 * sum (its response length). A group of one has baseline 0 (keeps its raw score). A group of two or more
 * whose masks are all zero has `Σ L = 0` and NaN advantages, as verl; its tokens are all masked, so the
 * NaN never reaches a token. Matches verl `compute_opo_outcome_advantage`.
 *
 * @param options.scores `[batch]`
 * @param options.groupIds `[batch]`
 * @param options.mask `[batch, responseLength]` row-major
 * @returns `[batch]` advantages
 */
export function computeOpoAdvantages(options: {
  scores: ArrayLike<number>;
  groupIds: ArrayLike<string | number>;
  mask: MaskArray;
  responseLength: number;
}): Float64Array {
  const { scores, groupIds, mask, responseLength } = options;
  const lengths = rowMaskSums(mask, responseLength);
  expectLength('scores', scores, lengths.length, '[batch], one per mask row');
  return centreInGroups(scores, groupIds, lengths);
}

/**
 * GPG: `α · (s − group mean) / fNorm` with `α = batch / max(1, number of non-zero scores in the batch)`.
 * A group of one has mean 0. Matches verl `compute_gpg_outcome_advantage`: its `alpha` argument is
 * overwritten by this α, so it is not an option here; its `f_norm` defaults to 1 and the trainer never
 * sets it; the group std it computes is unused. verl's α is a float32 quotient; ours is float64 (they
 * differ by under 2⁻²⁴ relative).
 *
 * @param options.scores `[batch]` (NaN counts as non-zero, −0 as zero, as `torch.count_nonzero`)
 * @param options.groupIds `[batch]`
 * @param options.fNorm default 1; a finite number > 0
 * @returns `[batch]` advantages
 */
export function computeGpgAdvantages(options: {
  scores: ArrayLike<number>;
  groupIds: ArrayLike<string | number>;
  fNorm?: number;
}): Float64Array {
  const { scores, groupIds, fNorm = 1 } = options;
  expectNumber('fNorm', fNorm, (value) => Number.isFinite(value) && value > 0, 'must be a finite number > 0');
  let nonZero = 0;
  for (let index = 0; index < scores.length; index++) if (scores[index] !== 0) nonZero++;
  const alpha = scores.length / Math.max(nonZero, 1);
  const advantages = new Float64Array(scores.length);
  for (const indices of groupMembers(scores, groupIds)) {
    const mean = indices.length === 1 ? 0 : groupMean(scores, indices);
    for (const index of indices) advantages[index] = (alpha * (scores[index]! - mean)) / fNorm;
  }
  return advantages;
}
