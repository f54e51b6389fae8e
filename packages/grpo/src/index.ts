export {
  actorLossDefaultsFor,
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
export {
  advantageEstimators,
  computeAdvantageEstimate,
  type AdvantageEstimate,
  type AdvantageEstimator,
  type AdvantageEstimatorKnobs,
  type AdvantageEstimatorRule,
  type ComputeAdvantageEstimateOptions,
} from './advantage-estimators';
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
export { groupsWithVariance, type GroupFilterResult } from './dynamic-sampling';
export { computeGpgAdvantages, computeOpoAdvantages, computeRlooAdvantages } from './group-baseline-advantages';
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
export { dropSamples, overlongFilterMask } from './overlong-filter';
export { overlongPenalties, overlongPenalty, type OverlongPenaltyOptions } from './overlong-penalty';
export { computePolicyLoss, type PolicyLossMetrics, type PolicyLossOptions } from './policy-loss';
export {
  policyLossRule,
  policyLosses,
  type PolicyLossDefaults,
  type PolicyLossKnob,
  type PolicyLossName,
  type PolicyLossRule,
  type PolicyLossVariantSettings,
} from './policy-losses';
export {
  computeReinforcePlusPlusAdvantages,
  computeReinforcePlusPlusBaselineAdvantages,
  type ReinforcePlusPlusResult,
} from './reinforce-plus-plus';
export {
  computeRolloutCorrection,
  resolveRolloutCorrectionSettings,
  rolloutCorrectionModes,
  type ImportanceLevel,
  type RejectionLevel,
  type ResolvedRolloutCorrectionSettings,
  type RolloutCorrectionMode,
  type RolloutCorrectionModeRule,
  type RolloutCorrectionOptions,
  type RolloutCorrectionResult,
  type RolloutCorrectionSettings,
} from './rollout-correction';
export {
  rolloutLogRatioClamp,
  verlRolloutCorrectionMetrics,
  type ImportanceMetrics,
  type OffPolicyMetrics,
  type RejectionMetrics,
  type RolloutCorrectionMetrics,
  type VetoMetrics,
  type WeightStatistics,
} from './rollout-correction-metrics';
