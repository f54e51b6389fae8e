import { InvalidConfigError } from '@research-ts/spec';
import { algorithmNames, algorithmRecipes, type AlgorithmName } from './algorithm-recipes';
import { configPresets, type ConfigPresetName } from './config-presets';
import { readConfigFile } from './read-config-file';
import { parseTrainerConfig, type TrainerConfig } from './trainer-config';

export interface ResolveConfigOptions {
  /** A preset to start from (`research` = the schema defaults, `tiny` = the CPU demo). */
  preset?: string;
  /** An algorithm recipe (`dapo`, `gspo`, …) applied over the preset; the same as the config's `algorithm` field. */
  algorithm?: string;
  /** A JSON or YAML (`.yaml`, `.yml`) config file; its fields override the preset's. */
  configFile?: string;
  /** `path=value` overrides (`optimizer.learningRate=1e-3`), applied last; values are JSON or bare strings. */
  overrides?: readonly string[];
  /** Fields set by the caller (a CLI flag), applied after the file and before `overrides`. */
  fields?: Record<string, unknown>;
}

type Json = Record<string, unknown>;

const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `target` with `source` merged in: records merge key by key, anything else replaces. */
export function mergeConfig(target: Json, source: Json): Json {
  const out: Json = { ...target };
  for (const [key, value] of Object.entries(source))
    out[key] = isRecord(value) && isRecord(out[key]) ? mergeConfig(out[key] as Json, value) : value;
  return out;
}

/** Parses one `a.b.c=value` override into a nested record; the value is JSON when it parses, else the raw string. */
export function parseOverride(override: string): Json {
  const equals = override.indexOf('=');
  if (equals <= 0) throw new InvalidConfigError(override, 'an override must look like path.to.field=value');
  const path = override.slice(0, equals).trim().split('.');
  if (path.some((part) => part === '')) throw new InvalidConfigError(override, 'the path has an empty part');
  const raw = override.slice(equals + 1);
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // a bare string
  }
  let nested: unknown = value;
  for (const part of [...path].reverse()) nested = { [part]: nested };
  return nested as Json;
}

/** The names of the presets. */
export function presetNames(): ConfigPresetName[] {
  return Object.keys(configPresets) as ConfigPresetName[];
}

/**
 * Builds the configuration: preset, then the file, then `fields`, then the overrides, validated by the
 * schema. Every failure is an `InvalidConfigError` naming the field, thrown before any work.
 */
export async function resolveConfig(options: ResolveConfigOptions = {}): Promise<TrainerConfig> {
  let preset: Json = {};
  if (options.preset !== undefined) {
    const named = (configPresets as Record<string, Json>)[options.preset];
    if (named === undefined)
      throw new InvalidConfigError(
        'preset',
        `unknown preset "${options.preset}" (presets: ${presetNames().join(', ')})`,
      );
    preset = named;
  }
  // What the user wrote: the file, then the caller's fields, then the overrides (and --algorithm among them).
  let written: Json = {};
  if (options.configFile !== undefined) written = mergeConfig(written, await readConfigFile(options.configFile));
  if (options.fields !== undefined) written = mergeConfig(written, options.fields);
  for (const override of options.overrides ?? []) written = mergeConfig(written, parseOverride(override));
  if (options.algorithm !== undefined) written = mergeConfig(written, { algorithm: options.algorithm });
  // The algorithm's recipe goes between the preset and what the user wrote, so that an explicit value wins.
  const algorithm = written.algorithm ?? preset.algorithm;
  const recipe =
    typeof algorithm === 'string' && (algorithmNames as readonly string[]).includes(algorithm)
      ? (algorithmRecipes[algorithm as AlgorithmName].config as Json)
      : {};
  return parseTrainerConfig(mergeConfig(mergeConfig(preset, recipe), written));
}
