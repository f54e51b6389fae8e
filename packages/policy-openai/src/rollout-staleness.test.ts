import { describe, expect, it } from 'vitest';
import { rolloutStaleness } from './rollout-staleness';

describe('rolloutStaleness', () => {
  it('is trainer version minus rollout version, skipping unknown versions', () => {
    expect(rolloutStaleness(5, [5, 4, 3, undefined])).toEqual({ mean: 1, max: 2, count: 3 });
    expect(rolloutStaleness(2, [2, 2])).toEqual({ mean: 0, max: 0, count: 2 });
    expect(rolloutStaleness(2, [])).toEqual({ mean: 0, max: 0, count: 0 });
  });
});
