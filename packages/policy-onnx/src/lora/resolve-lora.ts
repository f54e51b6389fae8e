import { InvalidInputError } from '@research-ts/spec';
import type { DecoderConfig } from '../model/decoder-config';
import { loadLoraAdapter } from './lora-adapter-directory';
import { createLoraParameters } from './lora-init';
import { checkLoraSettings, type LoraSettings, type LoraTarget } from './lora-settings';

/** `createOnnxPolicy`'s `lora` option: fresh adapters, or an adapter directory to continue from. */
export type LoraOptions =
  | {
      /** Rank r (PEFT `r`). */
      rank: number;
      /** PEFT `lora_alpha`: the update is scaled by `alpha / rank` (or `alpha / sqrt(rank)` with `rsLora`). */
      alpha: number;
      /** Adapted projections of every layer, e.g. `['q_proj', 'v_proj']`. */
      targets: readonly LoraTarget[];
      /** Rank-stabilised scaling `alpha / sqrt(rank)` (PEFT `use_rslora`). Default false. */
      rsLora?: boolean;
      /** Seed of A's kaiming-uniform init (B starts at zero). Default 0. */
      seed?: number;
    }
  | {
      /** A PEFT adapter directory (`adapter_config.json` + `adapter_model.safetensors`) for this base model. */
      adapterDirectory: string;
    };

/** The adapters a policy starts from. */
export interface PolicyLora {
  settings: LoraSettings;
  parameters: Map<string, Float32Array>;
  /** From a loaded adapter's config. */
  baseModelNameOrPath: string | undefined;
}

const source = 'createOnnxPolicy.lora';

/** Checks `options.lora` (errors name the field) and creates or loads the adapters. */
export async function resolveLora(
  options: LoraOptions | undefined,
  config: DecoderConfig,
): Promise<PolicyLora | undefined> {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null)
    throw new InvalidInputError('must be an object', { source: 'createOnnxPolicy', field: 'lora' });
  if ('adapterDirectory' in options) {
    const extra = Object.keys(options).find((key) => key !== 'adapterDirectory');
    if (extra !== undefined)
      throw new InvalidInputError('cannot be combined with adapterDirectory (the directory holds the settings)', {
        source,
        field: extra,
      });
    if (typeof options.adapterDirectory !== 'string' || options.adapterDirectory === '')
      throw new InvalidInputError('must be a directory path', { source, field: 'adapterDirectory' });
    const loaded = await loadLoraAdapter(options.adapterDirectory, config);
    return {
      settings: loaded.settings,
      parameters: new Map(loaded.parameters),
      baseModelNameOrPath: loaded.baseModelNameOrPath,
    };
  }
  const known = new Set(['rank', 'alpha', 'targets', 'rsLora', 'seed']);
  const unknown = Object.keys(options).find((key) => !known.has(key));
  if (unknown !== undefined) throw new InvalidInputError('is not a LoRA option', { source, field: unknown });
  const settings = checkLoraSettings(options, source);
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed))
    throw new InvalidInputError(`must be an integer, got ${String(seed)}`, { source, field: 'seed' });
  return { settings, parameters: createLoraParameters(config, settings, seed), baseModelNameOrPath: undefined };
}
