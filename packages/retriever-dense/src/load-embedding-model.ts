import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { InvalidConfigError, InvalidInputError } from '@research-ts/spec';
import { loadTokenizer } from '@research-ts/tokenizer';
import {
  createSession,
  type ExecutionProvider,
  type FeedTensor,
  type OnnxSession,
  type TensorDescription,
} from './backend/onnxruntime';
import { poolings, type EmbeddingConventions } from './embedding-conventions';
import type { EmbedOptions, EmbeddingModel } from './embedding-model';
import { normalizeRows, poolHiddenStates } from './pool-hidden-states';
import { padBatch, tokenizeForModel } from './tokenize-for-model';

export interface LoadEmbeddingModelOptions extends Partial<EmbeddingConventions> {
  /** Longest passage in tokens (special tokens included). Default 512. */
  maxLength?: number;
  /** Longest query in tokens. Default `maxLength` (FlashRAG uses 128 for E5 queries, Search-R1 256). */
  queryMaxLength?: number;
  /** Texts per onnxruntime run. Default 32. */
  batchSize?: number;
  /** Default `'cpu'`. */
  executionProvider?: ExecutionProvider;
  /** Threads of one operator on the CPU provider (default: onnxruntime's choice). */
  intraOpNumThreads?: number;
  /**
   * The output to read. Default: `last_hidden_state`, else `token_embeddings` (pooled here), else
   * `sentence_embedding` (already pooled), else the model's only output.
   */
  outputName?: string;
}

const modelLocations = ['model.onnx', join('onnx', 'model.onnx')];
const tokenInputs = ['input_ids', 'attention_mask', 'token_type_ids', 'position_ids'] as const;

async function readModelFile(directory: string): Promise<{ path: string; bytes: Uint8Array }> {
  for (const location of modelLocations) {
    const path = join(directory, location);
    try {
      return { path, bytes: await readFile(path) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && (error as NodeJS.ErrnoException).code !== 'ENOTDIR') {
        throw new InvalidInputError(`cannot be read: ${(error as Error).message}`, { source: path }, { cause: error });
      }
    }
  }
  throw new InvalidInputError(`is missing (also looked for ${join(directory, modelLocations[1]!)})`, {
    source: join(directory, modelLocations[0]!),
  });
}

async function readOptionalBytes(path: string): Promise<Uint8Array | undefined> {
  try {
    return await readFile(path);
  } catch {
    return undefined;
  }
}

function positiveInteger(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1)
    throw new InvalidConfigError(field, `must be a positive integer, got ${String(value)}`);
  return value;
}

function chooseOutput(
  session: OnnxSession,
  requested: string | undefined,
  source: string,
): { name: string; pooled: boolean } {
  const byName = new Map(session.outputs.map((output) => [output.name, output]));
  let chosen: TensorDescription | undefined;
  if (requested !== undefined) {
    chosen = byName.get(requested);
    if (chosen === undefined)
      throw new InvalidConfigError(
        'outputName',
        `the model has no output "${requested}" (outputs: ${[...byName.keys()].join(', ')})`,
      );
  } else {
    chosen =
      byName.get('last_hidden_state') ??
      byName.get('token_embeddings') ??
      byName.get('sentence_embedding') ??
      (session.outputs.length === 1 ? session.outputs[0] : undefined);
    if (chosen === undefined) {
      throw new InvalidInputError(
        `has no last_hidden_state, token_embeddings or sentence_embedding output (outputs: ${[...byName.keys()].join(', ')}); pass outputName`,
        { source },
      );
    }
  }
  if (chosen.elementType !== 'float32' && chosen.elementType !== 'float16') {
    throw new InvalidInputError(`output "${chosen.name}" has type ${chosen.elementType}, expected float32 or float16`, {
      source,
    });
  }
  const rank = chosen.shape.length;
  if (rank !== 0 && rank !== 2 && rank !== 3) {
    throw new InvalidInputError(
      `output "${chosen.name}" has rank ${rank}; expected [batch, sequence, hidden] or [batch, hidden]`,
      { source },
    );
  }
  // An unknown rank is decided at the first run; names say what the common exports hold.
  return { name: chosen.name, pooled: rank === 2 || (rank === 0 && chosen.name === 'sentence_embedding') };
}

