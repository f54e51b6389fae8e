export {
  emptyRetriever,
  evaluateQuestions,
  summarizePredictions,
  type EvaluateQuestionsOptions,
  type EvaluationQuestion,
  type EvaluationSummary,
  type Prediction,
} from './evaluate-questions';
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
export { type GrpoRolloutCorrectionMetrics } from './grpo-trainer-rollout-correction';
export {
  packTrajectories,
  type MicroBatch,
  type PackedTrajectories,
  type PackTrajectoriesOptions,
  type TrainingSample,
} from './pack-trajectories';
export { freezeParameters } from './freeze-parameters';
export {
  supervisedStep,
  type SupervisedExample,
  type SupervisedStepOptions,
  type SupervisedStepResult,
} from './supervised-step';
export {
  createTrainStep,
  type DynamicSamplingOptions,
  type DynamicSamplingReport,
  type OverlongPenaltySettings,
  type PinnedWeightsPolicy,
  type TrainingQuestion,
  type TrainStep,
  type TrainStepInput,
  type TrainStepOptions,
  type TrainStepResult,
  type TrainStepTimings,
} from './train-step';
export { buildWarmupTranscript, type WarmupTranscriptOptions } from './warmup-transcript';
export {
  createHealthMonitor,
  defaultHealthThresholds,
  healthAlarmKinds,
  healthAlarmSettings,
  healthThresholdRules,
  resolveHealthThresholds,
  type HealthAlarm,
  type HealthAlarmKind,
  type HealthAlarmKindRule,
  type HealthMonitor,
  type HealthStepRecord,
  type HealthThresholdOptions,
  type HealthThresholdRule,
  type HealthThresholds,
} from './health-alarms';
