/** How many optimizer steps behind the trainer its rollouts were generated. */
export interface RolloutStaleness {
  /** Mean of `trainerVersion − rolloutVersion` over the rollouts; 0 for none. */
  mean: number;
  /** The largest lag; 0 for none. */
  max: number;
  /** Rollouts counted (those with a known version). */
  count: number;
}

/**
 * Staleness for the metrics: `trainerVersion − version` of each rollout (`[rollouts]` weight versions,
 * `undefined` entries skipped). 0 means on-policy: the rollout came from the weights being trained.
 */
export function rolloutStaleness(
  trainerVersion: number,
  rolloutVersions: readonly (number | undefined)[],
): RolloutStaleness {
  let sum = 0;
  let max = 0;
  let count = 0;
  for (const version of rolloutVersions) {
    if (version === undefined) continue;
    const lag = trainerVersion - version;
    sum += lag;
    max = count === 0 ? lag : Math.max(max, lag);
    count += 1;
  }
  return { mean: count === 0 ? 0 : sum / count, max, count };
}