function checkInputs(session: OnnxSession, source: string): void {
  if (!session.inputs.some((input) => input.name === 'input_ids')) {
    throw new InvalidInputError(
      `has no input_ids input (inputs: ${session.inputs.map((input) => input.name).join(', ')})`,
      { source },
    );
  }
  for (const input of session.inputs) {
    if (!(tokenInputs as readonly string[]).includes(input.name)) {
      throw new InvalidInputError(
        `has an input "${input.name}" this loader cannot feed (it feeds ${tokenInputs.join(', ')})`,
        { source },
      );
    }
    if (input.elementType !== 'int64' && input.elementType !== 'int32') {
      throw new InvalidInputError(`input "${input.name}" has type ${input.elementType}, expected int64 or int32`, {
        source,
      });
    }
  }
}

function sha256(...parts: Array<Uint8Array | string>): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}

/**
 * Loads an embedding model from a directory in the layout of Hugging Face's ONNX exports:
 * `model.onnx` (or `onnx/model.onnx`, as Optimum places it) plus `tokenizer.json` and, optionally,
 * `tokenizer_config.json`. Inputs `input_ids`, `attention_mask`, `token_type_ids` and `position_ids`
 * are fed when the model has them. Conventions default to mean pooling, normalization, no prefixes;
 * spread {@link e5Conventions} or {@link bgeConventions} into the options for those families.
 *
 * Missing or unreadable files are an `InvalidInputError` naming the file.
 */
