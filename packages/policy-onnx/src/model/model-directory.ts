import { InvalidInputError } from '@research-ts/spec';
import { writeDirectoryAtomically } from '@research-ts/spec/node';
import { copyFile, readdir, stat, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { DecoderConfig, TorchDtype } from './decoder-config';
import { decoderParameterShapes } from './decoder-parameter-shapes';
import { readModelConfig, writeModelConfig } from './model-config-file';
import type { DecoderModel } from './random-model';
import type { FloatDtype } from '../safetensors/safetensors-dtype';
import { openSafetensorsDirectory, writeSafetensorsShards } from '../safetensors/safetensors-shards';
import type { TensorToWrite } from '../safetensors/write-safetensors';

/** A model read from a Hugging Face model directory. */
export interface LoadedModel extends DecoderModel {
  directory: string;
  /** The directory itself when it holds `tokenizer.json` or `tokenizer_config.json`, else undefined. */
  tokenizerDirectory: string | undefined;
}

export interface LoadModelOptions {
  /** Reject tensors the config does not call for. Default true. */
  strict?: boolean;
}

/** Tensors that old checkpoints carry but that are not parameters (RoPE's cached inverse frequencies). */
const ignoredBuffers = /\.rotary_emb\.inv_freq$/;

/** Tokenizer files of a Hugging Face model directory, copied by `saveModelDirectory({ copyTokenizerFrom })`. */
export const tokenizerFileNames = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
  'vocab.json',
  'merges.txt',
  'tokenizer.model',
  'chat_template.jinja',
] as const;

const shapeText = (shape: readonly number[]) => `[${shape.join(', ')}]`;

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Loads `config.json` and the weights (`model.safetensors` or shards + index) of a Qwen2/Llama model
 * directory, converting every parameter to float32. Checks that every parameter the config calls for
 * is present with its shape (a tied `lm_head.weight` may be absent, and is ignored when present);
 * errors name the file and the tensor.
 */
export async function loadModelDirectory(directory: string, options: LoadModelOptions = {}): Promise<LoadedModel> {
  const config = await readModelConfig(directory);
  const checkpoint = await openSafetensorsDirectory(directory);
  try {
    const expected = decoderParameterShapes(config);
    const expectedNames = new Set(expected.map(({ name }) => name));
    const fileOf = (name: string) => join(directory, checkpoint.entries.get(name)?.file ?? 'model.safetensors');
    const sharded = [...checkpoint.entries.values()].some((entry) => entry.file !== 'model.safetensors');
    const weightsSource = join(directory, sharded ? 'model.safetensors.index.json' : 'model.safetensors');
    for (const { name, shape } of expected) {
      const entry = checkpoint.entries.get(name);
      if (entry === undefined) {
        throw new InvalidInputError(`missing: config.json calls for this ${shapeText(shape)} tensor`, {
          source: weightsSource,
          field: name,
        });
      }
      if (entry.shape.length !== shape.length || entry.shape.some((size, axis) => size !== shape[axis])) {
        throw new InvalidInputError(
          `has shape ${shapeText(entry.shape)} but config.json calls for ${shapeText(shape)}`,
          { source: fileOf(name), field: name },
        );
      }
    }
    if (options.strict ?? true) {
      for (const name of checkpoint.entries.keys()) {
        if (
          expectedNames.has(name) ||
          ignoredBuffers.test(name) ||
          (name === 'lm_head.weight' && config.tieWordEmbeddings)
        )
          continue;
        throw new InvalidInputError(
          `unexpected tensor: a ${config.family} decoder with this config.json has no such parameter (pass { strict: false } to ignore extra tensors)`,
          {
            source: fileOf(name),
            field: name,
          },
        );
      }
    }
    const parameters = new Map<string, Float32Array>();
    for (const { name } of expected) parameters.set(name, await checkpoint.readFloat32(name));
    const hasTokenizer =
      (await exists(join(directory, 'tokenizer.json'))) || (await exists(join(directory, 'tokenizer_config.json')));
    return { config, parameters, directory, tokenizerDirectory: hasTokenizer ? directory : undefined };
  } finally {
    await checkpoint.close();
  }
}

