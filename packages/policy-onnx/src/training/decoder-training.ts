import { InvalidInputError, type TokenBatch } from '@research-ts/spec';
import {
  createSession,
  runOnDevice,
  runSession,
  type DeviceTensor,
  type ExecutionProvider,
  type FeedTensor,
  type OnnxSession,
  type SessionFeed,
} from '../backend/onnxruntime';
import type { DecoderConfig } from '../model/decoder-config';
import { graphParameterShapes, trainedParameterShapes, type LoraSettings } from '../lora/lora-settings';
import { buildBackwardGraph, buildTrainingGraph } from '../decoder/decoder-graph';
import type { DeviceParameters } from '../device/device-parameters';
import { buildAccumulateGraph, optimizerGraphNames } from '../device/optimizer-graphs';
import { toInt64TokenBatch, type Int64TokenBatch } from './token-batch';

/** Per-token log-probabilities and next-token entropies of a `TokenBatch`, `[batch · (length-1)]` each. */
export interface TokenLogprobs {
  /** `logprobs[b·(length-1) + t] = log p(token t+1 | tokens ≤ t)` of row b; 0 where token t+1 is padding. */
  logprobs: Float32Array;
  /** Entropy (nats) of the next-token distribution after token t; 0 where token t+1 is padding. */
  entropies: Float32Array;
}

/** Upstream gradients of a loss with respect to `TokenLogprobs`, same layout; padding positions are ignored. */
export interface TokenLogprobGradients {
  gradLogprobs: Float32Array;
  gradEntropies?: Float32Array;
}

export interface DecoderTrainingOptions {
  executionProvider?: ExecutionProvider;
  /** Threads of one operator on the CPU provider (default: onnxruntime's choice). */
  threads?: number;
  /**
   * Rows are run in groups of at most this many tokens (after trimming the group's common right
   * padding), bounding the memory of the vocabulary-sized activations; gradients are summed over
   * groups. Default 4096.
   */
  maxTokensPerRun?: number;
  /**
   * Use onnxruntime's CPU memory arena for the training sessions. Default false: the arena keeps
   * the largest intermediates of a backward pass reserved (measured: peak RSS 7.5 GB with it, 4.2 GB
   * without, for a 2-layer 0.5B-shape model at 1×256 tokens, at about the same speed).
   */
  memoryArena?: boolean;
  /**
   * Take the parameter feeds from these device tensors (a GPU provider's device-resident weights,
   * uploaded once) instead of the host arrays, which are then not read. `backwardOnDevice` needs it
   * to keep the whole step on the device.
   */
  deviceParameters?: DeviceParameters;
  /**
   * LoRA adapters (their tensors among `parameters`, after the base ones): the graphs add them to the
   * targeted projections and `backward` returns the adapters' gradients only (the base is frozen).
   */
  lora?: LoraSettings;
}

/** Feeds of every parameter, adapters included with `lora` (zero-copy views of the live arrays). */
export function parameterFeeds(
  config: DecoderConfig,
  parameters: ReadonlyMap<string, Float32Array>,
  lora?: LoraSettings,
): Record<string, FeedTensor> {
  const feeds: Record<string, FeedTensor> = {};
  for (const { name, shape } of graphParameterShapes(config, lora)) {
    const data = parameters.get(name);
    if (data === undefined) throw new InvalidInputError('missing parameter', { source: 'parameters', field: name });
    feeds[name] = { data, dims: shape };
  }
  return feeds;
}

/**
 * What one more run costs on the CPU provider, in padded tokens: a run of the demo's shape (hidden 128, 2 layers)
 * takes ~0.8 ms (forward) and ~3 ms (forward + backward) before its first token, and ~17 µs and ~51 µs per token.
 */
const runCostInTokens = 64;

/**
 * Consecutive rows cut into runs of at most `maxTokensPerRun` padded tokens (a longer row alone) so that
 * `padded tokens + runCostInTokens · runs` is least (dynamic programming over the cut points): rows of similar
 * length share a run, and a row much shorter than the ones before it starts its own when the padding it would
 * save costs more than a run. Each run is trimmed to its longest row (at least 2).
 */
