import { InvalidInputError } from '@research-ts/spec';
import { writeDirectoryAtomically, writeJsonAtomically } from '@research-ts/spec/node';
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { DecoderConfig, TorchDtype } from '../model/decoder-config';
import { readJsonFile } from '../model/read-json-file';
import { openSafetensors } from '../safetensors/read-safetensors';
import type { FloatDtype } from '../safetensors/safetensors-dtype';
import { writeSafetensors, type TensorToWrite } from '../safetensors/write-safetensors';
import {
  checkLoraSettings,
  loraParameterShapes,
  loraTargetModules,
  type LoraSettings,
  type LoraTarget,
} from './lora-settings';

/** PEFT's file names (`peft/utils/constants.py`: `CONFIG_NAME`, `SAFETENSORS_WEIGHTS_NAME`). */
export const loraAdapterFileNames = { config: 'adapter_config.json', weights: 'adapter_model.safetensors' } as const;

/**
 * PEFT's prefix of a causal LM's adapter tensors: `PeftModelForCausalLM.base_model` (the `LoraModel`) `.model`
 * (the transformers model), then the model's own names, with the adapter name (`default`) removed on save.
 */
const peftPrefix = 'base_model.model.';

/** A LoRA adapter in memory: its settings and tensors (names of `loraParameterShapes`, without PEFT's prefix). */
export interface LoraAdapter {
  settings: LoraSettings;
  parameters: ReadonlyMap<string, Float32Array>;
}

/** An adapter read from a directory. */
export interface LoadedLoraAdapter extends LoraAdapter {
  directory: string;
  /** `base_model_name_or_path` of `adapter_config.json`, when it names one. */
  baseModelNameOrPath: string | undefined;
}

export interface SaveLoraAdapterOptions {
  /** Storage dtype of the tensors. Default `'float32'`. */
  dtype?: TorchDtype;
  /** `base_model_name_or_path` (PEFT writes the base model's hub id or path; vLLM does not read it). Default null. */
  baseModelNameOrPath?: string;
  /** Replace `directory` when it exists and is not empty. Default false (an error). */
  overwrite?: boolean;
}

const storageDtypes: Record<TorchDtype, FloatDtype> = { float32: 'F32', bfloat16: 'BF16', float16: 'F16' };

/**
 * `adapter_config.json` as PEFT's `LoraConfig.to_dict()` writes it for a plain LoRA adapter (the fields of
 * `peft/tuners/lora/config.py` and `peft/config.py`; features we do not implement at their "off" values).
 */
function adapterConfigJson(settings: LoraSettings, baseModelNameOrPath: string | undefined): Record<string, unknown> {
  return {
    alpha_pattern: {},
    auto_mapping: null,
    base_model_name_or_path: baseModelNameOrPath ?? null,
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    layers_pattern: null,
    layers_to_transform: null,
    lora_alpha: settings.alpha,
    lora_dropout: 0,
    modules_to_save: null,
    peft_type: 'LORA',
    r: settings.rank,
    rank_pattern: {},
    revision: null,
    target_modules: [...settings.targets],
    task_type: 'CAUSAL_LM',
    use_dora: false,
    use_rslora: settings.rsLora,
  };
}

/**
 * Writes a LoRA adapter as PEFT's `save_pretrained` does: `adapter_config.json` and `adapter_model.safetensors`
 * with tensors `base_model.model.model.layers.{i}.self_attn.q_proj.lora_A.weight` `[r, in]` and `…lora_B.weight`
 * `[out, r]`, so PEFT (`PeftModel.from_pretrained`) and vLLM (`--enable-lora`, `/v1/load_lora_adapter`) can
 * load it. Written into a staging folder and renamed into place. Returns `directory`.
 */
