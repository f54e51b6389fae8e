import { InvalidInputError } from '@research-ts/spec';

/*
 * The groups of a batch (the samples of one prompt) and their statistics, shared by every group-relative
 * advantage estimator. Means are taken relative to the group's first score, so a group of equal scores has
 * exactly that score as its mean and a zero deviation, not a rounding residue.
 */

/**
 * The batch indices of each group, in batch order; a group's samples need not be adjacent.
 *
 * @param scores `[batch]`
 * @param groupIds `[batch]` the prompt's uid of each sample
 * @throws InvalidInputError (field `groupIds`) when the lengths differ
 */
export function groupMembers(
  scores: ArrayLike<number>,
  groupIds: ArrayLike<string | number>,
): readonly (readonly number[])[] {
  if (groupIds.length !== scores.length) {
    throw new InvalidInputError(`expected ${scores.length} group ids (one per score), got ${groupIds.length}`, {
      field: 'groupIds',
    });
  }
  const members = new Map<string | number, number[]>();
  for (let index = 0; index < scores.length; index++) {
    const id = groupIds[index]!;
    const list = members.get(id);
    if (list === undefined) members.set(id, [index]);
    else list.push(index);
  }
  return [...members.values()];
}

/**
 * `Σ w·s / Σ w` over `scores[indices]` (w = 1 without weights), computed as `first + Σ w·(s − first) / Σ w`
 * so that identical scores give that score exactly. `Σ w = 0` gives NaN.
 */
export function groupMean(scores: ArrayLike<number>, indices: readonly number[], weights?: ArrayLike<number>): number {
  const first = scores[indices[0]!]!;
  let weighted = 0;
  let total = 0;
  for (const index of indices) {
    const weight = weights === undefined ? 1 : weights[index]!;
    weighted += weight * (scores[index]! - first);
    total += weight;
  }
  return first + weighted / total;
}

/**
 * Unbiased (n − 1) std of `scores[indices]` (all scores when `indices` is null) around `knownMean`, else around
 * their {@link groupMean}; 0 for fewer than two.
 */
export function unbiasedStd(scores: ArrayLike<number>, indices: readonly number[] | null, knownMean?: number): number {
  const all = indices ?? Array.from({ length: scores.length }, (_, index) => index);
  if (all.length < 2) return 0;
  const mean = knownMean ?? groupMean(scores, all);
  let sum = 0;
  for (const index of all) {
    const deviation = scores[index]! - mean;
    sum += deviation * deviation;
  }
  return Math.sqrt(sum / (all.length - 1));
}

/**
 * `[batch]` each score minus its group's {@link groupMean} (weighted by `weights` when given); a group of one keeps
 * its score (baseline 0).
 */
export function centreInGroups(
  scores: ArrayLike<number>,
  groupIds: ArrayLike<string | number>,
  weights?: ArrayLike<number>,
): Float64Array {
  const centred = Float64Array.from(scores);
  for (const indices of groupMembers(scores, groupIds)) {
    if (indices.length === 1) continue;
    const mean = groupMean(scores, indices, weights);
    for (const index of indices) centred[index] = scores[index]! - mean;
  }
  return centred;
}
