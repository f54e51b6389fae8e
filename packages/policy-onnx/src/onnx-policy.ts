import {
  InvalidInputError,
  trainingStateMethods,
  type GenerateResult,
  type TokenBatch,
  type Tokenizer,
  type TrainablePolicy,
} from '@research-ts/spec';
import { loadTokenizer } from '@research-ts/tokenizer';
import type { ExecutionProvider } from './backend/onnxruntime';
import type { DecoderConfig } from './model/decoder-config';
import { DeviceParameters } from './device/device-parameters';
import { DeviceGeneration } from './generation/device-generation';
import type { GenerationEngine } from './generation/generation-engine';
import { GenerationSession } from './generation/generation-session';
import type { GenerationStatistics } from './generation/generation-statistics';
import { HostGeneration } from './generation/host-generation';
import { createSequences } from './generation/sequence';
import { loadModelDirectory, saveModelDirectory, type SaveModelOptions } from './model/model-directory';
import type { DecoderModel } from './model/random-model';
import type { TokenLogprobGradients } from './training/decoder-training';
import { createPolicyTraining } from './training/policy-training';
import { resolveLora, type LoraOptions, type PolicyLora } from './lora/resolve-lora';
import { saveLoraAdapter, type SaveLoraAdapterOptions } from './lora/lora-adapter-directory';
import { mergeLoraAdapter } from './lora/merge-lora-adapter';
import type { LoraSettings } from './lora/lora-settings';

export interface OnnxPolicyOptions {
  /** A model in memory (its parameter arrays become the policy's live parameters, not copied). */
  model?: DecoderModel;
  /** Or a Hugging Face model directory to load (config.json + safetensors). */
  modelDirectory?: string;
  /** The model's tokenizer; default: the one in `modelDirectory` (an error when it has none). */
  tokenizer?: Tokenizer;
  /** `'cpu'` (default), `'webgpu'` (bundled with onnxruntime-node) or `'cuda'` (when installed). */
  executionProvider?: ExecutionProvider;
  /** Threads of one operator on the CPU provider (default: onnxruntime's choice). */
  threads?: number;
  /** The policy's `name` (default `onnx:<family>-<layers>x<hidden>`). */
  name?: string;
  /** Bytes of KV cache kept between calls for prefix reuse (default 256 MiB). */
  maxCacheBytes?: number;
  /**
   * A prefill run holds at most this many new tokens, padding included (default 512), bounding attention
   * memory: short contexts share one run; a longer one goes in pieces of this size.
   */
  prefillChunkTokens?: number;
  /** Training runs: see `DecoderTrainingOptions.maxTokensPerRun` (default 4096). */
  maxTokensPerRun?: number;
  /**
   * How the generation graph gets the weights: `'inputs'` (fed on every run, zero-copy from the host
   * arrays on `cpu`, the device tensors of `deviceParameters` on `webgpu`, so an update needs no new
   * session; the default on both) or `'initializers'` (stored in the session; `clearCache()`, which every
   * applied update calls, then rebuilds the generation session from the current parameters, on webgpu
   * read back from the device and uploaded again; the default on `cuda`, whose runs would otherwise copy
   * every weight from the host).
   */
  inferenceWeights?: 'inputs' | 'initializers';
  /**
   * Whether the generation graph uses onnxruntime's fused RMSNorm (`SimplifiedLayerNormalization`) and
   * RoPE (`com.microsoft.RotaryEmbedding`) kernels (default `true`); `false` gives the plain ops. Both
   * graphs compute the same values (to float32 rounding).
   */
  fusedOps?: boolean;
  /**
   * Train LoRA adapters instead of the whole model: fresh ones (`{ rank, alpha, targets, rsLora?, seed? }`,
   * PEFT's init) or an adapter directory PEFT or `saveAdapter` wrote (`{ adapterDirectory }`). The base
   * weights are frozen graph inputs and get no gradient; `parameterSizes`, updates, moments and
   * `readParameters` cover the adapters only. Checked at creation; errors name the field.
   */
  lora?: LoraOptions;
}

