import {
  createHostTrainingState,
  trainingStateMethods,
  InvalidInputError,
  type GenerateOptions,
  type GenerateRequest,
  type GenerateResult,
  type TokenBatch as SpecTokenBatch,
  type Tokenizer,
  type TokenScores,
  type TrainablePolicy,
} from '@research-ts/spec';
import { loadTokenizer } from '@research-ts/tokenizer';
import { createSession, readDeviceTensors, runSession, type ExecutionProvider, type FeedTensor, type OnnxSession, type OutputTensor } from './backend/onnxruntime';
import type { DecoderConfig } from './decoder-config';
import { buildInferenceGraph, newKeyValueNames, pastKeyValueNames } from './decoder-graph';
import { DecoderTraining, parameterFeeds, type TokenLogprobGradients, type TokenLogprobs } from './decoder-training';
import { DeviceParameters } from './device/device-parameters';
import { createDeviceTrainingState } from './device/device-training-state';
import { DeviceGeneration } from './generation/device-generation';
import { nextPrefillGroup } from './generation/next-prefill-group';
import { buildDeviceStepGraph, deviceStepOutputNames } from './generation/device-step';
import type { GenerationStatistics } from './generation/generation-statistics';
import { acceptToken, createSequences, type Sequence } from './generation/sequence';
import { KvCachePool, type SequenceCache } from './kv-cache-pool';
import { loadModelDirectory, saveModelDirectory, type SaveModelOptions } from './model-directory';
import type { DecoderModel } from './random-model';
import { sampleToken } from './sampling';
import type { TokenBatch } from './token-batch';

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
   * How the generation graph gets the weights: `'inputs'` (default: fed on every run, zero-copy from the
   * host arrays on `cpu`, the device tensors of `deviceParameters` on a GPU provider, so an update needs
   * no new session) or `'initializers'` (stored in the session; `clearCache()`, which every applied
   * update calls, then rebuilds the generation session from the current parameters, on a GPU provider
   * read back from the device and uploaded again).
   */
  inferenceWeights?: 'inputs' | 'initializers';
  /**
   * Whether the generation graph uses onnxruntime's fused RMSNorm (`SimplifiedLayerNormalization`) and
   * RoPE (`com.microsoft.RotaryEmbedding`) kernels (default `true`); `false` gives the plain ops. Both
   * graphs compute the same values (to float32 rounding).
   */
  fusedOps?: boolean;
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
  /** Per-token logprobs and entropies of a right-padded batch, `[batch · (seq-1)]` each. */
  computeLogprobs(batch: TokenBatch): Promise<TokenLogprobs>;
  /**
   * Gradients of `Σ gradLogprobs·logprobs + Σ gradEntropies·entropies` for every parameter, by name.
   * The arrays are reused (overwritten) by the next `backward` call. On a GPU provider they are host
   * copies read back from the device (for tests; training goes through `accumulateGradients`).
   */
  backward(batch: TokenBatch | SpecTokenBatch, upstream: TokenLogprobGradients): Promise<Map<string, Float32Array>>;
  /** Spec `TrainablePolicy`: `computeLogprobs` over a spec `TokenBatch` (`length` for `seq`). */
  scoreTokens(batch: SpecTokenBatch): Promise<TokenScores>;
  /** Counters since creation: tokens prefilled, tokens whose cache came from the pool, decode steps and tokens. */
  readonly statistics: GenerationStatistics;
  /** Drops every cached KV prefix; call after changing `parameters`. */
  clearCache(): void;
  /** Writes the current parameters as a Hugging Face model directory (on a GPU provider, read back from the device first). */
  save(directory: string, options?: SaveModelOptions): Promise<string>;
  /** Frees the onnxruntime sessions. */
  release(): Promise<void>;
}

export type { GenerationStatistics } from './generation/generation-statistics';

