import { InvalidInputError } from '@research-ts/spec';

/** Which groups {@link groupsWithVariance} keeps, and the samples they hold. */
export interface GroupFilterResult {
  /** Kept group ids, in order of first appearance. */
  keptGroups: (string | number)[];
  /** Dropped group ids, in order of first appearance. */
  droppedGroups: (string | number)[];
  /** `[batch]` 1 for a sample of a kept group. */
  keep: Uint8Array;
}

/**
 * DAPO's dynamic sampling filter (Yu et al. 2025, §3.2): a group whose samples all score the same has
 * advantage 0 everywhere and no gradient, so it is dropped (and more prompts are sampled to refill the
 * batch). verl: `filter_groups` in the DAPO trainer, where the score is the metric the config names
 * (`acc`, `score`, `seq_reward`: the sum of the token scores, `seq_final_reward`: of the token rewards).
 *
 * A group is kept when two of its scores differ (exact comparison, so `0` and `−0` are equal) and all its
 * scores are finite; a group of one is kept unless `singletons: 'drop'` (verl keeps it: its GRPO advantage is
 * the raw score). verl compares `np.std(scores) > 0` instead, which differs in two corners: equal scores
 * whose float mean is not exactly their value (three times 0.1: std 1.4e-17) are kept by verl and dropped
 * here, where their advantage is exactly 0 (see `computeAdvantages`); distinct scores whose squared
 * deviations underflow (1e-200 and 2e-200) are dropped by verl and kept here.
 *
 * @param scores `[batch]` the per-sample metric
 * @param groupIds `[batch]` each sample's group (the prompt uid); samples of a group need not be adjacent
 */
export function groupsWithVariance(
  scores: ArrayLike<number>,
  groupIds: ArrayLike<string | number>,
  options: { singletons?: 'keep' | 'drop' } = {},
): GroupFilterResult {
  const singletons = options.singletons ?? 'keep';
  if (singletons !== 'keep' && singletons !== 'drop') {
    throw new InvalidInputError(`must be 'keep' or 'drop', got ${String(singletons)}`, { field: 'singletons' });
  }
  if (groupIds.length !== scores.length) {
    throw new InvalidInputError(`expected ${scores.length} group ids (one per score), got ${groupIds.length}`, {
      field: 'groupIds',
    });
  }
  const groups = new Map<string | number, { first: number; size: number; varied: boolean; finite: boolean }>();
  for (let index = 0; index < scores.length; index++) {
    const score = scores[index]!;
    const id = groupIds[index]!;
    const group = groups.get(id);
    if (group === undefined) {
      groups.set(id, { first: score, size: 1, varied: false, finite: Number.isFinite(score) });
      continue;
    }
    group.size++;
    if (score !== group.first) group.varied = true;
    if (!Number.isFinite(score)) group.finite = false;
  }
  const keptGroups: (string | number)[] = [];
  const droppedGroups: (string | number)[] = [];
  const kept = new Set<string | number>();
  for (const [id, group] of groups) {
    const keepIt = group.size === 1 ? singletons === 'keep' : group.varied && group.finite;
    (keepIt ? keptGroups : droppedGroups).push(id);
    if (keepIt) kept.add(id);
  }
  const keep = new Uint8Array(scores.length);
  for (let index = 0; index < keep.length; index++) keep[index] = kept.has(groupIds[index]!) ? 1 : 0;
  return { keptGroups, droppedGroups, keep };
}