/** A `Policy` over a Qwen2/Llama decoder on onnxruntime, with the training passes of the same weights. */
export interface OnnxPolicy extends TrainablePolicy {
  readonly config: DecoderConfig;
  /**
   * The live parameters (Hugging Face names, float32) on `cpu`: update them in place, then call
   * `clearCache()`. On a GPU provider the parameters live on the device (`deviceParameters`) and this
   * map holds the initial values only: training does not update it; read the current values with
   * `readParameters()`.
   */
  readonly parameters: Map<string, Float32Array>;
  /**
   * On a GPU provider, the parameters on the device: uploaded once at creation, fed to the training
   * graphs, replaced by each applied update (read them when feeding them: a tensor is disposed when
   * replaced). `undefined` on `cpu`.
   */
  readonly deviceParameters: DeviceParameters | undefined;
  readonly tokenizer: Tokenizer;
  readonly executionProvider: ExecutionProvider;
  /** The adapters' settings when the policy trains LoRA adapters (`options.lora`), else undefined. */
  readonly lora: LoraSettings | undefined;
  /**
   * Gradients of `Σ gradLogprobs·logprobs + Σ gradEntropies·entropies` (the `scoreTokens` outputs) for
   * every parameter, by name, without touching the training state. The arrays are reused (overwritten) by
   * the next `backward` call. On a GPU provider they are host copies read back from the device (for
   * checks; training goes through `accumulateGradients`).
   */
  backward(batch: TokenBatch, upstream: TokenLogprobGradients): Promise<Map<string, Float32Array>>;
  /** Counters since creation: tokens prefilled, tokens whose cache came from the pool, decode steps and tokens. */
  readonly statistics: GenerationStatistics;
  /** Drops every cached KV prefix; call after changing `parameters`. */
  clearCache(): void;
  /**
   * Writes the current parameters as a Hugging Face model directory (on a GPU provider, read back from the
   * device first); with LoRA the merged model, each targeted weight `W + scale·B·A` (the export: loads
   * without PEFT).
   */
  save(directory: string, options?: SaveModelOptions): Promise<string>;
  /**
   * With LoRA, writes the current adapters as a PEFT adapter directory (`saveLoraAdapter`; the base model's
   * path is `base_model_name_or_path` when the policy loaded one). Without LoRA an `InvalidInputError`.
   */
  saveAdapter(directory: string, options?: SaveLoraAdapterOptions): Promise<string>;
  /** Frees the onnxruntime sessions. */
  release(): Promise<void>;
}

/**
 * Creates a `Policy` over a decoder model on onnxruntime, with KV-cache generation and the training
 * passes (`scoreTokens`, `backward`, `accumulateGradients`) over the same live parameters.
 *
 * Generation, per call: the contexts are prefilled together in batched runs, each reusing the longest
 * cached prefix from a pool; then all sequences decode together, one token per step, and a finished
 * sequence's cache joins the pool (`HostGeneration` on `cpu`, `DeviceGeneration` with the KV cache on the
 * device on a GPU provider). Sampling: `sampleToken` with one RNG per request seeded by `sampling.seed`
 * (random when absent), so a seed gives the same tokens whatever else is in the batch.
 */
