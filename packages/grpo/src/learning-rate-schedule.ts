import { InvalidConfigError } from '@research-ts/spec';
import { expectNumber } from './batch-shape';

/**
 * A learning-rate multiplier as a function of the optimizer step index `step` (0 for the first update),
 * the way `torch.optim.lr_scheduler.LambdaLR` applies a `lr_lambda`: update `k` uses `lr · factor(k)`.
 *
 * - `constant`: `step < W ? step / max(1, W) : 1` (verl `get_constant_schedule_with_warmup`, and
 *   transformers' function of the same name). ReSearch uses it with `W = 0`, i.e. a constant lr.
 * - `linear`: warmup as above, then `max(0, (T − step) / max(1, T − W))` (transformers
 *   `get_linear_schedule_with_warmup`).
 * - `cosine`: `step < W ? ρ + (1 − ρ)·step / max(1, W)`, else with `p = (step − W) / max(1, T − W)`:
 *   `max(ρ, ρ' )` where `ρ' = (1 − ρ)/2 · cos(2π·cycles·p) + (1 + ρ)/2` and `ρ = minLearningRateRatio`
 *   (verl `get_cosine_schedule_with_warmup`; with `ρ = 0` it equals transformers' function of that name).
 *
 * Older verl copies (around ReSearch's) computed the constant schedule as `min(1, step / max(1, W))`,
 * which gives factor 0 at step 0 even with `W = 0`; this package follows the current form.
 */
export type LearningRateSchedule =
  | { kind: 'constant'; warmupSteps?: number }
  | { kind: 'linear'; warmupSteps?: number; totalSteps: number }
  | { kind: 'cosine'; warmupSteps?: number; totalSteps: number; minLearningRateRatio?: number; cycles?: number };

export type LearningRateScheduleKind = LearningRateSchedule['kind'];

export interface LearningRateScheduleRule<Kind extends LearningRateScheduleKind> {
  readonly source: string;
  factor(step: number, schedule: Extract<LearningRateSchedule, { kind: Kind }>): number;
}

function warmupOf(schedule: { warmupSteps?: number }): number {
  const warmup = schedule.warmupSteps ?? 0;
  expectNumber(
    'schedule.warmupSteps',
    warmup,
    (value) => Number.isInteger(value) && value >= 0,
    'must be an integer ≥ 0',
  );
  return warmup;
}

function totalOf(schedule: { totalSteps: number }): number {
  expectNumber(
    'schedule.totalSteps',
    schedule.totalSteps,
    (value) => Number.isInteger(value) && value >= 1,
    'must be an integer ≥ 1',
  );
  return schedule.totalSteps;
}

/** The schedules; the mapped type makes the compiler demand one entry per {@link LearningRateScheduleKind}. */
export const learningRateSchedules: { readonly [Kind in LearningRateScheduleKind]: LearningRateScheduleRule<Kind> } = {
  constant: {
    source: 'verl/transformers get_constant_schedule_with_warmup',
    factor(step, schedule) {
      const warmup = warmupOf(schedule);
      return step < warmup ? step / Math.max(1, warmup) : 1;
    },
  },
  linear: {
    source: 'transformers get_linear_schedule_with_warmup',
    factor(step, schedule) {
      const warmup = warmupOf(schedule);
      const total = totalOf(schedule);
      if (step < warmup) return step / Math.max(1, warmup);
      return Math.max(0, (total - step) / Math.max(1, total - warmup));
    },
  },
  cosine: {
    source: 'verl get_cosine_schedule_with_warmup (transformers when minLearningRateRatio = 0)',
    factor(step, schedule) {
      const warmup = warmupOf(schedule);
      const total = totalOf(schedule);
      const minRatio = schedule.minLearningRateRatio ?? 0;
      expectNumber('schedule.minLearningRateRatio', minRatio, (value) => value >= 0 && value <= 1, 'must be in [0, 1]');
      const cycles = schedule.cycles ?? 0.5;
      expectNumber(
        'schedule.cycles',
        cycles,
        (value) => value > 0 && Number.isFinite(value),
        'must be a finite number > 0',
      );
      if (step < warmup) return minRatio + (1 - minRatio) * (step / Math.max(1, warmup));
      const progress = (step - warmup) / Math.max(1, total - warmup);
      const wave = Math.cos(Math.PI * cycles * 2 * progress);
      return Math.max(minRatio, wave * ((1 - minRatio) * 0.5) + (1 + minRatio) * 0.5);
    },
  },
};

/** The multiplier of the base learning rate at optimizer step `step` (0-based). */
export function learningRateFactor(schedule: LearningRateSchedule, step: number): number {
  expectNumber('step', step, (value) => Number.isInteger(value) && value >= 0, 'must be an integer ≥ 0');
  const rule = learningRateSchedules[schedule.kind] as LearningRateScheduleRule<LearningRateScheduleKind> | undefined;
  if (rule === undefined) {
    throw new InvalidConfigError(
      'schedule.kind',
      `unknown schedule "${String(schedule.kind)}" (expected constant, linear or cosine)`,
    );
  }
  return rule.factor(step, schedule);
}
