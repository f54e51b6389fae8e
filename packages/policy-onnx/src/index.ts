export {
  createSession,
  engineRunCounters,
  executionProviders,
  listExecutionProviders,
  OnnxSession,
  runSession,
  runSessionFloat64,
} from './backend/onnxruntime';
export type {
  CreateSessionOptions,
  DeviceTensor,
  EngineRunCounters,
  ExecutionProvider,
  FeedTensor,
  OutputTensor,
  RunSessionOptions,
} from './backend/onnxruntime';
export { bfloat16ToFloat32, float32BitsToBfloat16Bits, float32ToBfloat16 } from './model/bfloat16';
export {
  checkDecoderConfig,
  parseDecoderConfig,
  toHuggingFaceConfig,
  toHuggingFaceGenerationConfig,
  writtenTransformersVersion,
} from './model/decoder-config';
export type { DecoderConfig, DecoderFamily, RopeScaling, TorchDtype } from './model/decoder-config';
export { qwen2_5_0_5bConfig, qwen3_0_6bConfig, tinyConfig } from './model/decoder-config-presets';
export { decoderParameterCount, decoderParameterShapes } from './model/decoder-parameter-shapes';
export type { ParameterShape } from './model/decoder-parameter-shapes';
export { decodeFloat32, encodeFloat32 } from './safetensors/decode-float-tensor';
export type { DeviceParameters } from './device/device-parameters';
export {
  buildBackwardGraph,
  buildInferenceGraph,
  buildTrainingGraph,
  newKeyValueNames,
  pastKeyValueNames,
  presentKeyValueNames,
} from './decoder/decoder-graph';
export type { DecoderDtype, DecoderGraphOptions, InferenceGraphOptions } from './decoder/decoder-graph';
export { DecoderTraining, parameterFeeds } from './training/decoder-training';
export type { DecoderTrainingOptions, TokenLogprobGradients, TokenLogprobs } from './training/decoder-training';
export {
  float16BitsToFloat32Bits,
  float16ToFloat32,
  float32BitsToFloat16Bits,
  float32ToFloat16,
} from './model/float16';
export { readModelConfig, writeModelConfig } from './model/model-config-file';
export { loadModelDirectory, saveModelDirectory, tokenizerFileNames } from './model/model-directory';
export type { LoadedModel, LoadModelOptions, SaveModelOptions } from './model/model-directory';
export { GenerationText } from './generation/generation-text';
export type { TextStep } from './generation/generation-text';
export { KvCachePool } from './generation/kv-cache-pool';
export type { CacheMatch, SequenceCache } from './generation/kv-cache-pool';
export { createOnnxPolicy } from './onnx-policy';
export type { OnnxPolicy, OnnxPolicyOptions } from './onnx-policy';
export type { GenerationStatistics } from './generation/generation-statistics';
export { createRandomModel } from './model/random-model';
export type { DecoderModel, RandomModelOptions } from './model/random-model';
export { openSafetensors, readSafetensors } from './safetensors/read-safetensors';
export type { OpenSafetensorsOptions, SafetensorsFile, SafetensorsTensor } from './safetensors/read-safetensors';
export { safetensorsDtypeSizes } from './safetensors/safetensors-dtype';
export type { FloatDtype, SafetensorsDtype } from './safetensors/safetensors-dtype';
export { maximumHeaderBytes } from './safetensors/safetensors-header';
export type { SafetensorsEntry } from './safetensors/safetensors-header';
export {
  defaultMaxShardBytes,
  openSafetensorsDirectory,
  writeSafetensorsShards,
} from './safetensors/safetensors-shards';
export type { SafetensorsCheckpoint, WriteShardsOptions, WrittenShards } from './safetensors/safetensors-shards';
export { ropeInverseFrequencies } from './decoder/rope-frequencies';
export { resolveSampling, sampleToken } from './generation/sampling';
export type { SampledToken, SamplingSettings } from './generation/sampling';
/** Re-exported from spec, where the one seeded generator of research-ts lives. */
export { deriveSeed, SeededRandom } from '@research-ts/spec';
export { toInt64TokenBatch } from './training/token-batch';
export type { Int64TokenBatch } from './training/token-batch';
export { encodeSafetensors, writeSafetensors } from './safetensors/write-safetensors';
export type { TensorToWrite, TensorsToWrite, WriteSafetensorsOptions } from './safetensors/write-safetensors';
export { loraTargetModules, loraParameterShapes, loraScale } from './lora/lora-settings';
export type { LoraSettings, LoraTarget } from './lora/lora-settings';
export { loadLoraAdapter, loraAdapterFileNames, saveLoraAdapter } from './lora/lora-adapter-directory';
export type { LoadedLoraAdapter, LoraAdapter, SaveLoraAdapterOptions } from './lora/lora-adapter-directory';
export { mergeLoraAdapter } from './lora/merge-lora-adapter';
export type { LoraOptions } from './lora/resolve-lora';
