export { algorithmNames, algorithmRecipes, type AlgorithmName, type AlgorithmRecipe } from './algorithm-recipes';
export { buildIndex, type BuildIndexOptions, type BuildIndexResult } from './build-index';
export {
  checkpointFormat,
  checkpointName,
  findLatestCheckpoint,
  listCheckpoints,
  loadCheckpointState,
  pruneCheckpoints,
  saveCheckpoint,
  verifyCheckpoint,
  type CheckpointState,
  type LatestCheckpoint,
  type SaveCheckpointOptions,
} from './checkpoint';
export { createProgram, main } from './program';
export { configPresets, type ConfigPresetName } from './config-presets';
export { formatTrainSummary, rewardStartEnd } from './format-train-summary';
export { initModel, type InitModelOptions, type InitModelResult } from './init-model';
export { MetricsWriter, readMetrics, type MetricsRecord } from './metrics-writer';
export { embeddingInitStds, modelSizeConfig, modelSizes, type ModelSizeName } from './model-sizes';
export {
  closeRetriever,
  embeddingConventions,
  openIndexDirectory,
  openRetriever,
  retrieverSourceOf,
  type EmbeddingModelSource,
  type RetrieverSource,
} from './open-retriever';
export { createProgress, wantsPlainProgress, type Progress, type ProgressOptions } from './progress';
export { mergeConfig, parseOverride, presetNames, resolveConfig, type ResolveConfigOptions } from './resolve-config';
export { runEvaluation, type RunEvaluationOptions, type RunEvaluationResult } from './run-evaluation';
export { serveRetriever, type ServeRetrieverOptions } from './serve-retriever';
export { train, type RewardPoint, type TrainOptions, type TrainSummary } from './train';
export { parseTrainerConfig, trainerConfigSchema, type TrainerConfig, type TrainerConfigInput } from './trainer-config';
export { buildWorld, worldOptions, type WorldSource } from './world-source';
