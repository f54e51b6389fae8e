import { InvalidConfigError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { expectClose } from '@research-ts/testing';
import { readFixture } from '../test/read-fixture';
import { learningRateFactor, learningRateSchedules, type LearningRateSchedule } from './learning-rate-schedule';

interface ScheduleRow {
  schedule: LearningRateSchedule;
  factors: number[];
}
const torch = await readFixture<{ transformers: string; schedules: ScheduleRow[] }>('torch-reference.json');
const worked = await readFixture<{ cosineWithFloor: ScheduleRow }>('worked-values.json');

describe('learningRateFactor', () => {
  it(`matches transformers ${torch.transformers} LambdaLR schedules step by step`, () => {
    expect(torch.schedules.map((row) => row.schedule.kind).sort()).toEqual([
      'constant',
      'constant',
      'cosine',
      'cosine',
      'linear',
    ]);
    for (const { schedule, factors } of torch.schedules) {
      expectClose(
        factors.map((_, step) => learningRateFactor(schedule, step)),
        factors,
        { atol: 1e-15, label: JSON.stringify(schedule) },
      );
    }
  });

  it("matches verl's cosine with a floor (minLearningRateRatio), worked by hand", () => {
    const { schedule, factors } = worked.cosineWithFloor;
    expectClose(
      factors.map((_, step) => learningRateFactor(schedule, step)),
      factors,
      { atol: 1e-15 },
    );
    // warmup starts at the floor, not 0; past the end it stays at the floor
    expect(learningRateFactor(schedule, 0)).toBe(0.1);
    expect(learningRateFactor(schedule, 10)).toBeCloseTo(0.1, 15);
  });

  it('by hand: constant with warmup 4, linear decay to 0', () => {
    expect([0, 1, 2, 3, 4, 5].map((step) => learningRateFactor({ kind: 'constant', warmupSteps: 4 }, step))).toEqual([
      0, 0.25, 0.5, 0.75, 1, 1,
    ]);
    expect(learningRateFactor({ kind: 'constant' }, 0)).toBe(1); // ReSearch: constant, no warmup
    const linear = { kind: 'linear', warmupSteps: 0, totalSteps: 4 } as const;
    expect([0, 1, 2, 3, 4, 9].map((step) => learningRateFactor(linear, step))).toEqual([1, 0.75, 0.5, 0.25, 0, 0]);
  });

  it('has a rule per kind and rejects bad schedules', () => {
    expect(Object.keys(learningRateSchedules)).toEqual(['constant', 'linear', 'cosine']);
    expect(() => learningRateFactor({ kind: 'linear', totalSteps: 0 }, 0)).toThrow(
      'config field "schedule.totalSteps": must be an integer ≥ 1, got 0',
    );
    expect(() => learningRateFactor({ kind: 'constant', warmupSteps: -1 }, 0)).toThrow(InvalidConfigError);
    expect(() => learningRateFactor({ kind: 'cosine', totalSteps: 5, minLearningRateRatio: 2 }, 0)).toThrow(
      'schedule.minLearningRateRatio',
    );
    expect(() => learningRateFactor({ kind: 'constant' }, 1.5)).toThrow(
      'config field "step": must be an integer ≥ 0, got 1.5',
    );
    expect(() => learningRateFactor({ kind: 'step' } as unknown as LearningRateSchedule, 0)).toThrow(
      'unknown schedule "step"',
    );
  });
});
