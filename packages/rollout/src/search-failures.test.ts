import type { Trajectory } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { countSearches } from './search-failures';

const trajectory = (queries: string[], error?: string): Trajectory =>
  ({
    searches: queries.map((query, turn) => ({ turn, query, passages: [] })),
    finishReason: error === undefined ? 'eos' : 'error',
    ...(error === undefined ? {} : { error }),
  }) as unknown as Trajectory;

describe('countSearches', () => {
  it('counts retrievals (not `nothing to search` turns) and the failed search that ended a rollout', () => {
    expect(countSearches([trajectory(['a', ' ']), trajectory(['b'], 'down'), undefined, trajectory([])])).toEqual({
      searches: 3,
      failed: 1,
    });
    expect(countSearches([])).toEqual({ searches: 0, failed: 0 });
  });
});
