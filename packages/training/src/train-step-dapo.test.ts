import type { RolloutSample } from '@research-ts/rollout';
import { deriveSeed, type TrajectoryFinishReason } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { makeTrajectory } from '../test/make-trajectory';
import { overlongFilter, roundSeed, variedGroups, type DynamicSamplingReport } from './train-step-dapo';

const rolloutSample = (promptIndex: number, length: number, finishReason: TrajectoryFinishReason = 'eos') => ({
  sample: 0,
  promptIndex,
  sampleIndex: 0,
  trajectory: {
    ...makeTrajectory(
      [1],
      Array.from({ length }, () => 3),
    ),
    finishReason,
  },
});

describe('DAPO pieces of the train step', () => {
  it('round 0 samples with the step seed, later rounds with seeds derived from it', () => {
    expect(roundSeed(42, 0)).toBe(42);
    expect(roundSeed(42, 1)).toBe(deriveSeed(42, 'dynamic-sampling round 1'));
    expect(new Set([0, 1, 2, 3].map((round) => roundSeed(42, round))).size).toBe(4);
    expect(roundSeed(43, 1)).not.toBe(roundSeed(42, 1));
  });

  it('keeps the groups with varied rewards, at most as many as are missing, and counts them', () => {
    const samples: RolloutSample[] = [0, 0, 1, 1, 2, 2, 3, 3, 4].map((prompt) => rolloutSample(prompt, 2));
    const rewards = [1, 0, 1, 1, 0.5, 0.1, 0, 0, 0.3];
    const report: DynamicSamplingReport = { rounds: 1, generatedGroups: 4, droppedGroups: 3, keptGroups: 1 };
    // groups 0 and 2 vary, 1 and 3 do not, 4 is a group of one (kept, as verl does); 2 are missing
    const keep = variedGroups(samples, rewards, report, 2);
    expect([...keep]).toEqual([1, 1, 0, 0, 1, 1, 0, 0, 0]);
    expect(report).toEqual({ rounds: 2, generatedGroups: 9, droppedGroups: 6, keptGroups: 3 });
  });

  it('filters the samples that stopped on the budget', () => {
    const samples = [rolloutSample(0, 8, 'budget'), rolloutSample(0, 8, 'eos'), rolloutSample(1, 3, 'max-turns')];
    const { keep, indices } = overlongFilter(samples, 8);
    expect([...keep]).toEqual([0, 1, 1]);
    expect(indices).toEqual([0]);
  });
});