export async function saveLoraAdapter(
  directory: string,
  config: DecoderConfig,
  adapter: LoraAdapter,
  options: SaveLoraAdapterOptions = {},
): Promise<string> {
  const settings = checkLoraSettings(adapter.settings, 'saveLoraAdapter.settings');
  const shapes = loraParameterShapes(config, settings);
  const tensors = shapes.map(({ name, shape }): [string, TensorToWrite] => {
    const data = adapter.parameters.get(name);
    const count = shape[0]! * shape[1]!;
    if (data === undefined || data.length !== count)
      throw new InvalidInputError(
        data === undefined
          ? 'missing adapter tensor'
          : `has ${data.length} values, [${shape.join(', ')}] needs ${count}`,
        { source: 'saveLoraAdapter.parameters', field: name },
      );
    return [peftPrefix + name, { dtype: storageDtypes[options.dtype ?? 'float32'], shape, data }];
  });
  if (adapter.parameters.size !== shapes.length) {
    const expected = new Set(shapes.map(({ name }) => name));
    const extra = [...adapter.parameters.keys()].find((name) => !expected.has(name));
    throw new InvalidInputError('not an adapter tensor of these settings', {
      source: 'saveLoraAdapter.parameters',
      field: extra,
    });
  }
  const target = resolve(directory);
  const entries = await readdir(target).catch(() => []);
  if (entries.length > 0 && !(options.overwrite ?? false))
    throw new InvalidInputError('already exists and is not empty (pass { overwrite: true } to replace it)', {
      source: target,
    });
  await writeDirectoryAtomically(target, async (staging) => {
    await writeJsonAtomically(
      join(staging, loraAdapterFileNames.config),
      adapterConfigJson(settings, options.baseModelNameOrPath),
    );
    await writeSafetensors(join(staging, loraAdapterFileNames.weights), tensors, {
      metadata: { format: 'pt' },
    });
  });
  return directory;
}

/** `base_model.model.model.layers.{i}.{block}.{module}.lora_{A|B}.weight` */
const peftTensorName = /^base_model\.model\.model\.layers\.(\d+)\.(self_attn|mlp)\.([a-z_]+)\.lora_([AB])\.weight$/;

/** Config fields whose non-default values change the computation in ways we do not implement. */
function rejectUnsupported(json: Record<string, unknown>, source: string): void {
  const reject = (field: string, problem: string) => {
    throw new InvalidInputError(problem, { source, field });
  };
  if (json.peft_type !== 'LORA') reject('peft_type', `must be "LORA", got ${JSON.stringify(json.peft_type)}`);
  if (json.use_dora === true) reject('use_dora', 'DoRA adapters are not supported');
  if ((json.bias ?? 'none') !== 'none') reject('bias', `only "none" is supported, got ${JSON.stringify(json.bias)}`);
  if (json.fan_in_fan_out === true) reject('fan_in_fan_out', 'must be false (Conv1D layers are not supported)');
  for (const field of ['rank_pattern', 'alpha_pattern'] as const) {
    const pattern = json[field];
    if (pattern !== undefined && pattern !== null && Object.keys(pattern as object).length > 0)
      reject(field, 'per-module ranks or alphas are not supported');
  }
  const modulesToSave = json.modules_to_save;
  if (Array.isArray(modulesToSave) && modulesToSave.length > 0)
    reject('modules_to_save', 'fully trained extra modules are not supported');
  if (json.layer_replication !== undefined && json.layer_replication !== null)
    reject('layer_replication', 'is not supported');
}

/**
 * Reads a LoRA adapter directory that PEFT (`save_pretrained`) or `saveLoraAdapter` wrote, for a base model of
 * `config`. The targets come from the tensors present (every layer must carry the same targets, each a
 * q/k/v/o or gate/up/down projection); `r`, `lora_alpha` and `use_rslora` from `adapter_config.json`; every
 * tensor's shape is checked against the base model. `lora_dropout` only matters in training and is ignored.
 * Rejected with an error naming the field: DoRA, biases, `fan_in_fan_out`, `rank_pattern`/`alpha_pattern`,
 * `modules_to_save`, adapters on other modules, adapters on only some layers.
 */