export function fewestPaddedRowGroups(lengths: Int32Array, maxTokensPerRun: number): RowGroup[] {
  const count = lengths.length;
  const cost = new Float64Array(count + 1);
  const cut = new Int32Array(count + 1);
  for (let end = 1; end <= count; end++) {
    cost[end] = Number.POSITIVE_INFINITY;
    let longest = 0;
    for (let start = end - 1; start >= 0; start--) {
      longest = Math.max(longest, lengths[start]!, 2);
      const rows = end - start;
      if (rows > 1 && rows * longest > maxTokensPerRun) break;
      const total = cost[start]! + rows * longest + runCostInTokens;
      if (total < cost[end]!) {
        cost[end] = total;
        cut[end] = start;
      }
    }
  }
  const groups: RowGroup[] = [];
  for (let end = count; end > 0; end = cut[end]!) {
    const firstRow = cut[end]!;
    let length = 2;
    for (let row = firstRow; row < end; row++) length = Math.max(length, lengths[row]!);
    groups.push({ firstRow, rows: end - firstRow, length });
  }
  return groups.reverse();
}

/** Rows `firstRow … firstRow + rows − 1` of a batch, run together trimmed to `length` columns. */
export interface RowGroup {
  firstRow: number;
  rows: number;
  /** Columns kept: the longest row of the group. */
  length: number;
}

/** A checked batch cut into row groups, with each row's token count. */
interface PreparedBatch {
  checked: Int64TokenBatch;
  lengths: Int32Array;
  groups: RowGroup[];
  /** `batch · (length − 1)`: the size of the per-token outputs. */
  outputCount: number;
}

/**
 * Runs the training graphs of one decoder over live parameters: `scoreTokens` (forward) and
 * `backward` (forward + backward, returning every parameter's gradient). Parameters are fed as graph
 * inputs straight from the arrays of `parameters`, so an optimizer that updates them in place is seen
 * by the next call; with `deviceParameters`, from those device tensors instead (an update replacing
 * them is seen the same way), and `backwardOnDevice` returns the gradients as device tensors.
 */