export async function createOnnxPolicy(options: OnnxPolicyOptions): Promise<OnnxPolicy> {
  const { model, tokenizer } = await loadPolicyModel(options);
  const { config } = model;
  const lora: PolicyLora | undefined = await resolveLora(options.lora, config);
  // the base's arrays, then the adapters' (the model's own map is not changed)
  const parameters = lora === undefined ? model.parameters : new Map([...model.parameters, ...lora.parameters]);
  const executionProvider = options.executionProvider ?? 'cpu';
  const prefillChunkTokens = options.prefillChunkTokens ?? 512;
  if (!Number.isSafeInteger(prefillChunkTokens) || prefillChunkTokens < 1)
    throw new InvalidInputError(`must be a positive integer, got ${prefillChunkTokens}`, {
      source: 'createOnnxPolicy',
      field: 'prefillChunkTokens',
    });
  // On webgpu parameters, gradients, AdamW moments and the KV cache live on the device; on cpu in host arrays. The
  // cuda provider of onnxruntime-node has no device location for tensors in its JS API (every run copies its
  // inputs and outputs), so it runs the host algorithm, with the generation weights stored in its session.
  const deviceParameters =
    executionProvider === 'webgpu'
      ? await DeviceParameters.upload(executionProvider, config, parameters, lora?.settings)
      : undefined;
  const weights = options.inferenceWeights ?? (executionProvider === 'cuda' ? 'initializers' : 'inputs');
  const session = await GenerationSession.open({
    config,
    executionProvider,
    threads: options.threads,
    parameters,
    deviceParameters,
    weights,
    fusedOps: options.fusedOps ?? true,
    lora: lora?.settings,
  });
  const statistics: GenerationStatistics = { prefilledTokens: 0, reusedTokens: 0, decodeSteps: 0, decodedTokens: 0 };
  const maxCacheBytes = options.maxCacheBytes ?? 256 * 1024 * 1024;
  const engineOptions = {
    config,
    executionProvider,
    session: () => session.session(),
    parameterFeeds: () => session.parameterFeeds(),
    statistics,
    maxCacheBytes,
    prefillChunkTokens,
  };
  const generation: GenerationEngine =
    deviceParameters === undefined ? new HostGeneration(engineOptions) : new DeviceGeneration(engineOptions);
  const training = createPolicyTraining(config, parameters, deviceParameters, {
    executionProvider,
    threads: options.threads,
    maxTokensPerRun: options.maxTokensPerRun,
    lora: lora?.settings,
  });
  const clearCache = () => {
    generation.clearCache();
    session.retire();
  };
  return {
    specificationVersion: 'v1',
    name: options.name ?? `onnx:${config.family}-${config.numHiddenLayers}x${config.hiddenSize}`,
    config,
    parameters,
    deviceParameters,
    tokenizer,
    executionProvider,
    lora: lora?.settings,
    statistics,
    generate: (requests, generateOptions = {}) =>
      session.whileRunning(async (): Promise<GenerateResult[]> => {
        generateOptions.signal?.throwIfAborted();
        const sequences = createSequences(requests, tokenizer, config.vocabSize);
        await generation.generate(sequences, generateOptions);
        return sequences.map((sequence) => sequence.result!);
      }),
    scoreTokens: training.scoreTokens,
    backward: training.backward,
    accumulateGradients: training.accumulateGradients,
    ...trainingStateMethods(training.state),
    async applyUpdate(update) {
      const result = await training.state.applyUpdate(update);
      if (result.applied) clearCache();
      return result;
    },
    clearCache,
    save: async (directory, saveOptions) => {
      const current = await training.readCurrentParameters();
      if (lora === undefined) return saveModelDirectory(directory, { config, parameters: current }, saveOptions);
      const base = { config, parameters: new Map([...model.parameters].map(([name]) => [name, current.get(name)!])) };
      const merged = mergeLoraAdapter(base, { settings: lora.settings, parameters: current });
      return saveModelDirectory(directory, merged, saveOptions);
    },
    saveAdapter: async (directory, adapterOptions) => {
      if (lora === undefined)
        throw new InvalidInputError('the policy has no LoRA adapters (create it with options.lora)', {
          source: 'saveAdapter',
          field: 'lora',
        });
      const current = await training.readCurrentParameters();
      const adapters = new Map([...lora.parameters.keys()].map((name) => [name, current.get(name)!]));
      return saveLoraAdapter(
        directory,
        config,
        { settings: lora.settings, parameters: adapters },
        { baseModelNameOrPath: lora.baseModelNameOrPath ?? options.modelDirectory, ...adapterOptions },
      );
    },
    release: async () => {
      await generation.release();
      await training.release();
      deviceParameters?.dispose();
      await session.release();
    },
  };
}

/** The model (given, or loaded from `modelDirectory`) and its tokenizer (given, or the directory's), checked against each other. */
async function loadPolicyModel(options: OnnxPolicyOptions): Promise<{ model: DecoderModel; tokenizer: Tokenizer }> {
  if ((options.model === undefined) === (options.modelDirectory === undefined)) {
    throw new InvalidInputError('give exactly one of model and modelDirectory', {
      source: 'createOnnxPolicy',
      field: 'model',
    });
  }
  let model: DecoderModel;
  let tokenizer = options.tokenizer;
  if (options.modelDirectory !== undefined) {
    const loaded = await loadModelDirectory(options.modelDirectory);
    model = loaded;
    if (tokenizer === undefined) {
      if (loaded.tokenizerDirectory === undefined)
        throw new InvalidInputError('has no tokenizer.json; pass a tokenizer', {
          source: options.modelDirectory,
          field: 'tokenizer',
        });
      tokenizer = await loadTokenizer(loaded.tokenizerDirectory);
    }
  } else model = options.model!;
  if (tokenizer === undefined)
    throw new InvalidInputError('is required with a model in memory', {
      source: 'createOnnxPolicy',
      field: 'tokenizer',
    });
  if (tokenizer.vocabSize > model.config.vocabSize) {
    throw new InvalidInputError(
      `the tokenizer has ${tokenizer.vocabSize} ids but the model only ${model.config.vocabSize} embeddings`,
      { source: 'createOnnxPolicy', field: 'tokenizer' },
    );
  }
  return { model, tokenizer };
}