export interface SaveModelOptions {
  /** Storage dtype of the weights (and `torch_dtype` of the config). Default `'float32'`. */
  dtype?: TorchDtype;
  /** Extra files (tokenizer.json, tokenizer_config.json, …) by file name, with their contents. */
  tokenizerFiles?: Readonly<Record<string, string | Uint8Array>>;
  /** A model directory whose tokenizer files (`tokenizerFileNames`, those that exist) are copied. */
  copyTokenizerFrom?: string;
  /** Shard the weights above this many bytes per file. Default 5 GB, as `transformers`. */
  maxShardBytes?: number;
  /** Replace `directory` when it exists and is not empty. Default false (an error). */
  overwrite?: boolean;
}

const storageDtypes: Record<TorchDtype, FloatDtype> = { float32: 'F32', bfloat16: 'BF16', float16: 'F16' };

function checkParameters(model: DecoderModel): void {
  const expected = decoderParameterShapes(model.config);
  for (const { name, shape } of expected) {
    const values = model.parameters.get(name);
    const count = shape.reduce((product, size) => product * size, 1);
    if (values === undefined)
      throw new InvalidInputError(`missing parameter (shape ${shapeText(shape)})`, {
        source: 'model.parameters',
        field: name,
      });
    if (values.length !== count) {
      throw new InvalidInputError(`has ${values.length} values but shape ${shapeText(shape)} needs ${count}`, {
        source: 'model.parameters',
        field: name,
      });
    }
  }
  const names = new Set(expected.map(({ name }) => name));
  for (const name of model.parameters.keys()) {
    if (!names.has(name))
      throw new InvalidInputError('not a parameter of this config', { source: 'model.parameters', field: name });
  }
}

/**
 * Saves a model as a Hugging Face model directory: `config.json`, `generation_config.json`,
 * `model.safetensors` (or shards + index), and any tokenizer files, so that `transformers` and vLLM
 * load it. Everything is written into a temporary folder beside `directory`, which is then renamed
 * into place: readers see the old directory or the complete new one. Returns `directory`.
 */
export async function saveModelDirectory(
  directory: string,
  model: DecoderModel,
  options: SaveModelOptions = {},
): Promise<string> {
  checkParameters(model);
  const target = resolve(directory);
  const dtype = options.dtype ?? 'float32';
  const targetExists = await exists(target);
  if (targetExists && (await readdir(target)).length > 0 && !(options.overwrite ?? false)) {
    throw new InvalidInputError('already exists and is not empty (pass { overwrite: true } to replace it)', {
      source: target,
    });
  }
  const tokenizerFiles = Object.entries(options.tokenizerFiles ?? {});
  for (const [name] of tokenizerFiles) {
    if (name !== basename(name) || name === '' || name === '.' || name === '..')
      throw new InvalidInputError('must be a plain file name', { source: 'tokenizerFiles', field: name });
  }
  await writeDirectoryAtomically(target, async (staging) => {
    const config: DecoderConfig = { ...model.config, torchDtype: dtype };
    await writeModelConfig(staging, config);
    const storage = storageDtypes[dtype];
    const tensors = decoderParameterShapes(model.config).map(({ name, shape }): [string, TensorToWrite] => [
      name,
      { dtype: storage, shape, data: model.parameters.get(name)! },
    ]);
    await writeSafetensorsShards(staging, tensors, { maxShardBytes: options.maxShardBytes });
    if (options.copyTokenizerFrom !== undefined) {
      for (const name of tokenizerFileNames) {
        const source = join(options.copyTokenizerFrom, name);
        if (await exists(source)) await copyFile(source, join(staging, name));
      }
    }
    for (const [name, contents] of tokenizerFiles) await writeFile(join(staging, name), contents);
  });
  return directory;
}