export async function loadLoraAdapter(directory: string, config: DecoderConfig): Promise<LoadedLoraAdapter> {
  const configPath = join(directory, loraAdapterFileNames.config);
  const weightsPath = join(directory, loraAdapterFileNames.weights);
  const json = await readJsonFile(configPath);
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new InvalidInputError('must hold a JSON object', { source: configPath });
  const fields = json as Record<string, unknown>;
  rejectUnsupported(fields, configPath);
  const file = await openSafetensors(weightsPath);
  try {
    const byLayer = new Map<number, Set<string>>();
    for (const name of file.entries.keys()) {
      const match = peftTensorName.exec(name);
      if (
        match === null ||
        !Object.hasOwn(loraTargetModules, match[3]!) ||
        loraTargetModules[match[3] as LoraTarget] !== match[2]
      )
        throw new InvalidInputError('not a LoRA tensor of a q/k/v/o or gate/up/down projection', {
          source: weightsPath,
          field: name,
        });
      const layer = Number(match[1]);
      if (layer >= config.numHiddenLayers)
        throw new InvalidInputError(`layer ${layer} beyond the base model's ${config.numHiddenLayers}`, {
          source: weightsPath,
          field: name,
        });
      const set = byLayer.get(layer) ?? new Set<string>();
      set.add(match[3]!);
      byLayer.set(layer, set);
    }
    const targets = [...(byLayer.get(0) ?? [])];
    for (let layer = 0; layer < config.numHiddenLayers; layer++) {
      const found = [...(byLayer.get(layer) ?? [])].sort().join(',');
      if (found !== [...targets].sort().join(','))
        throw new InvalidInputError(
          `layer ${layer} adapts [${found}], layer 0 [${targets.join(',')}]: every layer must adapt the same projections`,
          { source: weightsPath, field: 'target_modules' },
        );
    }
    const listed = fields.target_modules;
    if (Array.isArray(listed)) {
      for (const target of targets)
        if (!listed.includes(target))
          throw new InvalidInputError(`holds tensors of ${target}, not listed`, {
            source: configPath,
            field: 'target_modules',
          });
    }
    let settings: LoraSettings;
    try {
      settings = checkLoraSettings(
        { rank: fields.r, alpha: fields.lora_alpha, targets, rsLora: fields.use_rslora ?? false },
        configPath,
      );
    } catch (error) {
      // name the file's field, not ours
      const names: Record<string, string> = {
        rank: 'r',
        alpha: 'lora_alpha',
        targets: 'target_modules',
        rsLora: 'use_rslora',
      };
      if (error instanceof InvalidInputError && error.field !== undefined)
        throw new InvalidInputError(error.problem, {
          source: configPath,
          field: names[error.field.replace(/\[.*$/, '')] ?? error.field,
        });
      throw error;
    }
    const parameters = new Map<string, Float32Array>();
    for (const { name, shape } of loraParameterShapes(config, settings)) {
      const entry = file.entries.get(peftPrefix + name);
      if (entry === undefined)
        throw new InvalidInputError('missing (the other half of the pair is present)', {
          source: weightsPath,
          field: peftPrefix + name,
        });
      if (entry.shape.join(',') !== shape.join(','))
        throw new InvalidInputError(
          `has shape [${entry.shape.join(', ')}], r and the base model call for [${shape.join(', ')}]`,
          {
            source: weightsPath,
            field: peftPrefix + name,
          },
        );
      parameters.set(name, await file.readFloat32(peftPrefix + name));
    }
    const base = fields.base_model_name_or_path;
    return {
      directory,
      settings,
      parameters,
      baseModelNameOrPath: typeof base === 'string' ? base : undefined,
    };
  } finally {
    await file.close();
  }
}

/** Whether `directory` holds an `adapter_config.json`. */
export async function isLoraAdapterDirectory(directory: string): Promise<boolean> {
  return stat(join(directory, loraAdapterFileNames.config)).then(
    (stats) => stats.isFile(),
    () => false,
  );
}