/** Decode-time batch: every layer's cache `[rows, kvHeads, slots, headDim]` and which slots each row uses. */
interface DecodeBatch {
  sequences: Sequence[];
  /** Slots written so far (the same for every row; a row's padding slots are masked). */
  slots: number;
  /** Slots allocated per row (`≥ slots`); the unused ones are masked. */
  capacity: number;
  /** Per layer `[rows, kvHeads, capacity, headDim]`. */
  keys: Float32Array[];
  values: Float32Array[];
  /** `[rows · capacity]` 1 where a slot holds a real token of the row. */
  mask: Uint8Array;
}

/**
 * Creates a `Policy` over a decoder model on onnxruntime, with KV-cache generation and the training
 * passes (`computeLogprobs`, `backward`) over the same live parameters.
 *
 * Generation, per call: the contexts are prefilled together in batched runs (identical contexts once;
 * each reuses the longest cached prefix from the pool, so a context that extends an earlier one only
 * computes its new suffix); then all sequences
 * decode together, one token per step, over a shared cache `[batch, kvHeads, slots, headDim]` whose
 * padding slots are masked, each sequence at its own positions. A finished sequence leaves the batch
 * and its cache joins the pool. Sampling: `sampleToken` with one RNG per request seeded by
 * `sampling.seed` (random when absent), so a seed gives the same tokens whatever else is in the batch.
 *
 * On a GPU provider the same algorithm runs with the KV cache on the device (`DeviceGeneration`): caches
 * and pool entries are device tensors, each step feeds the cache back without a copy to the host, and
 * the graph samples (`appendSampler`, `sampleToken`'s choice for the same logits and uniform number), so
 * a decode step uploads ids, positions, mask and sampler feed and downloads a few numbers per sequence.
 */
