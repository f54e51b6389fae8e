import { InvalidConfigError, InvalidInputError } from '@research-ts/spec';

/**
 * The decoder families whose Hugging Face checkpoints load here: `qwen2` (Qwen2, Qwen2.5), `qwen3` (dense Qwen3:
 * Qwen2's decoder plus an RMSNorm over `head_dim` on each query and key head before RoPE, `q_norm`/`k_norm`) and
 * `llama` (Llama 2, 3.x).
 */
export type DecoderFamily = 'qwen2' | 'qwen3' | 'llama';

/** Checkpoint dtypes a config may declare (`torch_dtype`). */
export type TorchDtype = 'float32' | 'bfloat16' | 'float16';

/**
 * RoPE frequency scaling. Only the types that change the inverse frequencies by a closed formula are
 * supported: `linear` (positions divided by `factor`) and `llama3` (Llama 3.1+ band-wise scaling).
 */
export type RopeScaling =
  | { type: 'linear'; factor: number }
  | {
      type: 'llama3';
      factor: number;
      lowFreqFactor: number;
      highFreqFactor: number;
      originalMaxPositionEmbeddings: number;
    };

/**
 * A decoder-only transformer (RMSNorm, RoPE, grouped-query attention, SwiGLU), as read from a
 * Hugging Face `config.json` of the Qwen2, Qwen3 or Llama family.
 */
export interface DecoderConfig {
  family: DecoderFamily;
  vocabSize: number;
  hiddenSize: number;
  /** Width of the SwiGLU MLP (gate/up projections' output). */
  intermediateSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  /** Key/value heads (grouped-query attention); divides `numAttentionHeads`. */
  numKeyValueHeads: number;
  /** Width of one head; `hiddenSize / numAttentionHeads` unless the config says otherwise. Even (RoPE rotates pairs). */
  headDim: number;
  ropeTheta: number;
  rmsNormEps: number;
  /** `lm_head` shares `model.embed_tokens.weight` (no `lm_head.weight` is stored). */
  tieWordEmbeddings: boolean;
  /** q/k/v projections have biases: always for Qwen2; for Llama and Qwen3 when `attention_bias`. */
  attentionBias: boolean;
  /** The o_proj has a bias: never for Qwen2; for Llama and Qwen3 when `attention_bias`. */
  attentionOutputBias: boolean;
  /** gate/up/down projections have biases (Llama `mlp_bias`). */
  mlpBias: boolean;
  maxPositionEmbeddings: number;
  bosTokenId: number | undefined;
  eosTokenId: number | number[];
  padTokenId: number | undefined;
  /** The dtype the checkpoint's weights are stored in. */
  torchDtype: TorchDtype;
  ropeScaling: RopeScaling | undefined;
}

const architectures: Record<DecoderFamily, string> = {
  qwen2: 'Qwen2ForCausalLM',
  qwen3: 'Qwen3ForCausalLM',
  llama: 'LlamaForCausalLM',
};

/** Whether the family normalises each query and key head (RMSNorm over `headDim`, `self_attn.q_norm`/`k_norm`) before RoPE. */
export function hasQueryKeyNorm(config: Pick<DecoderConfig, 'family'>): boolean {
  return config.family === 'qwen3';
}
const torchDtypes: readonly TorchDtype[] = ['float32', 'bfloat16', 'float16'];
const supportedRopeTypes = ['default', 'linear', 'llama3'];

/** A plausible `transformers_version` for what we write: one that knows every key we emit (llama3 RoPE arrived in 4.43). */
export const writtenTransformersVersion = '4.46.0';

type Json = Record<string, unknown>;

/** An `eos_token_id` found outside `config.json`: its value, and the file and field that hold it (for messages). */
export interface EosTokenIdSource {
  value: unknown;
  source: string;
  field: string;
}

/**
 * Where a `config.json` without `eos_token_id` gets one (read by `readEosTokenIdFallbacks`), in the order
 * `parseDecoderConfig` tries them.
 */
