import {
  createHostTrainingState,
  type TokenBatch,
  type TokenScoreGradients,
  type TokenScores,
  type TrainingStateLike,
} from '@research-ts/spec';
import { readDeviceTensors, type ExecutionProvider } from '../backend/onnxruntime';
import type { DecoderConfig } from '../model/decoder-config';
import type { DeviceParameters } from '../device/device-parameters';
import { createDeviceTrainingState } from '../device/device-training-state';
import { trainedParameterShapes, type LoraSettings } from '../lora/lora-settings';
import { DecoderTraining, type TokenLogprobGradients } from './decoder-training';

/** The onnxruntime settings of the training sessions. */
export interface PolicyTrainingOptions {
  executionProvider: ExecutionProvider;
  /** Threads of one operator on the CPU provider. */
  threads: number | undefined;
  /** See `DecoderTrainingOptions.maxTokensPerRun`. */
  maxTokensPerRun: number | undefined;
  /** LoRA adapters among `parameters`: only they train (see `DecoderTrainingOptions.lora`). */
  lora: LoraSettings | undefined;
}

/** The training side of an `OnnxPolicy`: the training passes and the state an update changes. */
export interface PolicyTraining {
  /** Gradient accumulators, optimizer moments and the update: host arrays on `cpu`, device tensors on a GPU provider. */
  readonly state: TrainingStateLike;
  scoreTokens(batch: TokenBatch): Promise<TokenScores>;
  /** Host gradients of one batch (read back from the device on a GPU provider), for checks; see `OnnxPolicy.backward`. */
  backward(batch: TokenBatch, upstream: TokenLogprobGradients): Promise<Map<string, Float32Array>>;
  accumulateGradients(batch: TokenBatch, upstream: TokenScoreGradients): Promise<void>;
  /** Every parameter (base and adapters) as it is now, for a checkpoint (on a GPU provider read back from the device). */
  readCurrentParameters(): Promise<Map<string, Float32Array>>;
  /** Frees the training sessions and device state. */
  release(): Promise<void>;
}

/**
 * The training side of a policy over its live parameters. On `cpu`, the gradients, AdamW moments and
 * updates are host arrays (`createHostTrainingState`, updating `parameters` in place); on a GPU provider
 * they live on the device with `deviceParameters` (`createDeviceTrainingState`), and the backward pass
 * keeps its gradients there. With `options.lora` only the adapters are trained parameters (`parameterSizes`,
 * updates, moments, `readParameters`); the base weights are fed, never updated.
 */
export function createPolicyTraining(
  config: DecoderConfig,
  parameters: Map<string, Float32Array>,
  deviceParameters: DeviceParameters | undefined,
  options: PolicyTrainingOptions,
): PolicyTraining {
  const training = new DecoderTraining(config, parameters, { ...options, deviceParameters });
  const trainable = trainedParameterShapes(config, options.lora).map(({ name }) => name);
  if (deviceParameters === undefined) {
    // the same arrays as `parameters` holds, so an update is seen by the next run
    const state = createHostTrainingState(new Map(trainable.map((name) => [name, parameters.get(name)!])));
    return {
      state,
      scoreTokens: (batch) => training.scoreTokens(batch),
      backward: async (batch, upstream) => (await training.backward(batch, upstream)).gradients,
      accumulateGradients: async (batch, upstream) =>
        state.accumulate((await training.backward(batch, upstream)).gradients),
      readCurrentParameters: async () => parameters,
      release: () => training.release(),
    };
  }
  const state = createDeviceTrainingState(deviceParameters, { threads: options.threads, trainable });
  return {
    state,
    scoreTokens: (batch) => training.scoreTokens(batch),
    backward: async (batch, upstream) => {
      const { gradients } = await training.backwardOnDevice(batch, upstream);
      const copies = await readDeviceTensors([...gradients.values()]).finally(() =>
        gradients.forEach((tensor) => tensor.dispose()),
      );
      return new Map([...gradients.keys()].map((name, index) => [name, copies[index]!]));
    },
    accumulateGradients: async (batch, upstream) =>
      state.accumulate((await training.backwardOnDevice(batch, upstream)).gradients),
    // a checkpoint of a GPU policy is written from the device: its host map holds the initial values
    readCurrentParameters: async () => new Map([...parameters, ...(await state.readParameters())]),
    release: async () => {
      await training.release();
      await state.release();
    },
  };
}
