import { runOnDevice, type DeviceTensor, type OnnxSession, type SessionFeed } from '../backend/onnxruntime';
import type { DecoderConfig } from '../model/decoder-config';
import { buildInferenceGraph, pastKeyValueNames, presentKeyValueNames } from '../decoder/decoder-graph';
import type { GraphBuilder } from '@research-ts/onnx-graph';
import type { LoraSettings } from '../lora/lora-settings';
import type { DeviceCacheBlock } from './device-kv-cache';
import { appendSampler, samplerMaxVocab, samplesOutputName, samplingInputName } from './sampler-graph';
import { stepTokenFeeds, type StepTokens } from './step-feeds';

export interface DeviceStepGraphOptions {
  /** See `InferenceGraphOptions.fusedOps`. */
  fusedOps?: boolean;
  /** Parameters stored in the model instead of fed (see `InferenceGraphOptions.initializers`). */
  initializers?: ReadonlyMap<string, Float32Array>;
  /** LoRA adapters (see `DecoderGraphOptions.lora`). */
  lora?: LoraSettings;
}

/** Whether the step graph of `config` samples in the graph (ids are exact in float32 below 2²⁴). */
export const samplesInGraph = (config: DecoderConfig): boolean => config.vocabSize <= samplerMaxVocab;

/**
 * The generation graph of a GPU provider, for prefill and decode steps alike: the inference graph with
 * the whole cache as its output (`present_key_values.*`, fed back as the next step's past) and, when
 * `samplesInGraph`, the sampler on its last-position logits (`sampling` → `samples`).
 */
export function buildDeviceStepGraph(config: DecoderConfig, options: DeviceStepGraphOptions = {}): GraphBuilder {
  const graph = buildInferenceGraph(config, { ...options, cacheOutputs: 'present' });
  if (samplesInGraph(config)) appendSampler(graph, graph.value('logits'), config.vocabSize);
  return graph;
}

/** The outputs of the step graph that stay on the device: every layer's cache and the logits. */
export function deviceStepOutputNames(config: DecoderConfig): string[] {
  return [
    ...Array.from({ length: config.numHiddenLayers }, (_, layer) => Object.values(presentKeyValueNames(layer))).flat(),
    'logits',
  ];
}

/** One run of the step graph over `rows` rows of `inputIds.length / rows` new tokens each. */
export interface DeviceStepInput extends StepTokens {
  past: DeviceCacheBlock;
  /** The sampler's `[draws, 3]` feed (see `appendSampler`), when the graph samples. */
  sampling: Float32Array | undefined;
}

export interface DeviceStepOutput {
  /** The cache after the step, `[rows, kvHeads, past.slots + new tokens, headDim]` (the caller's to discard). */
  present: DeviceCacheBlock;
  /** The last position's logits `[rows, vocab]`, on the device (the caller's to dispose). */
  logits: DeviceTensor;
  /** The sampler's output `[draws, 3]`, when the graph samples. */
  samples: Float32Array | undefined;
}

/**
 * Runs the step graph: uploads the ids, positions, mask and sampler feed (four transfers whatever the
 * depth of the model), feeds the parameters and past cache from the device, and downloads only the
 * samples.
 */
export async function runDeviceStep(
  config: DecoderConfig,
  session: OnnxSession,
  parameters: Readonly<Record<string, SessionFeed>>,
  input: DeviceStepInput,
): Promise<DeviceStepOutput> {
  const { rows, past } = input;
  const sequence = input.inputIds.length / rows;
  const feeds: Record<string, SessionFeed> = { ...parameters, ...stepTokenFeeds(input, past.slots) };
  if (input.sampling !== undefined)
    feeds[samplingInputName] = { data: input.sampling, dims: [input.sampling.length / 3, 3] };
  for (let layer = 0; layer < config.numHiddenLayers; layer++) {
    const names = pastKeyValueNames(layer);
    feeds[names.key] = past.keys[layer]!;
    feeds[names.value] = past.values[layer]!;
  }
  const { host, device } = await runOnDevice(session, feeds);
  const layers = Array.from({ length: config.numHiddenLayers }, (_, layer) => presentKeyValueNames(layer));
  return {
    present: {
      keys: layers.map(({ key }) => device[key]!),
      values: layers.map(({ value }) => device[value]!),
      rows,
      slots: past.slots + sequence,
    },
    logits: device.logits!,
    samples: host[samplesOutputName]?.data,
  };
}