export interface EosTokenIdFallbacks {
  /** `generation_config.json`'s `eos_token_id`, when that file sets it. */
  generationConfig?: EosTokenIdSource;
  /** The tokenizer's end-of-sequence ids (`tokenizer_config.json` `eos_token`). */
  tokenizer?: EosTokenIdSource;
  /** What was looked for and not found (`…/generation_config.json does not exist`), named when nothing was found. */
  notFound?: readonly string[];
}

/**
 * transformers' class default of `eos_token_id` for a parsed `config.json`: `LlamaConfig(eos_token_id=2)`;
 * `Qwen2Config` has none (PretrainedConfig's `None`). Undefined too when the default is not a token of the
 * vocabulary.
 */
export function familyDefaultEosTokenId(json: Json): number | undefined {
  const vocabSize = json.vocab_size;
  return json.model_type === 'llama' && typeof vocabSize === 'number' && vocabSize > 2 ? 2 : undefined;
}

/** Reads one field of a parsed `config.json`, failing with an error that names the file and the field. */
class ConfigReader {
  constructor(
    private readonly json: Json,
    private readonly source: string,
  ) {}

  fail(field: string, problem: string): never {
    throw new InvalidInputError(problem, { source: this.source, field });
  }

  has(field: string): boolean {
    return this.json[field] !== undefined && this.json[field] !== null;
  }

  integer(field: string, options: { minimum: number; fallback?: number }): number {
    const value = this.json[field];
    if (value === undefined || value === null) {
      if (options.fallback !== undefined) return options.fallback;
      this.fail(field, 'is required');
    }
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < options.minimum) {
      this.fail(field, `must be an integer ≥ ${options.minimum}, got ${JSON.stringify(value)}`);
    }
    return value;
  }

  positiveNumber(field: string, fallback: number): number {
    const value = this.json[field] ?? fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
      this.fail(field, `must be a positive number, got ${JSON.stringify(value)}`);
    return value;
  }

  boolean(field: string, fallback: boolean): boolean {
    const value = this.json[field] ?? fallback;
    if (typeof value !== 'boolean') this.fail(field, `must be true or false, got ${JSON.stringify(value)}`);
    return value;
  }

  tokenId(field: string, vocabSize: number, value: unknown = this.json[field]): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value >= vocabSize) {
      this.fail(field, `must be a token id in [0, ${vocabSize}) (vocab_size), got ${JSON.stringify(value)}`);
    }
    return value;
  }
}

/**
 * Validates a parsed Hugging Face `config.json` of a Qwen2, Qwen3 or Llama causal LM and returns its
 * `DecoderConfig`. Shape fields are required (no silent 7B-sized defaults); other fields take the
 * `transformers` defaults. Every problem is an `InvalidInputError` naming `source` and the field.
 *
 * `eos_token_id`, when `config.json` leaves it out, is found as transformers finds it: first
 * `generation_config.json`'s (what `generate()` stops on), then the config class's default (Llama: 2),
 * then the tokenizer's EOS (`fallbacks`, read from the model directory by `readModelConfig`). Only when
 * none of them names one is it an error, naming `config.json`'s field and what was looked for.
 */
