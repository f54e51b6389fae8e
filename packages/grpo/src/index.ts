export {
  computeActorLoss,
  researchActorLossDefaults,
  type ActorLossBatch,
  type ActorLossMetrics,
  type ActorLossOptions,
  type ActorLossResult,
  type PolicyLossSettings,
} from './actor-loss';
export {
  createAdamW,
  type AdamW,
  type AdamWOptions,
  type AdamWParameterState,
  type AdamWState,
  type NamedGradients,
  type NamedParameter,
} from './adamw';
export type { MaskArray, RealArray } from './batch-shape';
export { broadcastAdvantages } from './broadcast-advantages';
export { clipGradNorm, type GradientSet } from './clip-grad-norm';
export {
  advantageModes,
  computeAdvantages,
  computeGrpoAdvantages,
  type AdvantageMode,
  type AdvantageModeRule,
  type AdvantageResult,
  type ComputeAdvantagesOptions,
} from './compute-advantages';
export { globalAggregation, type BatchTotals } from './global-aggregation';
export {
  createGrpoTrainer,
  type GrpoEpochMetrics,
  type GrpoGradients,
  type GrpoLossOptions,
  type GrpoOptimizerOptions,
  type GrpoSkipReason,
  type GrpoStepMetrics,
  type GrpoStepResult,
  type GrpoStepTimings,
  type GrpoTrainer,
  type GrpoTrainerOptions,
  type GrpoTrainerState,
  type ReferencePolicy,
} from './grpo-trainer';
export { computeKlPenalty, klEstimators, type KlEstimator, type KlEstimatorRule } from './kl-estimators';
export {
  learningRateFactor,
  learningRateSchedules,
  type LearningRateSchedule,
  type LearningRateScheduleKind,
  type LearningRateScheduleRule,
} from './learning-rate-schedule';
export {
  aggregateLoss,
  aggregationModes,
  computeAggregationWeights,
  type AggregationContext,
  type AggregationMode,
  type AggregationRule,
  type LossAggregation,
} from './loss-aggregation';
export {
  packTrajectories,
  type MicroBatch,
  type PackedTrajectories,
  type PackTrajectoriesOptions,
  type TrainingSample,
} from './pack-trajectories';
export { computePolicyLoss, type PolicyLossMetrics, type PolicyLossOptions } from './policy-loss';
