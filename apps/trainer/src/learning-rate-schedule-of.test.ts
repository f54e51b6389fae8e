import { learningRateFactor } from '@research-ts/grpo';
import { describe, expect, it } from 'vitest';
import { learningRateScheduleOf } from './learning-rate-schedule-of';
import { resolveConfig } from './resolve-config';

describe('learningRateScheduleOf', () => {
  it('maps optimizer.schedule over training.steps to the GRPO schedule', async () => {
    const factors = async (...overrides: string[]) => {
      const config = await resolveConfig({ overrides: ['training.steps=4', ...overrides] });
      const schedule = learningRateScheduleOf(config);
      return [0, 1, 2, 3, 4].map((step) => Number(learningRateFactor(schedule, step).toFixed(6)));
    };
    expect(await factors()).toEqual([1, 1, 1, 1, 1]);
    expect(await factors('optimizer.warmupSteps=2')).toEqual([0, 0.5, 1, 1, 1]);
    expect(await factors('optimizer.schedule=linear')).toEqual([1, 0.75, 0.5, 0.25, 0]);
    // half a cosine from 1 down to the floor 0.2: 0.2 + 0.8 · (1 + cos(π·step/4)) / 2
    expect(await factors('optimizer.schedule=cosine', 'optimizer.minLearningRateRatio=0.2')).toEqual([
      1, 0.882843, 0.6, 0.317157, 0.2,
    ]);
    await expect(factors('optimizer.schedule=step')).rejects.toThrow(/optimizer\.schedule/);
  });
});