export async function loadEmbeddingModel(
  directory: string,
  options: LoadEmbeddingModelOptions = {},
): Promise<EmbeddingModel> {
  const pooling = options.pooling ?? 'mean';
  if (!poolings.includes(pooling))
    throw new InvalidConfigError('pooling', `must be one of ${poolings.join(', ')}, got ${JSON.stringify(pooling)}`);
  const conventions: EmbeddingConventions = Object.freeze({
    pooling,
    normalize: options.normalize ?? true,
    queryPrefix: options.queryPrefix ?? '',
    passagePrefix: options.passagePrefix ?? '',
  });
  if (typeof conventions.queryPrefix !== 'string') throw new InvalidConfigError('queryPrefix', 'must be a string');
  if (typeof conventions.passagePrefix !== 'string') throw new InvalidConfigError('passagePrefix', 'must be a string');
  const maxLength = positiveInteger(options.maxLength, 512, 'maxLength');
  const queryMaxLength = positiveInteger(options.queryMaxLength, maxLength, 'queryMaxLength');
  const batchSize = positiveInteger(options.batchSize, 32, 'batchSize');
  const executionProvider = options.executionProvider ?? 'cpu';

  const modelFile = await readModelFile(directory);
  const tokenizer = await loadTokenizer(directory);
  const padId = tokenizer.padTokenId ?? 0;
  const session = await createSession(modelFile.path, {
    executionProvider,
    source: modelFile.path,
    ...(options.intraOpNumThreads === undefined ? {} : { intraOpNumThreads: options.intraOpNumThreads }),
  });
  checkInputs(session, modelFile.path);
  const output = chooseOutput(session, options.outputName, modelFile.path);
  const inputTypes = new Map(session.inputs.map((input) => [input.name, input.elementType]));

  const tokenizerBytes = (await readOptionalBytes(join(directory, 'tokenizer.json'))) ?? new Uint8Array();
  const tokenizerConfigBytes = (await readOptionalBytes(join(directory, 'tokenizer_config.json'))) ?? new Uint8Array();
  const fingerprint = `sha256:${sha256(
    sha256(modelFile.bytes),
    sha256(tokenizerBytes),
    sha256(tokenizerConfigBytes),
    JSON.stringify({ ...conventions, maxLength, output: output.name }),
  )}`;

  const feedOf = (name: string, values: BigInt64Array, dims: number[]): FeedTensor =>
    inputTypes.get(name) === 'int32' ? { data: Int32Array.from(values, Number), dims } : { data: values, dims };

  let pooledOutput = output.pooled;
  const outputSource = `${modelFile.path} output "${output.name}"`;

  /** `[sequences.length, hidden]` in the given order. */
  async function runBatch(sequences: number[][]): Promise<{ vectors: Float32Array; hidden: number }> {
    const padded = padBatch(sequences, padId);
    const dims = [padded.batch, padded.sequence];
    const feeds: Record<string, FeedTensor> = {};
    for (const input of session.inputs) {
      if (input.name === 'input_ids') feeds[input.name] = feedOf(input.name, padded.inputIds, dims);
      else if (input.name === 'attention_mask') feeds[input.name] = feedOf(input.name, padded.attentionMask, dims);
      else if (input.name === 'token_type_ids')
        feeds[input.name] = feedOf(input.name, new BigInt64Array(padded.inputIds.length), dims);
      else {
        const positions = new BigInt64Array(padded.inputIds.length);
        for (let index = 0; index < positions.length; index += 1) positions[index] = BigInt(index % padded.sequence);
        feeds[input.name] = feedOf(input.name, positions, dims);
      }
    }
    const result = (await session.run(feeds, [output.name]))[output.name]!;
    const values = result.data as Float32Array;
    if (result.dims.length === 2 && result.dims[0] === padded.batch) {
      pooledOutput = true;
      return { vectors: values, hidden: result.dims[1]! };
    }
    if (
      result.dims.length === 3 &&
      result.dims[0] === padded.batch &&
      result.dims[1] === padded.sequence &&
      !pooledOutput
    ) {
      const hidden = result.dims[2]!;
      return {
        vectors: poolHiddenStates(
          values,
          padded.attentionMask,
          { batch: padded.batch, sequence: padded.sequence, hidden },
          pooling,
        ),
        hidden,
      };
    }
    throw new InvalidInputError(
      `has dims [${result.dims.join(', ')}] for a batch of ${padded.batch} × ${padded.sequence} tokens`,
      { source: outputSource },
    );
  }

  async function embed(ids: number[][], options: EmbedOptions): Promise<Float32Array> {
    const total = ids.length;
    // Longest first, so each batch pads to a similar length; results go back to the input order.
    const order = ids
      .map((_, index) => index)
      .sort((left, right) => ids[right]!.length - ids[left]!.length || left - right);
    let result: Float32Array | undefined;
    let dimension = 0;
    for (let start = 0; start < total; start += batchSize) {
      options.signal?.throwIfAborted();
      const rows = order.slice(start, start + batchSize);
      const { vectors, hidden } = await runBatch(rows.map((row) => ids[row]!));
      if (result === undefined) {
        dimension = hidden;
        result = new Float32Array(total * hidden);
      } else if (hidden !== dimension) {
        throw new InvalidInputError(`changed its hidden size from ${dimension} to ${hidden} between batches`, {
          source: outputSource,
        });
      }
      rows.forEach((row, index) => result!.set(vectors.subarray(index * hidden, (index + 1) * hidden), row * hidden));
      options.onProgress?.({ done: Math.min(total, start + rows.length), total });
    }
    const vectors = result ?? new Float32Array(0);
    return conventions.normalize ? normalizeRows(vectors, dimension) : vectors;
  }

  const checkTexts = (texts: readonly string[], field: string): void => {
    if (!Array.isArray(texts)) throw new InvalidInputError('expected an array of strings', { field });
    texts.forEach((text, index) => {
      if (typeof text !== 'string')
        throw new InvalidInputError(`expected a string, got ${typeof text}`, { field: `${field}.${index}` });
    });
  };
  const tokenizeQuery = (text: string): number[] =>
    tokenizeForModel(tokenizer, conventions.queryPrefix + text, queryMaxLength);
  const tokenizePassage = (text: string): number[] =>
    tokenizeForModel(tokenizer, conventions.passagePrefix + text, maxLength);

  // The embedding size: from the output's static shape, else from one run on a one-token text.
  const staticHidden = session.outputs.find((candidate) => candidate.name === output.name)!.shape.at(-1);
  const dimension =
    typeof staticHidden === 'number' && staticHidden > 0
      ? staticHidden
      : (await runBatch([tokenizePassage('')])).hidden;

  return {
    name: basename(directory),
    dimension,
    fingerprint,
    conventions,
    maxLength,
    queryMaxLength,
    batchSize,
    executionProvider,
    inputNames: session.inputs.map((input) => input.name),
    get output() {
      return { name: output.name, pooled: pooledOutput };
    },
    tokenizer,
    tokenizeQuery,
    tokenizePassage,
    async embedQueries(texts, embedOptions = {}) {
      checkTexts(texts, 'queries');
      return embed(texts.map(tokenizeQuery), embedOptions);
    },
    async embedPassages(texts, embedOptions = {}) {
      checkTexts(texts, 'passages');
      return embed(texts.map(tokenizePassage), embedOptions);
    },
    async dispose() {
      await session.release();
    },
  };
}
