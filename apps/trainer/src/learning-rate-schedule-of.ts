import type { LearningRateSchedule } from '@research-ts/grpo';
import type { TrainerConfig } from './trainer-config';

/** The optimizer section's schedule over the run's `training.steps`. */
export function learningRateScheduleOf(config: Pick<TrainerConfig, 'optimizer' | 'training'>): LearningRateSchedule {
  const { schedule, warmupSteps, minLearningRateRatio } = config.optimizer;
  if (schedule === 'constant') return { kind: 'constant', warmupSteps };
  if (schedule === 'linear') return { kind: 'linear', warmupSteps, totalSteps: config.training.steps };
  return { kind: 'cosine', warmupSteps, totalSteps: config.training.steps, minLearningRateRatio };
}