export function parseDecoderConfig(
  json: unknown,
  source = 'config.json',
  fallbacks: EosTokenIdFallbacks = {},
): DecoderConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new InvalidInputError('must be a JSON object', { source });
  const raw = json as Json;
  const read: ConfigReader = new ConfigReader(raw, source);

  const family = raw.model_type;
  if (family !== 'qwen2' && family !== 'qwen3' && family !== 'llama') {
    read.fail(
      'model_type',
      `must be "qwen2", "qwen3" or "llama" (the supported decoder families), got ${JSON.stringify(family)}`,
    );
  }
  if (read.has('architectures')) {
    const listed = raw.architectures;
    if (!Array.isArray(listed) || listed.length !== 1 || listed[0] !== architectures[family]) {
      read.fail(
        'architectures',
        `must be ["${architectures[family]}"] for model_type "${family}", got ${JSON.stringify(listed)}`,
      );
    }
  }
  if (read.has('quantization_config')) read.fail('quantization_config', 'quantized checkpoints are not supported');
  const activation = raw.hidden_act ?? 'silu';
  if (activation !== 'silu') read.fail('hidden_act', `must be "silu" (SwiGLU), got ${JSON.stringify(activation)}`);
  if (family === 'qwen2' || family === 'qwen3') {
    if (raw.use_sliding_window === true) read.fail('use_sliding_window', 'sliding-window attention is not supported');
    if (raw.use_mrope === true) read.fail('use_mrope', 'multimodal RoPE is not supported');
  }

  const vocabSize = read.integer('vocab_size', { minimum: 1 });
  const hiddenSize = read.integer('hidden_size', { minimum: 1 });
  const intermediateSize = read.integer('intermediate_size', { minimum: 1 });
  const numHiddenLayers = read.integer('num_hidden_layers', { minimum: 1 });
  const numAttentionHeads = read.integer('num_attention_heads', { minimum: 1 });
  const numKeyValueHeads = read.integer('num_key_value_heads', { minimum: 1, fallback: numAttentionHeads });
  if (numAttentionHeads % numKeyValueHeads !== 0) {
    read.fail('num_key_value_heads', `must divide num_attention_heads (${numAttentionHeads}), got ${numKeyValueHeads}`);
  }
  let headDim: number;
  // Qwen3's head width is not hidden / heads (0.6B: 1024 / 16 heads of 128), and its config class defaults to 128:
  // a Qwen3 config.json must say it.
  if (family === 'qwen3' && !read.has('head_dim'))
    read.fail(
      'head_dim',
      'is required for model_type "qwen3" (its heads are not hidden_size / num_attention_heads wide)',
    );
  if (read.has('head_dim')) headDim = read.integer('head_dim', { minimum: 1 });
  else {
    if (hiddenSize % numAttentionHeads !== 0) {
      read.fail(
        'num_attention_heads',
        `must divide hidden_size (${hiddenSize}) when head_dim is not given, got ${numAttentionHeads}`,
      );
    }
    headDim = hiddenSize / numAttentionHeads;
  }
  if (headDim % 2 !== 0)
    read.fail(
      read.has('head_dim') ? 'head_dim' : 'num_attention_heads',
      `the head dimension must be even for RoPE, got ${headDim}`,
    );

  const familyDefault = familyDefaultEosTokenId(raw);
  const eosFrom: EosTokenIdSource | undefined = read.has('eos_token_id')
    ? { value: raw.eos_token_id, source, field: 'eos_token_id' }
    : (fallbacks.generationConfig ??
      (familyDefault === undefined
        ? undefined
        : {
            value: familyDefault,
            source: `${source} (the ${architectures[family]} default)`,
            field: 'eos_token_id',
          }) ??
      fallbacks.tokenizer);
  if (eosFrom === undefined) {
    const notFound = fallbacks.notFound ?? [];
    read.fail(
      'eos_token_id',
      `is required (the token that ends generation)${notFound.length === 0 ? '' : `, and no fallback names one: ${notFound.join('; ')}`}`,
    );
  }
  const eosTokenId = parseEosTokenId(eosFrom, vocabSize);

  const dtype = raw.torch_dtype ?? raw.dtype ?? 'float32';
  if (!torchDtypes.includes(dtype as TorchDtype)) {
    read.fail(
      raw.torch_dtype === undefined && raw.dtype !== undefined ? 'dtype' : 'torch_dtype',
      `must be one of ${torchDtypes.join(', ')}, got ${JSON.stringify(dtype)}`,
    );
  }

  // Llama and Qwen3 bias q/k/v and o_proj together (`attention_bias`); Qwen2 always biases q/k/v, never o_proj.
  const sharedAttentionBias = family !== 'qwen2' && read.boolean('attention_bias', false);
  return {
    family,
    vocabSize,
    hiddenSize,
    intermediateSize,
    numHiddenLayers,
    numAttentionHeads,
    numKeyValueHeads,
    headDim,
    ropeTheta: read.positiveNumber('rope_theta', 10000),
    rmsNormEps: read.positiveNumber('rms_norm_eps', 1e-6),
    tieWordEmbeddings: read.boolean('tie_word_embeddings', false),
    attentionBias: family === 'qwen2' ? true : sharedAttentionBias,
    attentionOutputBias: sharedAttentionBias,
    mlpBias: family === 'llama' && read.boolean('mlp_bias', false),
    maxPositionEmbeddings: read.integer('max_position_embeddings', {
      minimum: 1,
      fallback: family === 'llama' ? 2048 : 32768,
    }),
    bosTokenId: read.has('bos_token_id') ? read.tokenId('bos_token_id', vocabSize) : undefined,
    eosTokenId,
    padTokenId: read.has('pad_token_id') ? read.tokenId('pad_token_id', vocabSize) : undefined,
    torchDtype: dtype as TorchDtype,
    ropeScaling: parseRopeScaling(raw.rope_scaling, read),
  };
}