export async function createOnnxPolicy(options: OnnxPolicyOptions): Promise<OnnxPolicy> {
  if ((options.model === undefined) === (options.modelDirectory === undefined)) {
    throw new InvalidInputError('give exactly one of model and modelDirectory', { source: 'createOnnxPolicy', field: 'model' });
  }
  let model: DecoderModel;
  let tokenizer = options.tokenizer;
  if (options.modelDirectory !== undefined) {
    const loaded = await loadModelDirectory(options.modelDirectory);
    model = loaded;
    if (tokenizer === undefined) {
      if (loaded.tokenizerDirectory === undefined) throw new InvalidInputError('has no tokenizer.json; pass a tokenizer', { source: options.modelDirectory, field: 'tokenizer' });
      tokenizer = await loadTokenizer(loaded.tokenizerDirectory);
    }
  } else model = options.model!;
  if (tokenizer === undefined) throw new InvalidInputError('is required with a model in memory', { source: 'createOnnxPolicy', field: 'tokenizer' });
  const config = model.config;
  if (tokenizer.vocabSize > config.vocabSize) {
    throw new InvalidInputError(`the tokenizer has ${tokenizer.vocabSize} ids but the model only ${config.vocabSize} embeddings`, { source: 'createOnnxPolicy', field: 'tokenizer' });
  }
  const executionProvider = options.executionProvider ?? 'cpu';
  const parameters = model.parameters;
  const statistics: GenerationStatistics = { prefilledTokens: 0, reusedTokens: 0, decodeSteps: 0, decodedTokens: 0 };
  const pool = new KvCachePool(options.maxCacheBytes ?? 256 * 1024 * 1024);
  const prefillChunk = options.prefillChunkTokens ?? 512;
  if (!Number.isSafeInteger(prefillChunk) || prefillChunk < 1) throw new InvalidInputError(`must be a positive integer, got ${prefillChunk}`, { source: 'createOnnxPolicy', field: 'prefillChunkTokens' });
  // On a GPU provider parameters, gradients and AdamW moments live on the device; on cpu in host arrays.
  const deviceParameters = executionProvider === 'cpu' ? undefined : await DeviceParameters.upload(executionProvider, config, parameters);
  const deviceTraining = deviceParameters === undefined ? undefined : createDeviceTrainingState(deviceParameters, { threads: options.threads });
  const hostTraining = deviceTraining === undefined ? createHostTrainingState(parameters) : undefined;
  const trainingState = (deviceTraining ?? hostTraining)!;
  const training = new DecoderTraining(config, parameters, { executionProvider, threads: options.threads, maxTokensPerRun: options.maxTokensPerRun, deviceParameters });
  const { numHiddenLayers: layers, numKeyValueHeads: kvHeads, headDim, vocabSize } = config;
  const sessionOptions = { executionProvider, intraOpNumThreads: options.threads };
  const weightsAsInitializers = (options.inferenceWeights ?? 'inputs') === 'initializers';
  const createInference = async (): Promise<OnnxSession> => {
    const fusedOps = options.fusedOps ?? true;
    if (deviceParameters !== undefined) {
      // a GPU provider: the step graph keeps the cache (and the logits) on the device and samples in the graph
      const deviceOptions = { ...sessionOptions, deviceOutputs: deviceStepOutputNames(config) };
      if (!weightsAsInitializers) return createSession(buildDeviceStepGraph(config, { fusedOps }).serialize(), deviceOptions);
      const current = await deviceParameters.read(); // the host map holds the initial values only
      const { model: bytes, externalData } = buildDeviceStepGraph(config, { initializers: current, fusedOps }).serializeWithExternalData({ thresholdBytes: 1024 });
      return createSession(bytes, { ...deviceOptions, externalData: [...externalData] });
    }
    if (!weightsAsInitializers) return createSession(buildInferenceGraph(config, { fusedOps }).serialize(), sessionOptions);
    const { model: bytes, externalData } = buildInferenceGraph(config, { initializers: parameters, fusedOps }).serializeWithExternalData({ thresholdBytes: 1024 });
    return createSession(bytes, { ...sessionOptions, externalData: [...externalData] });
  };
  // Created now, so that a missing provider fails here with its UnsupportedError.
  let inference: OnnxSession | undefined = await createInference();
  let inferenceCreation: Promise<OnnxSession> | undefined;
  /** Sessions replaced by `clearCache()`, released when no generation is running. */
  const retired: OnnxSession[] = [];
  let running = 0;
  const inferenceSession = async (): Promise<OnnxSession> => {
    if (inference !== undefined) return inference;
    inferenceCreation ??= createInference().then((session) => {
      inference = session;
      inferenceCreation = undefined;
      return session;
    });
    return inferenceCreation;
  };
  const releaseRetired = async () => {
    while (running === 0 && retired.length > 0) await retired.pop()!.release();
  };
  /** On a GPU provider: generation with the KV cache on the device, the parameters fed from `deviceParameters`. */
  const deviceGeneration =
    deviceParameters === undefined
      ? undefined
      : new DeviceGeneration({
          config,
          executionProvider,
          session: inferenceSession,
          parameterFeeds: () => (weightsAsInitializers ? {} : deviceParameters.feeds()),
          statistics,
          maxCacheBytes: options.maxCacheBytes ?? 256 * 1024 * 1024,
          prefillChunkTokens: prefillChunk,
        });

  /**
   * One run of the inference graph over `rows` rows of `inputIds.length / rows` new tokens and a padded
   * cache of `pastSlots` slots; returns the last position's logits `[rows, vocab]` and the new tokens'
   * keys and values (`[rows, kvHeads, new tokens, headDim]` per layer).
   */
  async function step(
    inputIds: number[],
    positions: number[],
    rows: number,
    mask: Uint8Array,
    maskWidth: number,
    keys: Float32Array[],
    values: Float32Array[],
    pastSlots: number,
  ): Promise<{ logits: Float32Array; keys: Float32Array[]; values: Float32Array[] }> {
    const sequence = inputIds.length / rows;
    const maskFeed = new BigInt64Array(mask.length);
    for (let index = 0; index < mask.length; index++) if (mask[index] === 1) maskFeed[index] = 1n;
    const feeds: Record<string, FeedTensor> = {
      ...(weightsAsInitializers ? {} : parameterFeeds(config, parameters)),
      input_ids: { data: BigInt64Array.from(inputIds, BigInt), dims: [rows, sequence] },
      position_ids: { data: BigInt64Array.from(positions, BigInt), dims: [rows, sequence] },
      attention_mask: { data: maskFeed, dims: [rows, maskWidth] },
    };
    for (let layer = 0; layer < layers; layer++) {
      const names = pastKeyValueNames(layer);
      feeds[names.key] = { data: keys[layer]!, dims: [rows, kvHeads, pastSlots, headDim] };
      feeds[names.value] = { data: values[layer]!, dims: [rows, kvHeads, pastSlots, headDim] };
    }
    const outputs: Record<string, OutputTensor> = await runSession(await inferenceSession(), feeds);
    const present = (layer: number, kind: 'key' | 'value') => outputs[newKeyValueNames(layer)[kind]]!.data;
    return {
      logits: outputs.logits!.data,
      keys: Array.from({ length: layers }, (_, layer) => present(layer, 'key')),
      values: Array.from({ length: layers }, (_, layer) => present(layer, 'value')),
    };
  }

  /** The first `length` slots of a `[kvHeads, total, headDim]` cache. */
  const headPrefix = (array: Float32Array, total: number, length: number): Float32Array => {
    if (length === total) return array;
    const out = new Float32Array(kvHeads * length * headDim);
    for (let head = 0; head < kvHeads; head++) out.set(array.subarray(head * total * headDim, (head * total + length) * headDim), head * length * headDim);
    return out;
  };

  /**
   * Prefills contexts in as few runs as possible: identical contexts are computed once; each distinct
   * one starts from the longest prefix in the pool (at most all but its last token) and its uncached
   * suffix joins a batched run. A run packs rows whose padded new tokens fit in `prefillChunk`
   * (a longer suffix goes on in pieces of at most `prefillChunk` tokens): past caches padded at the end
   * of each row's past slots, new tokens left-padded so that every row's last position is real (the
   * graph returns the last position's logits); padding slots are masked. Returns, per context, the
   * logits after its last token and its contiguous cache.
   */
  async function prefillMany(contexts: readonly (readonly number[])[], signal: AbortSignal | undefined): Promise<Array<{ logits: Float32Array; cache: SequenceCache }>> {
    interface Row {
      ids: readonly number[];
      done: number;
      keys: Float32Array[];
      values: Float32Array[];
      logits: Float32Array | undefined;
    }
    const rowOf = new Map<string, Row>();
    const rowsInOrder: Row[] = contexts.map((ids) => {
      const key = ids.join(',');
      const seen = rowOf.get(key);
      if (seen !== undefined) {
        statistics.reusedTokens += ids.length;
        return seen;
      }
      const match = pool.longestPrefix(ids, ids.length - 1);
      const cached = match?.length ?? 0;
      statistics.reusedTokens += cached;
      statistics.prefilledTokens += ids.length - cached;
      const prefix = (arrays: Float32Array[] | undefined) => Array.from({ length: layers }, (_, layer) => (match === undefined ? new Float32Array(0) : headPrefix(arrays![layer]!, match.entry.tokenIds.length, cached)));
      const row: Row = { ids, done: cached, keys: prefix(match?.entry.keys), values: prefix(match?.entry.values), logits: undefined };
      rowOf.set(key, row);
      return row;
    });
    const pending = [...rowOf.values()];
    while (pending.length > 0) {
      signal?.throwIfAborted();
      const { group, longest } = nextPrefillGroup(pending, prefillChunk);
      const rows = group.length;
      // At least one (masked) past slot: an empty cache makes zero-sized attention MatMuls/Splits, which
      // crash onnxruntime-node 1.30's webgpu provider (SIGSEGV, fused graph or not; H100, 2026-11-26).
      const pastSlots = Math.max(1, ...group.map((row) => row.done));
      const width = pastSlots + longest;
      const inputIds = new Array<number>(rows * longest).fill(0);
      const positions = new Array<number>(rows * longest).fill(0);
      const mask = new Uint8Array(rows * width);
      const pieces = group.map((row, index) => {
        const piece = Math.min(row.ids.length - row.done, prefillChunk);
        const offset = longest - piece; // left padding of the new tokens
        for (let position = 0; position < piece; position++) {
          inputIds[index * longest + offset + position] = row.ids[row.done + position]!;
          positions[index * longest + offset + position] = row.done + position;
        }
        mask.fill(1, index * width, index * width + row.done);
        mask.fill(1, index * width + pastSlots + offset, (index + 1) * width);
        return piece;
      });
      const packed = packCaches(group.map((row) => ({ length: row.done, keys: row.keys, values: row.values })), pastSlots);
      const out = await step(inputIds, positions, rows, mask, width, packed.keys, packed.values, pastSlots);
      group.forEach((row, index) => {
        // the row's cache ++ its real new tokens (the last `piece` of the `longest` new slots)
        const piece = pieces[index]!;
        const append = (cache: Float32Array[], added: Float32Array[]) =>
          cache.map((old, layer) => {
            const extended = new Float32Array(kvHeads * (row.done + piece) * headDim);
            for (let head = 0; head < kvHeads; head++) {
              extended.set(old.subarray(head * row.done * headDim, (head + 1) * row.done * headDim), head * (row.done + piece) * headDim);
              const from = ((index * kvHeads + head) * longest + longest - piece) * headDim;
              extended.set(added[layer]!.subarray(from, from + piece * headDim), (head * (row.done + piece) + row.done) * headDim);
            }
            return extended;
          });
        row.keys = append(row.keys, out.keys);
        row.values = append(row.values, out.values);
        row.done += piece;
        if (row.done === row.ids.length) {
          row.logits = out.logits.slice(index * vocabSize, (index + 1) * vocabSize);
          pending.splice(pending.indexOf(row), 1);
        }
      });
    }
    return rowsInOrder.map((row) => ({ logits: row.logits!, cache: { tokenIds: [...row.ids], keys: row.keys, values: row.values } }));
  }

  /** Packs contiguous per-row caches (`length` real slots each) into `[rows, kvHeads, slots, headDim]` per layer. */
  function packCaches(caches: readonly { length: number; keys: Float32Array[]; values: Float32Array[] }[], slots: number): { keys: Float32Array[]; values: Float32Array[] } {
    const rows = caches.length;
    const pack = (pick: (cache: (typeof caches)[number]) => Float32Array[]) =>
      Array.from({ length: layers }, (_, layer) => {
        const out = new Float32Array(rows * kvHeads * slots * headDim);
        caches.forEach((cache, row) => {
          const { length } = cache;
          const source = pick(cache)[layer]!;
          for (let head = 0; head < kvHeads; head++) out.set(source.subarray(head * length * headDim, (head + 1) * length * headDim), ((row * kvHeads + head) * slots) * headDim);
        });
        return out;
      });
    return { keys: pack((cache) => cache.keys), values: pack((cache) => cache.values) };
  }

  /** Slots to allocate for a batch whose rows use `slots`: room for at least 16 more (or half as many again). */
  const capacityFor = (slots: number) => slots + Math.max(16, slots >> 1);

  /** Packs contiguous per-sequence caches into one padded decode batch with room for more slots. */
  function packBatch(sequences: Sequence[], caches: readonly SequenceCache[]): DecodeBatch {
    const slots = Math.max(...caches.map((cache) => cache.tokenIds.length));
    const capacity = capacityFor(slots);
    const rows = sequences.length;
    const mask = new Uint8Array(rows * capacity);
    caches.forEach((cache, row) => mask.fill(1, row * capacity, row * capacity + cache.tokenIds.length));
    const packed = packCaches(caches.map((cache) => ({ length: cache.tokenIds.length, keys: cache.keys, values: cache.values })), capacity);
    return { sequences, slots, capacity, keys: packed.keys, values: packed.values, mask };
  }

  /** The same batch with a larger capacity: every row's first `slots` slots (padding included) and mask copied over. */
  function growBatch(batch: DecodeBatch): DecodeBatch {
    const rows = batch.sequences.length;
    const capacity = capacityFor(batch.slots);
    const widen = (arrays: Float32Array[]) =>
      arrays.map((array) => {
        const wide = new Float32Array(rows * kvHeads * capacity * headDim);
        for (let line = 0; line < rows * kvHeads; line++) wide.set(array.subarray(line * batch.capacity * headDim, (line * batch.capacity + batch.slots) * headDim), line * capacity * headDim);
        return wide;
      });
    const mask = new Uint8Array(rows * capacity);
    for (let row = 0; row < rows; row++) mask.set(batch.mask.subarray(row * batch.capacity, row * batch.capacity + batch.slots), row * capacity);
    return { ...batch, capacity, keys: widen(batch.keys), values: widen(batch.values), mask };
  }

  /** The contiguous cache (`[kvHeads, used, headDim]` per layer) of row `row` of a padded batch: its slots whose mask is 1, in order. */
  function unpackCacheRow(keys: Float32Array[], values: Float32Array[], mask: Uint8Array, slots: number, row: number): { keys: Float32Array[]; values: Float32Array[] } {
    const used: number[] = [];
    for (let slot = 0; slot < slots; slot++) if (mask[row * slots + slot] === 1) used.push(slot);
    const unpack = (arrays: Float32Array[]) =>
      arrays.map((array) => {
        const out = new Float32Array(kvHeads * used.length * headDim);
        for (let head = 0; head < kvHeads; head++) {
          const base = (row * kvHeads + head) * slots;
          used.forEach((slot, position) => out.set(array.subarray((base + slot) * headDim, (base + slot + 1) * headDim), (head * used.length + position) * headDim));
        }
        return out;
      });
    return { keys: unpack(keys), values: unpack(values) };
  }

  /** The contiguous cache of one row of a decode batch (its real slots, in order). */
  function unpackRow(batch: DecodeBatch, row: number): SequenceCache {
    const sequence = batch.sequences[row]!;
    return { tokenIds: [...sequence.cachedIds], ...unpackCacheRow(batch.keys, batch.values, batch.mask, batch.capacity, row) };
  }

  async function generate(requests: readonly GenerateRequest[], generateOptions: GenerateOptions = {}): Promise<GenerateResult[]> {
    running += 1;
    try {
      return await generateBatch(requests, generateOptions);
    } finally {
      running -= 1;
      await releaseRetired();
    }
  }

  async function generateBatch(requests: readonly GenerateRequest[], generateOptions: GenerateOptions): Promise<GenerateResult[]> {
    const { signal, onText } = generateOptions;
    signal?.throwIfAborted();
    const sequences = createSequences(requests, tokenizer!, vocabSize);
    if (deviceGeneration !== undefined) {
      await deviceGeneration.generate(sequences, generateOptions);
      return sequences.map((sequence) => sequence.result!);
    }
    const active: Sequence[] = [];
    const caches: SequenceCache[] = [];
    const starting = sequences.filter((sequence) => sequence.result === undefined);
    const prefilled = await prefillMany(
      starting.map((sequence) => sequence.request.inputIds),
      signal,
    );
    starting.forEach((sequence, index) => {
      const { logits, cache } = prefilled[index]!;
      pool.add(cache);
      sequence.cachedIds = [...sequence.request.inputIds];
      if (acceptToken(sequence, sampleToken(logits, sequence.settings, sequence.random), onText)) return;
      active.push(sequence);
      caches.push(cache);
    });
    let batch = active.length > 0 ? packBatch(active, caches) : undefined;
    while (batch !== undefined) {
      signal?.throwIfAborted();
      if (batch.slots === batch.capacity) batch = growBatch(batch);
      const { capacity, slots } = batch;
      const rows = batch.sequences.length;
      // every allocated slot is fed (the unused ones masked), then the new token at slot `capacity`
      const mask = new Uint8Array(rows * (capacity + 1));
      for (let row = 0; row < rows; row++) {
        mask.set(batch.mask.subarray(row * capacity, (row + 1) * capacity), row * (capacity + 1));
        mask[row * (capacity + 1) + capacity] = 1;
      }
      const out = await step(
        batch.sequences.map((sequence) => sequence.pending),
        batch.sequences.map((sequence) => sequence.cachedIds.length),
        rows,
        mask,
        capacity + 1,
        batch.keys,
        batch.values,
        capacity,
      );
      statistics.decodeSteps += 1;
      statistics.decodedTokens += rows;
      // the new token's keys and values go into slot `slots` of each row, in place
      for (let layer = 0; layer < layers; layer++) {
        for (let line = 0; line < rows * kvHeads; line++) {
          const target = (line * capacity + slots) * headDim;
          batch.keys[layer]!.set(out.keys[layer]!.subarray(line * headDim, (line + 1) * headDim), target);
          batch.values[layer]!.set(out.values[layer]!.subarray(line * headDim, (line + 1) * headDim), target);
        }
      }
      for (let row = 0; row < rows; row++) batch.mask[row * capacity + slots] = 1;
      batch.slots = slots + 1;
      const finished: number[] = [];
      batch.sequences.forEach((sequence, row) => {
        sequence.cachedIds.push(sequence.pending);
        if (acceptToken(sequence, sampleToken(out.logits.subarray(row * vocabSize, (row + 1) * vocabSize), sequence.settings, sequence.random), onText)) finished.push(row);
      });
      if (finished.length === 0) continue;
      const remaining: Sequence[] = [];
      const remainingCaches: SequenceCache[] = [];
      batch.sequences.forEach((sequence, row) => {
        const cache = unpackRow(batch!, row);
        if (finished.includes(row)) pool.add(cache);
        else {
          remaining.push(sequence);
          remainingCaches.push(cache);
        }
      });
      batch = remaining.length > 0 ? packBatch(remaining, remainingCaches) : undefined;
    }
    return sequences.map((sequence) => sequence.result!);
  }

  const clearCache = () => {
    pool.clear();
    deviceGeneration?.clearCache();
    if (weightsAsInitializers && inference !== undefined) {
      retired.push(inference);
      inference = undefined;
      void releaseRetired();
    }
  };
  return {
    specificationVersion: 'v1',
    name: options.name ?? `onnx:${config.family}-${config.numHiddenLayers}x${config.hiddenSize}`,
    config,
    parameters,
    tokenizer,
    executionProvider,
    statistics,
    generate,
    computeLogprobs: (batch) => training.computeLogprobs(batch),
    scoreTokens: (batch) => training.computeLogprobs(fromSpecBatch(batch)),
    backward: async (batch, upstream) => {
      if (deviceParameters === undefined) return (await training.backward(fromSpecBatch(batch), upstream)).gradients;
      const { gradients } = await training.backwardOnDevice(fromSpecBatch(batch), upstream);
      const copies = await readDeviceTensors([...gradients.values()]).finally(() => gradients.forEach((tensor) => tensor.dispose()));
      return new Map([...gradients.keys()].map((name, index) => [name, copies[index]!]));
    },
    clearCache,
    deviceParameters,
    ...trainingStateMethods(trainingState),
    async accumulateGradients(batch, upstream) {
      if (deviceTraining !== undefined) await deviceTraining.accumulate((await training.backwardOnDevice(fromSpecBatch(batch), upstream)).gradients);
      else hostTraining!.accumulate((await training.backward(fromSpecBatch(batch), upstream)).gradients);
    },
    async applyUpdate(update) {
      const result = await trainingState.applyUpdate(update);
      if (result.applied) clearCache();
      return result;
    },
    save: async (directory, saveOptions) => {
      // a checkpoint of a GPU policy is written from the device: its host map holds the initial values
      const current = deviceTraining === undefined ? parameters : new Map([...parameters, ...(await deviceTraining.readParameters())]);
      return saveModelDirectory(directory, { config, parameters: current }, saveOptions);
    },
    release: async () => {
      pool.clear();
      await deviceGeneration?.release();
      await training.release();
      await deviceTraining?.release();
      deviceParameters?.dispose();
      if (inference !== undefined) retired.push(inference);
      inference = undefined;
      await releaseRetired();
    },
  };
}

/** A spec `TokenBatch` (`length`) or this package's (`seq`), as the training graphs take it. */
function fromSpecBatch(batch: TokenBatch | SpecTokenBatch): TokenBatch {
  return 'seq' in batch ? batch : { inputIds: batch.inputIds, attentionMask: batch.attentionMask, batch: batch.batch, seq: batch.length };
}