export class DecoderTraining {
  readonly #config: DecoderConfig;
  readonly #parameters: ReadonlyMap<string, Float32Array>;
  readonly #deviceParameters: DeviceParameters | undefined;
  readonly #lora: LoraSettings | undefined;
  readonly #options: Required<Pick<DecoderTrainingOptions, 'executionProvider' | 'maxTokensPerRun' | 'memoryArena'>> & {
    threads: number | undefined;
  };
  #forward: Promise<OnnxSession> | undefined;
  #backward: Promise<OnnxSession> | undefined;
  /** The backward graph with its `grad_*` outputs kept on the device. */
  #deviceBackward: Promise<OnnxSession> | undefined;
  /** Sums the gradients of several row groups on the device. */
  #accumulate: Promise<OnnxSession> | undefined;
  #gradients: Map<string, Float32Array> | undefined;
  #scratch: Map<string, Float32Array> | undefined;

  constructor(
    config: DecoderConfig,
    parameters: ReadonlyMap<string, Float32Array>,
    options: DecoderTrainingOptions = {},
  ) {
    this.#config = config;
    this.#parameters = parameters;
    const maxTokensPerRun = options.maxTokensPerRun ?? 4096;
    if (!Number.isSafeInteger(maxTokensPerRun) || maxTokensPerRun < 2)
      throw new InvalidInputError(`must be an integer >= 2, got ${maxTokensPerRun}`, {
        source: 'options',
        field: 'maxTokensPerRun',
      });
    this.#options = {
      executionProvider: options.executionProvider ?? 'cpu',
      maxTokensPerRun,
      threads: options.threads,
      memoryArena: options.memoryArena ?? false,
    };
    const device = options.deviceParameters;
    if (device !== undefined && device.executionProvider !== this.#options.executionProvider) {
      throw new InvalidInputError(
        `live on ${device.executionProvider}, the training graphs run on ${this.#options.executionProvider}`,
        { source: 'options', field: 'deviceParameters' },
      );
    }
    this.#deviceParameters = device;
    this.#lora = options.lora;
  }

  #session(kind: 'forward' | 'backward' | 'device-backward' | 'accumulate'): Promise<OnnxSession> {
    const shapes = () => trainedParameterShapes(this.#config, this.#lora);
    const graphOptions = { lora: this.#lora };
    const create = () => {
      const graph =
        kind === 'forward'
          ? buildTrainingGraph(this.#config, graphOptions)
          : kind === 'accumulate'
            ? buildAccumulateGraph(shapes().map(({ shape }) => shape))
            : buildBackwardGraph(this.#config, graphOptions);
      const deviceOutputs =
        kind === 'device-backward'
          ? shapes().map(({ name }) => `grad_${name}`)
          : kind === 'accumulate'
            ? ('all' as const)
            : undefined;
      return createSession(graph.serialize(), {
        executionProvider: this.#options.executionProvider,
        intraOpNumThreads: this.#options.threads,
        memoryArena: this.#options.memoryArena,
        ...(deviceOutputs === undefined ? {} : { deviceOutputs }),
      });
    };
    if (kind === 'forward') return (this.#forward ??= create());
    if (kind === 'backward') return (this.#backward ??= create());
    if (kind === 'device-backward') return (this.#deviceBackward ??= create());
    return (this.#accumulate ??= create());
  }

  #groups(lengths: Int32Array, width: number): RowGroup[] {
    if (this.#options.executionProvider === 'cpu') return fewestPaddedRowGroups(lengths, this.#options.maxTokensPerRun);
    const groups: RowGroup[] = [];
    let current: RowGroup | undefined;
    for (let row = 0; row < lengths.length; row++) {
      const length = Math.max(2, lengths[row]!);
      if (current !== undefined) {
        const longest = Math.max(current.length, length);
        if ((current.rows + 1) * longest <= this.#options.maxTokensPerRun) {
          current.rows += 1;
          current.length = longest;
          continue;
        }
      }
      current = { firstRow: row, rows: 1, length: Math.min(width, length) };
      groups.push(current);
    }
    return groups;
  }

  #prepare(batch: TokenBatch, upstream: TokenLogprobGradients | undefined): PreparedBatch {
    const checked = toInt64TokenBatch(batch, this.#config.vocabSize);
    const width = checked.length;
    const outputCount = checked.batch * (width - 1);
    if (upstream !== undefined) {
      if (upstream.gradLogprobs.length !== outputCount)
        throw new InvalidInputError(
          `holds ${upstream.gradLogprobs.length} values; batch × (length-1) = ${outputCount}`,
          { source: 'backward', field: 'gradLogprobs' },
        );
      if (upstream.gradEntropies !== undefined && upstream.gradEntropies.length !== outputCount) {
        throw new InvalidInputError(
          `holds ${upstream.gradEntropies.length} values; batch × (length-1) = ${outputCount}`,
          { source: 'backward', field: 'gradEntropies' },
        );
      }
    }
    const lengths = new Int32Array(checked.batch);
    for (let row = 0; row < checked.batch; row++) {
      let length = 0;
      for (let column = 0; column < width; column++) length += Number(checked.attentionMask[row * width + column]);
      lengths[row] = length;
    }
    return { checked, lengths, groups: this.#groups(lengths, width), outputCount };
  }

  /** Parameter feeds: the device tensors when given, else zero-copy views of the live arrays. */
  #parameterFeeds(): Record<string, SessionFeed> {
    return this.#deviceParameters?.feeds() ?? parameterFeeds(this.#config, this.#parameters, this.#lora);
  }

  /** The token (and upstream-gradient) feeds of one row group, trimmed to its longest row. */
  #groupFeeds(
    prepared: PreparedBatch,
    group: RowGroup,
    upstream: TokenLogprobGradients | undefined,
  ): Record<string, FeedTensor> {
    const { checked, lengths } = prepared;
    const width = checked.length;
    const columns = width - 1;
    const { firstRow, rows, length } = group;
    const inputIds = new BigInt64Array(rows * length);
    const attentionMask = new BigInt64Array(rows * length);
    const gradLogprobs = new Float32Array(rows * (length - 1));
    const gradEntropies = new Float32Array(rows * (length - 1));
    for (let row = 0; row < rows; row++) {
      const from = (firstRow + row) * width;
      inputIds.set(checked.inputIds.subarray(from, from + length), row * length);
      attentionMask.set(checked.attentionMask.subarray(from, from + length), row * length);
      if (upstream === undefined) continue;
      const valid = Math.max(0, lengths[firstRow + row]! - 1);
      const upstreamFrom = (firstRow + row) * columns;
      gradLogprobs.set(upstream.gradLogprobs.subarray(upstreamFrom, upstreamFrom + valid), row * (length - 1));
      if (upstream.gradEntropies !== undefined)
        gradEntropies.set(upstream.gradEntropies.subarray(upstreamFrom, upstreamFrom + valid), row * (length - 1));
    }
    const feeds: Record<string, FeedTensor> = {
      input_ids: { data: inputIds, dims: [rows, length] },
      attention_mask: { data: attentionMask, dims: [rows, length] },
    };
    if (upstream !== undefined) {
      feeds.grad_logprobs = { data: gradLogprobs, dims: [rows, length - 1] };
      feeds.grad_entropies = { data: gradEntropies, dims: [rows, length - 1] };
    }
    return feeds;
  }

  /** Copies a group's per-token outputs (its rows' valid positions) into the batch's arrays. */
  #scatterScores(
    prepared: PreparedBatch,
    group: RowGroup,
    outputs: Record<string, { data: Float32Array }>,
    scores: TokenLogprobs,
  ): void {
    const columns = prepared.checked.length - 1;
    const { firstRow, rows, length } = group;
    const groupLogprobs = outputs.logprobs!.data;
    const groupEntropies = outputs.entropies!.data;
    for (let row = 0; row < rows; row++) {
      const valid = Math.max(0, prepared.lengths[firstRow + row]! - 1);
      const target = (firstRow + row) * columns;
      scores.logprobs.set(groupLogprobs.subarray(row * (length - 1), row * (length - 1) + valid), target);
      scores.entropies.set(groupEntropies.subarray(row * (length - 1), row * (length - 1) + valid), target);
    }
  }

  async #run(
    batch: TokenBatch,
    upstream: TokenLogprobGradients | undefined,
  ): Promise<TokenLogprobs & { gradients?: Map<string, Float32Array> }> {
    const prepared = this.#prepare(batch, upstream);
    const session = await this.#session(upstream === undefined ? 'forward' : 'backward');
    const parameters = this.#parameterFeeds();
    const scores: TokenLogprobs = {
      logprobs: new Float32Array(prepared.outputCount),
      entropies: new Float32Array(prepared.outputCount),
    };
    const shapes = trainedParameterShapes(this.#config, this.#lora);
    const zeros = () =>
      new Map(shapes.map(({ name, shape }) => [name, new Float32Array(shape.reduce((a, b) => a * b, 1))]));
    if (upstream !== undefined) this.#gradients ??= zeros();
    for (const [groupIndex, group] of prepared.groups.entries()) {
      const feeds: Record<string, SessionFeed> = { ...parameters, ...this.#groupFeeds(prepared, group, upstream) };
      let into: Record<string, { data: Float32Array; dims: number[] }> | undefined;
      if (upstream !== undefined) {
        // The first group writes straight into the gradient buffers; later ones into scratch, then add.
        if (groupIndex > 0) this.#scratch ??= zeros();
        const targets = groupIndex === 0 ? this.#gradients! : this.#scratch!;
        into = Object.fromEntries(
          shapes.map(({ name, shape }) => [`grad_${name}`, { data: targets.get(name)!, dims: shape }]),
        );
      }
      const outputs = await runSession(session, feeds, into === undefined ? {} : { into });
      this.#scatterScores(prepared, group, outputs, scores);
      if (upstream !== undefined && groupIndex > 0) {
        for (const { name } of shapes) {
          const total = this.#gradients!.get(name)!;
          const part = this.#scratch!.get(name)!;
          for (let index = 0; index < total.length; index++) total[index]! += part[index]!;
        }
      }
    }
    return upstream === undefined ? scores : { ...scores, gradients: this.#gradients! };
  }

  /** Per-token logprobs and entropies of a right-padded batch (forward graph only). */
  async scoreTokens(batch: TokenBatch): Promise<TokenLogprobs> {
    return this.#run(batch, undefined);
  }

  /**
   * Gradients of `Σ gradLogprobs · logprobs + Σ gradEntropies · entropies` with respect to every
   * parameter (Hugging Face names; tied embeddings get both uses summed), with the forward outputs.
   * The gradient arrays are owned by this object and overwritten by the next `backward` call.
   */
  async backward(
    batch: TokenBatch,
    upstream: TokenLogprobGradients,
  ): Promise<TokenLogprobs & { gradients: Map<string, Float32Array> }> {
    const result = await this.#run(batch, upstream);
    return result as TokenLogprobs & { gradients: Map<string, Float32Array> };
  }

  /**
   * `backward` with the gradients kept on the device: a backward session whose `grad_*` outputs stay
   * there, fed the device parameters (or the host arrays, uploaded, without `deviceParameters`); the
   * logprobs and entropies come to the host. Several row groups are summed on the device (one run of
   * the accumulate graph per extra group). The gradient tensors belong to the caller (dispose them).
   */
  async backwardOnDevice(
    batch: TokenBatch,
    upstream: TokenLogprobGradients,
  ): Promise<TokenLogprobs & { gradients: Map<string, DeviceTensor> }> {
    const prepared = this.#prepare(batch, upstream);
    const session = await this.#session('device-backward');
    const parameters = this.#parameterFeeds();
    const scores: TokenLogprobs = {
      logprobs: new Float32Array(prepared.outputCount),
      entropies: new Float32Array(prepared.outputCount),
    };
    const shapes = trainedParameterShapes(this.#config, this.#lora);
    const names = optimizerGraphNames;
    let totals: DeviceTensor[] | undefined;
    try {
      for (const group of prepared.groups) {
        const { host, device } = await runOnDevice(session, {
          ...parameters,
          ...this.#groupFeeds(prepared, group, upstream),
        });
        const parts = shapes.map(({ name }) => device[`grad_${name}`]!);
        if (totals === undefined) totals = parts;
        else {
          const feeds: Record<string, SessionFeed> = {};
          shapes.forEach((_, index) => {
            feeds[names.accumulator(index)] = totals![index]!;
            feeds[names.gradient(index)] = parts[index]!;
          });
          let sums: Record<string, DeviceTensor>;
          try {
            sums = (await runOnDevice(await this.#session('accumulate'), feeds)).device;
          } finally {
            for (const tensor of [...totals, ...parts]) tensor.dispose();
          }
          totals = shapes.map((_, index) => sums[names.sum(index)]!);
        }
        this.#scatterScores(prepared, group, host, scores);
      }
    } catch (error) {
      for (const tensor of totals ?? []) tensor.dispose();
      throw error;
    }
    return { ...scores, gradients: new Map(shapes.map(({ name }, index) => [name, totals![index]!])) };
  }

  /** Frees the sessions. */
  async release(): Promise<void> {
    const sessions = [this.#forward, this.#backward, this.#deviceBackward, this.#accumulate];
    this.#forward = undefined;
    this.#backward = undefined;
    this.#deviceBackward = undefined;
    this.#accumulate = undefined;
    for (const session of sessions) if (session !== undefined) await (await session).release();
  }
}