/** An `eos_token_id` value (one id or a non-empty list), checked against the vocabulary; errors name where it came from. */
function parseEosTokenId(from: EosTokenIdSource, vocabSize: number): number | number[] {
  const read = new ConfigReader({}, from.source);
  const { value, field } = from;
  if (!Array.isArray(value)) return read.tokenId(field, vocabSize, value);
  if (value.length === 0) read.fail(field, 'must not be an empty list');
  return value.map((id, index) => read.tokenId(`${field}.${index}`, vocabSize, id));
}

function parseRopeScaling(value: unknown, read: ConfigReader): RopeScaling | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value))
    read.fail('rope_scaling', `must be an object or null, got ${JSON.stringify(value)}`);
  const scaling = value as Json;
  const typeField = scaling.rope_type !== undefined ? 'rope_scaling.rope_type' : 'rope_scaling.type';
  const type = scaling.rope_type ?? scaling.type;
  if (typeof type !== 'string' || !supportedRopeTypes.includes(type)) {
    read.fail(
      typeField,
      `RoPE scaling type ${JSON.stringify(type)} is not supported (supported: ${supportedRopeTypes.join(', ')})`,
    );
  }
  if (type === 'default') return undefined;
  const number = (key: string, minimum: number) => {
    const item = scaling[key];
    if (typeof item !== 'number' || !Number.isFinite(item) || item < minimum)
      read.fail(`rope_scaling.${key}`, `must be a number ≥ ${minimum}, got ${JSON.stringify(item)}`);
    return item;
  };
  const factor = number('factor', 1);
  if (type === 'linear') return { type, factor };
  const lowFreqFactor = number('low_freq_factor', 0);
  const highFreqFactor = number('high_freq_factor', 0);
  if (highFreqFactor <= lowFreqFactor)
    read.fail('rope_scaling.high_freq_factor', `must exceed low_freq_factor (${lowFreqFactor}), got ${highFreqFactor}`);
  const original = scaling.original_max_position_embeddings;
  if (typeof original !== 'number' || !Number.isSafeInteger(original) || original < 1) {
    read.fail(
      'rope_scaling.original_max_position_embeddings',
      `must be a positive integer, got ${JSON.stringify(original)}`,
    );
  }
  return { type: 'llama3', factor, lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings: original };
}

/**
 * Checks a `DecoderConfig` built in code (presets, overrides) by the same rules as `config.json`,
 * plus what the family can express. Throws `InvalidConfigError` with the field's name.
 */
