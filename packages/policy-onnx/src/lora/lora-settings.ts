import { InvalidInputError } from '@research-ts/spec';
import type { DecoderConfig } from '../model/decoder-config';
import { decoderParameterShapes, type ParameterShape } from '../model/decoder-parameter-shapes';

/**
 * The projections a LoRA adapter can target, by PEFT's module name (`target_modules`), with the block each
 * sits in: `model.layers.{i}.{block}.{module}`.
 */
export const loraTargetModules = {
  q_proj: 'self_attn',
  k_proj: 'self_attn',
  v_proj: 'self_attn',
  o_proj: 'self_attn',
  gate_proj: 'mlp',
  up_proj: 'mlp',
  down_proj: 'mlp',
} as const;

export type LoraTarget = keyof typeof loraTargetModules;

/** The shape of a LoRA adapter: which projections, rank and scaling (PEFT's `LoraConfig` fields in brackets). */
export interface LoraSettings {
  /** Rank r of every adapter (`r`). */
  rank: number;
  /** Scaling numerator (`lora_alpha`). */
  alpha: number;
  /** Adapted projections, in `loraTargetModules` order (`target_modules`). */
  targets: readonly LoraTarget[];
  /** Scale `alpha / sqrt(rank)` (rank-stabilised LoRA, `use_rslora`) instead of `alpha / rank`. */
  rsLora: boolean;
}

/** The factor of the low-rank update: `y = x·Wᵀ + scale·(x·Aᵀ)·Bᵀ`. */
export function loraScale(settings: LoraSettings): number {
  return settings.rsLora ? settings.alpha / Math.sqrt(settings.rank) : settings.alpha / settings.rank;
}

/**
 * Checks settings given by a caller (each bad field named, `source` saying where they came from) and
 * returns them with the targets deduplicated in `loraTargetModules` order.
 */
export function checkLoraSettings(
  value: { rank?: unknown; alpha?: unknown; targets?: unknown; rsLora?: unknown },
  source: string,
): LoraSettings {
  const { rank, alpha, targets, rsLora } = value;
  if (typeof rank !== 'number' || !Number.isSafeInteger(rank) || rank < 1)
    throw new InvalidInputError(`must be a positive integer, got ${String(rank)}`, { source, field: 'rank' });
  if (typeof alpha !== 'number' || !Number.isFinite(alpha) || alpha <= 0)
    throw new InvalidInputError(`must be a finite number > 0, got ${String(alpha)}`, { source, field: 'alpha' });
  if (!Array.isArray(targets) || targets.length === 0)
    throw new InvalidInputError(`must be a non-empty list of ${Object.keys(loraTargetModules).join(', ')}`, {
      source,
      field: 'targets',
    });
  for (const [index, target] of targets.entries()) {
    if (typeof target !== 'string' || !Object.hasOwn(loraTargetModules, target))
      throw new InvalidInputError(
        `${JSON.stringify(target)} is not one of ${Object.keys(loraTargetModules).join(', ')}`,
        { source, field: `targets[${index}]` },
      );
  }
  if (rsLora !== undefined && typeof rsLora !== 'boolean')
    throw new InvalidInputError(`must be a boolean, got ${String(rsLora)}`, { source, field: 'rsLora' });
  const ordered = (Object.keys(loraTargetModules) as LoraTarget[]).filter((name) => targets.includes(name));
  return { rank, alpha, targets: ordered, rsLora: rsLora ?? false };
}

/** The `[out, in]` shape of a targeted projection's base weight. */
function projectionShape(config: DecoderConfig, target: LoraTarget): [number, number] {
  const { hiddenSize: hidden, intermediateSize: intermediate, headDim } = config;
  const query = config.numAttentionHeads * headDim;
  const keyValue = config.numKeyValueHeads * headDim;
  const shapes: Record<LoraTarget, [number, number]> = {
    q_proj: [query, hidden],
    k_proj: [keyValue, hidden],
    v_proj: [keyValue, hidden],
    o_proj: [hidden, query],
    gate_proj: [intermediate, hidden],
    up_proj: [intermediate, hidden],
    down_proj: [hidden, intermediate],
  };
  return shapes[target];
}

/** One adapted projection: its base weight's name and its two adapter tensors' names and shapes. */
export interface LoraModule {
  layer: number;
  target: LoraTarget;
  /** `model.layers.{i}.{block}.{target}` (add `.weight` for the base weight). */
  module: string;
  /** `{module}.lora_A.weight`, `[rank, in]`. */
  a: ParameterShape;
  /** `{module}.lora_B.weight`, `[out, rank]`. */
  b: ParameterShape;
}

/** Every adapted projection of a decoder, layer by layer, targets in `loraTargetModules` order. */
export function loraModules(config: DecoderConfig, settings: LoraSettings): LoraModule[] {
  const modules: LoraModule[] = [];
  for (let layer = 0; layer < config.numHiddenLayers; layer++) {
    for (const target of settings.targets) {
      const module = `model.layers.${layer}.${loraTargetModules[target]}.${target}`;
      const [out, input] = projectionShape(config, target);
      modules.push({
        layer,
        target,
        module,
        a: { name: `${module}.lora_A.weight`, shape: [settings.rank, input] },
        b: { name: `${module}.lora_B.weight`, shape: [out, settings.rank] },
      });
    }
  }
  return modules;
}

/**
 * The adapter tensors under the names the graphs and the policy use (`model.layers.{i}.self_attn.q_proj.lora_A.weight`;
 * PEFT's files add `base_model.model.` in front), A before B per projection, as PEFT's `state_dict` orders them.
 */
export function loraParameterShapes(config: DecoderConfig, settings: LoraSettings): ParameterShape[] {
  return loraModules(config, settings).flatMap(({ a, b }) => [a, b]);
}

/** The graph inputs of a decoder with optional adapters: the base parameters, then the adapters. */
export function graphParameterShapes(config: DecoderConfig, lora: LoraSettings | undefined): ParameterShape[] {
  const base = decoderParameterShapes(config);
  return lora === undefined ? base : [...base, ...loraParameterShapes(config, lora)];
}

/** What training updates and the backward graph differentiates: every parameter, or with adapters only the adapters (the base is frozen). */
export function trainedParameterShapes(config: DecoderConfig, lora: LoraSettings | undefined): ParameterShape[] {
  return lora === undefined ? decoderParameterShapes(config) : loraParameterShapes(config, lora);
}
