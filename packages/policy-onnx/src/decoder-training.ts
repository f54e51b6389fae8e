import { InvalidInputError } from '@research-ts/spec';
import { createSession, runSession, type ExecutionProvider, type FeedTensor, type OnnxSession } from './backend/onnxruntime';
import type { DecoderConfig } from './decoder-config';
import { buildBackwardGraph, buildTrainingGraph } from './decoder-graph';
import { decoderParameterShapes } from './decoder-parameter-shapes';
import { toInt64TokenBatch, type TokenBatch } from './token-batch';

/** Per-token log-probabilities and next-token entropies of a `TokenBatch`, `[batch · (seq-1)]` each. */
export interface TokenLogprobs {
  /** `logprobs[b·(seq-1) + t] = log p(token t+1 | tokens ≤ t)` of row b; 0 where token t+1 is padding. */
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
}

/** Feeds of every parameter (zero-copy views of the live arrays). */
export function parameterFeeds(config: DecoderConfig, parameters: ReadonlyMap<string, Float32Array>): Record<string, FeedTensor> {
  const feeds: Record<string, FeedTensor> = {};
  for (const { name, shape } of decoderParameterShapes(config)) {
    const data = parameters.get(name);
    if (data === undefined) throw new InvalidInputError('missing parameter', { source: 'parameters', field: name });
    feeds[name] = { data, dims: shape };
  }
  return feeds;
}

interface RowGroup {
  firstRow: number;
  rows: number;
  /** Columns kept: the longest row of the group. */
  length: number;
}

/**
 * Runs the training graphs of one decoder over live parameters: `computeLogprobs` (forward) and
 * `backward` (forward + backward, returning every parameter's gradient). Parameters are fed as graph
 * inputs straight from the arrays of `parameters`, so an optimizer that updates them in place is seen
 * by the next call.
 */
export class DecoderTraining {
  readonly #config: DecoderConfig;
  readonly #parameters: ReadonlyMap<string, Float32Array>;
  readonly #options: Required<Pick<DecoderTrainingOptions, 'executionProvider' | 'maxTokensPerRun' | 'memoryArena'>> & { threads: number | undefined };
  #forward: Promise<OnnxSession> | undefined;
  #backward: Promise<OnnxSession> | undefined;
  #gradients: Map<string, Float32Array> | undefined;
  #scratch: Map<string, Float32Array> | undefined;

  constructor(config: DecoderConfig, parameters: ReadonlyMap<string, Float32Array>, options: DecoderTrainingOptions = {}) {
    this.#config = config;
    this.#parameters = parameters;
    const maxTokensPerRun = options.maxTokensPerRun ?? 4096;
    if (!Number.isSafeInteger(maxTokensPerRun) || maxTokensPerRun < 2) throw new InvalidInputError(`must be an integer >= 2, got ${maxTokensPerRun}`, { source: 'options', field: 'maxTokensPerRun' });
    this.#options = { executionProvider: options.executionProvider ?? 'cpu', maxTokensPerRun, threads: options.threads, memoryArena: options.memoryArena ?? false };
  }

