export {
  actorLossSettingRules,
  checkActorLossSettings,
  computeActorLoss,
  researchActorLossDefaults,
  type ActorLossBatch,
  type ActorLossMetrics,
  type ActorLossOptions,
  type ActorLossResult,
  type LossSettingRule,
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
export { expectNumber, type MaskArray, type RealArray } from './batch-shape';
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
export {
  computeKlPenalty,
  klEstimatorRule,
  klEstimators,
  type KlEstimator,
  type KlEstimatorRule,
} from './kl-estimators';
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
export { computePolicyLoss, type PolicyLossMetrics, type PolicyLossOptions } from './policy-loss';
