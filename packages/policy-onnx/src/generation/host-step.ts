import { runSession, type OnnxSession, type SessionFeed } from '../backend/onnxruntime';
import type { DecoderConfig } from '../model/decoder-config';
import { newKeyValueNames, pastKeyValueNames } from '../decoder/decoder-graph';
import { stepTokenFeeds, type StepTokens } from './step-feeds';

/** One run of the inference graph over host arrays: new tokens after a padded cache of `pastSlots` slots per row. */
export interface HostStepInput extends StepTokens {
  /** Per layer `[rows, kvHeads, pastSlots, headDim]`. */
  keys: Float32Array[];
  values: Float32Array[];
  pastSlots: number;
}

/** What one run of the inference graph returns. */
export interface HostStepOutput {
  /** The last position's logits `[rows, vocab]`. */
  logits: Float32Array;
  /** The new tokens' keys and values, `[rows, kvHeads, new tokens, headDim]` per layer. */
  keys: Float32Array[];
  values: Float32Array[];
}

/** Runs the inference graph (`buildInferenceGraph`) once: prefill and decode steps alike. */
export async function runHostStep(
  config: DecoderConfig,
  session: OnnxSession,
  parameters: Readonly<Record<string, SessionFeed>>,
  input: HostStepInput,
): Promise<HostStepOutput> {
  const { numHiddenLayers: layers, numKeyValueHeads: kvHeads, headDim } = config;
  const { rows, pastSlots } = input;
  const feeds: Record<string, SessionFeed> = { ...parameters, ...stepTokenFeeds(input, pastSlots) };
  for (let layer = 0; layer < layers; layer++) {
    const names = pastKeyValueNames(layer);
    feeds[names.key] = { data: input.keys[layer]!, dims: [rows, kvHeads, pastSlots, headDim] };
    feeds[names.value] = { data: input.values[layer]!, dims: [rows, kvHeads, pastSlots, headDim] };
  }
  const outputs = await runSession(session, feeds);
  const added = (layer: number, kind: 'key' | 'value') => outputs[newKeyValueNames(layer)[kind]]!.data;
  return {
    logits: outputs.logits!.data,
    keys: Array.from({ length: layers }, (_, layer) => added(layer, 'key')),
    values: Array.from({ length: layers }, (_, layer) => added(layer, 'value')),
  };
}