export function checkDecoderConfig(config: DecoderConfig): DecoderConfig {
  try {
    const parsed = parseDecoderConfig(toHuggingFaceConfig(config), 'DecoderConfig');
    if (parsed.attentionBias !== config.attentionBias || parsed.attentionOutputBias !== config.attentionOutputBias) {
      const expected =
        config.family === 'qwen2'
          ? 'Qwen2 has q/k/v biases and no o_proj bias'
          : `${config.family === 'llama' ? 'Llama' : 'Qwen3'} biases q/k/v and o_proj together (attention_bias)`;
      throw new InvalidConfigError('attentionBias', expected);
    }
    if (parsed.mlpBias !== config.mlpBias)
      throw new InvalidConfigError('mlpBias', `${config.family === 'qwen2' ? 'Qwen2' : 'Qwen3'} has no MLP biases`);
    return config;
  } catch (error) {
    if (error instanceof InvalidInputError)
      throw new InvalidConfigError(camelCase(error.field ?? ''), error.problem, { cause: error });
    throw error;
  }
}

const camelCase = (field: string) => field.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());

function ropeScalingJson(scaling: RopeScaling | undefined): Json | null {
  if (scaling === undefined) return null;
  if (scaling.type === 'linear') return { factor: scaling.factor, rope_type: 'linear' };
  return {
    factor: scaling.factor,
    high_freq_factor: scaling.highFreqFactor,
    low_freq_factor: scaling.lowFreqFactor,
    original_max_position_embeddings: scaling.originalMaxPositionEmbeddings,
    rope_type: 'llama3',
  };
}

/**
 * The Hugging Face `config.json` object of `config`, with the standard keys of its family in
 * `transformers`' sorted order, so that `transformers` and vLLM load the checkpoint.
 */
export function toHuggingFaceConfig(config: DecoderConfig): Json {
  const common: Json = {
    architectures: [architectures[config.family]],
    attention_dropout: 0,
    bos_token_id: config.bosTokenId ?? null,
    eos_token_id: config.eosTokenId,
    hidden_act: 'silu',
    hidden_size: config.hiddenSize,
    initializer_range: 0.02,
    intermediate_size: config.intermediateSize,
    max_position_embeddings: config.maxPositionEmbeddings,
    model_type: config.family,
    num_attention_heads: config.numAttentionHeads,
    num_hidden_layers: config.numHiddenLayers,
    num_key_value_heads: config.numKeyValueHeads,
    rms_norm_eps: config.rmsNormEps,
    rope_scaling: ropeScalingJson(config.ropeScaling),
    rope_theta: config.ropeTheta,
    tie_word_embeddings: config.tieWordEmbeddings,
    torch_dtype: config.torchDtype,
    transformers_version: writtenTransformersVersion,
    use_cache: true,
    vocab_size: config.vocabSize,
  };
  if (config.padTokenId !== undefined) common.pad_token_id = config.padTokenId;
  const defaultHeadDim = config.hiddenSize / config.numAttentionHeads;
  if (config.family === 'qwen2' || config.family === 'qwen3') {
    if (config.family === 'qwen3')
      Object.assign(common, {
        attention_bias: config.attentionBias || config.attentionOutputBias,
        head_dim: config.headDim,
      });
    else if (config.headDim !== defaultHeadDim) common.head_dim = config.headDim;
    Object.assign(common, {
      max_window_layers: config.numHiddenLayers,
      sliding_window: null,
      use_sliding_window: false,
    });
  } else {
    Object.assign(common, {
      attention_bias: config.attentionBias || config.attentionOutputBias,
      head_dim: config.headDim,
      mlp_bias: config.mlpBias,
      pretraining_tp: 1,
    });
  }
  return Object.fromEntries(
    Object.entries(common).sort(([first], [second]) => (first < second ? -1 : first > second ? 1 : 0)),
  );
}

/** The `generation_config.json` object that goes beside `config.json`. */
export function toHuggingFaceGenerationConfig(config: DecoderConfig): Json {
  const generation: Json = { bos_token_id: config.bosTokenId ?? null, eos_token_id: config.eosTokenId };
  if (config.padTokenId !== undefined) generation.pad_token_id = config.padTokenId;
  generation.transformers_version = writtenTransformersVersion;
  return generation;
}
