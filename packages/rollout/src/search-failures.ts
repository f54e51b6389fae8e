import { ApiCallError, type Trajectory } from '@research-ts/spec';
import { isNothingToSearch } from '@research-ts/tags';

/** The searches of a set of rollouts: every retrieval they asked for, and those that failed after their retries. */
export interface SearchCounts {
  /** Retrievals asked for, failed ones included (a `nothing to search` turn asks for none). */
  searches: number;
  /** Retrievals that still failed after their retries; each ended its rollout with `'error'`. */
  failed: number;
}

/** Counts the retrievals of `trajectories` and the failed ones (a rollout ends at its first failed search). */
export function countSearches(trajectories: Iterable<Trajectory | undefined>): SearchCounts {
  let searches = 0;
  let failed = 0;
  for (const trajectory of trajectories) {
    if (trajectory === undefined) continue;
    for (const search of trajectory.searches) if (!isNothingToSearch(search.query)) searches += 1;
    if (trajectory.finishReason === 'error') {
      searches += 1;
      failed += 1;
    }
  }
  return { searches, failed };
}

/**
 * Throws when more than `maxShare` of the searches failed: an {@link ApiCallError} whose message is the
 * first failure's (it names the retriever) with the count. With `final: false` (the batch is still
 * running) it throws only when the outcome is already certain, i.e. when `maxShare` is 0.
 */
export function checkSearchFailures(
  trajectories: Iterable<Trajectory | undefined>,
  options: { maxShare: number; retrieverName: string; final: boolean },
): void {
  const all = [...trajectories];
  const { searches, failed } = countSearches(all);
  if (failed === 0 || failed <= options.maxShare * searches || (!options.final && options.maxShare > 0)) return;
  const first = all.find((trajectory) => trajectory?.finishReason === 'error')!.error;
  const allowed = options.maxShare === 0 ? 'none may fail' : `at most ${(100 * options.maxShare).toFixed(1)}% may fail`;
  throw new ApiCallError(
    `${first} (${failed} of ${searches} searches failed so far in this batch; ${allowed}: maxFailedSearchShare is ${options.maxShare})`,
    {
      url: `retriever:${options.retrieverName}`,
      isRetryable: false,
    },
  );
}