  #session(kind: 'forward' | 'backward'): Promise<OnnxSession> {
    const create = () => {
      const graph = kind === 'forward' ? buildTrainingGraph(this.#config) : buildBackwardGraph(this.#config);
      return createSession(graph.serialize(), { executionProvider: this.#options.executionProvider, intraOpNumThreads: this.#options.threads, memoryArena: this.#options.memoryArena });
    };
    if (kind === 'forward') return (this.#forward ??= create());
    return (this.#backward ??= create());
  }

  #groups(lengths: Int32Array, seq: number): RowGroup[] {
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
      current = { firstRow: row, rows: 1, length: Math.min(seq, length) };
      groups.push(current);
    }
    return groups;
  }

  async #run(batch: TokenBatch, upstream: TokenLogprobGradients | undefined): Promise<TokenLogprobs & { gradients?: Map<string, Float32Array> }> {
    const config = this.#config;
    const checked = toInt64TokenBatch(batch, config.vocabSize);
    const { seq } = checked;
    const columns = seq - 1;
    const outputCount = checked.batch * columns;
    if (upstream !== undefined) {
      if (upstream.gradLogprobs.length !== outputCount) throw new InvalidInputError(`holds ${upstream.gradLogprobs.length} values; batch × (seq-1) = ${outputCount}`, { source: 'backward', field: 'gradLogprobs' });
      if (upstream.gradEntropies !== undefined && upstream.gradEntropies.length !== outputCount) {
        throw new InvalidInputError(`holds ${upstream.gradEntropies.length} values; batch × (seq-1) = ${outputCount}`, { source: 'backward', field: 'gradEntropies' });
      }
    }
    const lengths = new Int32Array(checked.batch);
    for (let row = 0; row < checked.batch; row++) {
      let length = 0;
      for (let column = 0; column < seq; column++) length += Number(checked.attentionMask[row * seq + column]);
      lengths[row] = length;
    }
    const session = await this.#session(upstream === undefined ? 'forward' : 'backward');
    const parameters = parameterFeeds(config, this.#parameters);
    const logprobs = new Float32Array(outputCount);
    const entropies = new Float32Array(outputCount);
    const shapes = decoderParameterShapes(config);
    if (upstream !== undefined && this.#gradients === undefined) {
      this.#gradients = new Map(shapes.map(({ name, shape }) => [name, new Float32Array(shape.reduce((a, b) => a * b, 1))]));
    }
    const groups = this.#groups(lengths, seq);
    for (const [groupIndex, group] of groups.entries()) {
      const { firstRow, rows, length } = group;
      const inputIds = new BigInt64Array(rows * length);
      const attentionMask = new BigInt64Array(rows * length);
      const gradLogprobs = new Float32Array(rows * (length - 1));
      const gradEntropies = new Float32Array(rows * (length - 1));
      for (let row = 0; row < rows; row++) {
        const from = (firstRow + row) * seq;
        inputIds.set(checked.inputIds.subarray(from, from + length), row * length);
        attentionMask.set(checked.attentionMask.subarray(from, from + length), row * length);
        if (upstream === undefined) continue;
        const valid = Math.max(0, lengths[firstRow + row]! - 1);
        const upstreamFrom = (firstRow + row) * columns;
        gradLogprobs.set(upstream.gradLogprobs.subarray(upstreamFrom, upstreamFrom + valid), row * (length - 1));
        if (upstream.gradEntropies !== undefined) gradEntropies.set(upstream.gradEntropies.subarray(upstreamFrom, upstreamFrom + valid), row * (length - 1));
      }
      const feeds: Record<string, FeedTensor> = {
        ...parameters,
        input_ids: { data: inputIds, dims: [rows, length] },
        attention_mask: { data: attentionMask, dims: [rows, length] },
      };
      let into: Record<string, { data: Float32Array; dims: number[] }> | undefined;
      if (upstream !== undefined) {
        feeds.grad_logprobs = { data: gradLogprobs, dims: [rows, length - 1] };
        feeds.grad_entropies = { data: gradEntropies, dims: [rows, length - 1] };
        // The first group writes straight into the gradient buffers; later ones into scratch, then add.
        if (groupIndex > 0) this.#scratch ??= new Map(shapes.map(({ name, shape }) => [name, new Float32Array(shape.reduce((a, b) => a * b, 1))]));
        const targets = groupIndex === 0 ? this.#gradients! : this.#scratch!;
        into = Object.fromEntries(shapes.map(({ name, shape }) => [`grad_${name}`, { data: targets.get(name)!, dims: shape }]));
      }
      const outputs = await runSession(session, feeds, into === undefined ? {} : { into });
      const groupLogprobs = outputs.logprobs!.data;
      const groupEntropies = outputs.entropies!.data;
      for (let row = 0; row < rows; row++) {
        const valid = Math.max(0, lengths[firstRow + row]! - 1);
        const target = (firstRow + row) * columns;
        logprobs.set(groupLogprobs.subarray(row * (length - 1), row * (length - 1) + valid), target);
        entropies.set(groupEntropies.subarray(row * (length - 1), row * (length - 1) + valid), target);
      }
      if (upstream !== undefined && groupIndex > 0) {
        for (const { name } of shapes) {
          const total = this.#gradients!.get(name)!;
          const part = this.#scratch!.get(name)!;
          for (let index = 0; index < total.length; index++) total[index]! += part[index]!;
        }
      }
    }
    return upstream === undefined ? { logprobs, entropies } : { logprobs, entropies, gradients: this.#gradients! };
  }

  /** Per-token logprobs and entropies of a right-padded batch (forward graph only). */
  async computeLogprobs(batch: TokenBatch): Promise<TokenLogprobs> {
    return this.#run(batch, undefined);
  }

  /**
   * Gradients of `Σ gradLogprobs · logprobs + Σ gradEntropies · entropies` with respect to every
   * parameter (Hugging Face names; tied embeddings get both uses summed), with the forward outputs.
   * The gradient arrays are owned by this object and overwritten by the next `backward` call.
   */
  async backward(batch: TokenBatch, upstream: TokenLogprobGradients): Promise<TokenLogprobs & { gradients: Map<string, Float32Array> }> {
    const result = await this.#run(batch, upstream);
    return result as TokenLogprobs & { gradients: Map<string, Float32Array> };
  }

  /** Frees the sessions. */
  async release(): Promise<void> {
    const sessions = [this.#forward, this.#backward];
    this.#forward = undefined;
    this.#backward = undefined;
    for (const session of sessions) if (session !== undefined) await (await session).release();
  }
}
