import { InvalidConfigError, InvalidInputError } from '@research-ts/spec';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildWordLevelTokenizer, writeTokenizerDirectory } from '@research-ts/tokenizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDecoderConfig, toHuggingFaceConfig, type DecoderConfig } from './decoder-config';
import { qwen2_5_0_5bConfig, qwen3_0_6bConfig, tinyConfig } from './decoder-config-presets';
import { readModelConfig, writeModelConfig } from './model-config-file';

const fixtures = join(import.meta.dirname, '..', '__fixtures__');
const qwenDirectory = join(fixtures, 'qwen2.5-0.5b');
const llamaDirectory = join(fixtures, 'llama-3.2-1b');
const qwen3Directory = join(fixtures, 'qwen3-0.6b');

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'policy-onnx-config-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

const llama32: DecoderConfig = {
  family: 'llama',
  vocabSize: 128256,
  hiddenSize: 2048,
  intermediateSize: 8192,
  numHiddenLayers: 16,
  numAttentionHeads: 32,
  numKeyValueHeads: 8,
  headDim: 64,
  ropeTheta: 500000,
  rmsNormEps: 1e-5,
  tieWordEmbeddings: true,
  attentionBias: false,
  attentionOutputBias: false,
  mlpBias: false,
  maxPositionEmbeddings: 131072,
  bosTokenId: 128000,
  eosTokenId: [128001, 128008, 128009],
  padTokenId: undefined,
  torchDtype: 'bfloat16',
  ropeScaling: { type: 'llama3', factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 },
};

describe('readModelConfig', () => {
  it("reads Qwen2.5-0.5B's published config.json into the preset", async () => {
    const config = await readModelConfig(qwenDirectory);
    expect(config).toEqual(qwen2_5_0_5bConfig());
    expect(config.headDim).toBe(64); // 896 / 14
    expect(config.attentionBias).toBe(true);
  });

  it('reads a Llama-3.2-1B config.json (list of EOS ids, llama3 RoPE scaling, explicit head_dim)', async () => {
    expect(await readModelConfig(join(llamaDirectory, 'config.json'))).toEqual(llama32);
  });

  it("reads Qwen3-0.6B's published config.json into the preset (head_dim 128 ≠ 1024 / 16, no biases, EOS <|im_end|>)", async () => {
    const config = await readModelConfig(qwen3Directory);
    expect(config).toEqual(qwen3_0_6bConfig());
    expect(config.headDim * config.numAttentionHeads).toBe(2048); // the q_proj is wider than hidden_size
  });

  it('Qwen3: head_dim is required, attention_bias biases q/k/v and o_proj, sliding windows are refused', async () => {
    const published = JSON.parse(await readFile(join(qwen3Directory, 'config.json'), 'utf8'));
    const { head_dim: _, ...withoutHeadDim } = published;
    expect(() => parseDecoderConfig(withoutHeadDim)).toThrow(
      'config.json, field "head_dim": is required for model_type "qwen3" (its heads are not hidden_size / num_attention_heads wide)',
    );
    expect(parseDecoderConfig({ ...published, attention_bias: true })).toMatchObject({
      attentionBias: true,
      attentionOutputBias: true,
      mlpBias: false,
    });
    expect(() => parseDecoderConfig({ ...published, use_sliding_window: true })).toThrow(
      'sliding-window attention is not supported',
    );
    expect(() => parseDecoderConfig({ ...published, architectures: ['Qwen2ForCausalLM'] })).toThrow(
      'must be ["Qwen3ForCausalLM"] for model_type "qwen3"',
    );
    expect(() => parseDecoderConfig({ ...published, model_type: 'qwen3_moe' })).toThrow(
      'must be "qwen2", "qwen3" or "llama" (the supported decoder families), got "qwen3_moe"',
    );
  });

  it('applies the transformers defaults to optional fields', () => {
    const minimal = {
      model_type: 'llama',
      vocab_size: 10,
      hidden_size: 8,
      intermediate_size: 16,
      num_hidden_layers: 1,
      num_attention_heads: 2,
      eos_token_id: 3,
    };
    expect(parseDecoderConfig(minimal)).toEqual({
      family: 'llama',
      vocabSize: 10,
      hiddenSize: 8,
      intermediateSize: 16,
      numHiddenLayers: 1,
      numAttentionHeads: 2,
      numKeyValueHeads: 2,
      headDim: 4,
      ropeTheta: 10000,
      rmsNormEps: 1e-6,
      tieWordEmbeddings: false,
      attentionBias: false,
      attentionOutputBias: false,
      mlpBias: false,
      maxPositionEmbeddings: 2048,
      bosTokenId: undefined,
      eosTokenId: 3,
      padTokenId: undefined,
      torchDtype: 'float32',
      ropeScaling: undefined,
    });
    expect(parseDecoderConfig({ ...minimal, model_type: 'qwen2' })).toMatchObject({
      attentionBias: true,
      attentionOutputBias: false,
      maxPositionEmbeddings: 32768,
    });
    expect(parseDecoderConfig({ ...minimal, attention_bias: true, mlp_bias: true })).toMatchObject({
      attentionBias: true,
      attentionOutputBias: true,
      mlpBias: true,
    });
    expect(parseDecoderConfig({ ...minimal, dtype: 'float16' }).torchDtype).toBe('float16');
    expect(parseDecoderConfig({ ...minimal, rope_scaling: { type: 'linear', factor: 2 } }).ropeScaling).toEqual({
      type: 'linear',
      factor: 2,
    });
    expect(parseDecoderConfig({ ...minimal, rope_scaling: { rope_type: 'default' } }).ropeScaling).toBeUndefined();
  });

  it('names config.json and the field for every bad value', async () => {
    const qwen = JSON.parse(await readFile(join(qwenDirectory, 'config.json'), 'utf8')) as Record<string, unknown>;
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [
        { model_type: 'gemma' },
        'model_type',
        'must be "qwen2", "qwen3" or "llama" (the supported decoder families), got "gemma"',
      ],
      [
        { model_type: undefined },
        'model_type',
        'must be "qwen2", "qwen3" or "llama" (the supported decoder families), got undefined',
      ],
      [
        { architectures: ['LlamaForCausalLM'] },
        'architectures',
        'must be ["Qwen2ForCausalLM"] for model_type "qwen2", got ["LlamaForCausalLM"]',
      ],
      [{ architectures: ['Qwen2ForSequenceClassification'] }, 'architectures', 'must be ["Qwen2ForCausalLM"]'],
      [{ num_key_value_heads: 3 }, 'num_key_value_heads', 'must divide num_attention_heads (14), got 3'],
      [{ num_key_value_heads: 0 }, 'num_key_value_heads', 'must be an integer ≥ 1, got 0'],
      [
        { num_attention_heads: 6 },
        'num_attention_heads',
        'must divide hidden_size (896) when head_dim is not given, got 6',
      ],
      [
        { num_attention_heads: 128, num_key_value_heads: 2 },
        'num_attention_heads',
        'the head dimension must be even for RoPE, got 7',
      ],
      [{ head_dim: 63 }, 'head_dim', 'the head dimension must be even for RoPE, got 63'],
      [{ hidden_size: '896' }, 'hidden_size', 'must be an integer ≥ 1, got "896"'],
      [{ hidden_size: 896.5 }, 'hidden_size', 'must be an integer ≥ 1, got 896.5'],
      [{ vocab_size: undefined }, 'vocab_size', 'is required'],
      [{ intermediate_size: -1 }, 'intermediate_size', 'must be an integer ≥ 1, got -1'],
      [{ num_hidden_layers: null }, 'num_hidden_layers', 'is required'],
      [{ rope_theta: 0 }, 'rope_theta', 'must be a positive number, got 0'],
      [{ rms_norm_eps: -1e-6 }, 'rms_norm_eps', 'must be a positive number, got -0.000001'],
      [{ tie_word_embeddings: 'yes' }, 'tie_word_embeddings', 'must be true or false, got "yes"'],
      [{ max_position_embeddings: 0 }, 'max_position_embeddings', 'must be an integer ≥ 1, got 0'],
      [{ eos_token_id: 151936 }, 'eos_token_id', 'must be a token id in [0, 151936) (vocab_size), got 151936'],
      [{ eos_token_id: [1, -2] }, 'eos_token_id.1', 'must be a token id in [0, 151936) (vocab_size), got -2'],
      [{ eos_token_id: [] }, 'eos_token_id', 'must not be an empty list'],
      [
        { eos_token_id: undefined },
        'eos_token_id',
        `is required (the token that ends generation), and no fallback names one: ${join(scratch, 'generation_config.json')} does not exist; ${join(scratch, 'tokenizer.json')} (the tokenizer) does not exist`,
      ],
      [{ bos_token_id: 'a' }, 'bos_token_id', 'must be a token id in [0, 151936) (vocab_size), got "a"'],
      [{ torch_dtype: 'int8' }, 'torch_dtype', 'must be one of float32, bfloat16, float16, got "int8"'],
      [{ hidden_act: 'gelu' }, 'hidden_act', 'must be "silu" (SwiGLU), got "gelu"'],
      [{ use_sliding_window: true }, 'use_sliding_window', 'sliding-window attention is not supported'],
      [{ use_mrope: true }, 'use_mrope', 'multimodal RoPE is not supported'],
      [
        { quantization_config: { quant_method: 'gptq' } },
        'quantization_config',
        'quantized checkpoints are not supported',
      ],
      [
        { rope_scaling: { type: 'yarn', factor: 4, original_max_position_embeddings: 32768 } },
        'rope_scaling.type',
        'RoPE scaling type "yarn" is not supported (supported: default, linear, llama3)',
      ],
      [
        { rope_scaling: { rope_type: 'dynamic', factor: 2 } },
        'rope_scaling.rope_type',
        'RoPE scaling type "dynamic" is not supported',
      ],
      [{ rope_scaling: { rope_type: 'linear', factor: 0.5 } }, 'rope_scaling.factor', 'must be a number ≥ 1, got 0.5'],
      [
        {
          rope_scaling: {
            rope_type: 'llama3',
            factor: 8,
            low_freq_factor: 4,
            high_freq_factor: 1,
            original_max_position_embeddings: 8192,
          },
        },
        'rope_scaling.high_freq_factor',
        'must exceed low_freq_factor (4), got 1',
      ],
      [
        { rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4 } },
        'rope_scaling.original_max_position_embeddings',
        'must be a positive integer, got undefined',
      ],
      [{ rope_scaling: 'linear' }, 'rope_scaling', 'must be an object or null, got "linear"'],
    ];
    for (const [change, field, problem] of cases) {
      const path = join(scratch, 'config.json');
      await writeFile(path, JSON.stringify({ ...qwen, ...change }));
      const error = await readModelConfig(scratch).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error, JSON.stringify(change)).toBeInstanceOf(InvalidInputError);
      const { message } = error as InvalidInputError;
      expect(message, JSON.stringify(change)).toContain(`${path}, field "${field}": ${problem}`);
    }
    // The same from an already-parsed object, whose source is plain `config.json`.
    expect(() => parseDecoderConfig({ ...qwen, num_key_value_heads: 4 })).toThrow(
      'config.json, field "num_key_value_heads": must divide num_attention_heads (14), got 4',
    );
    await expect(readModelConfig({ ...qwen, num_key_value_heads: 4 })).rejects.toThrow(
      'config.json, field "num_key_value_heads"',
    );
  });

  it('rejects a file that is missing, not JSON, or not an object', async () => {
    const missing = join(scratch, 'nowhere');
    await expect(readModelConfig(missing)).rejects.toThrow(`${missing}: cannot read: ENOENT`);
    const broken = join(scratch, 'broken.json');
    await writeFile(broken, '{"model_type": "qwen2",');
    await expect(readModelConfig(broken)).rejects.toThrow(`${broken}: not valid JSON`);
    await writeFile(broken, '[1]');
    await expect(readModelConfig(broken)).rejects.toThrow(`${broken}: must be a JSON object`);
  });
});

describe('readModelConfig: a config.json without eos_token_id, as transformers reads it', () => {
  /** A model directory holding the given files (objects are written as JSON). */
  async function directoryWith(name: string, files: Record<string, unknown>): Promise<string> {
    const directory = join(scratch, name);
    await mkdir(directory);
    for (const [file, contents] of Object.entries(files))
      await writeFile(join(directory, file), JSON.stringify(contents));
    return directory;
  }
  const withoutEos = async (fixture: string) => {
    const { eos_token_id: _, ...config } = JSON.parse(await readFile(join(fixture, 'config.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    return config;
  };

  it('takes generation_config.json’s eos_token_id (what generate() stops on)', async () => {
    const qwen = await directoryWith('eos-from-generation-config', {
      'config.json': await withoutEos(qwenDirectory),
      'generation_config.json': { bos_token_id: 151643, eos_token_id: [151645, 151643] },
    });
    expect((await readModelConfig(qwen)).eosTokenId).toEqual([151645, 151643]);
    // it comes before LlamaConfig's default
    const llama = await directoryWith('llama-eos-from-generation-config', {
      'config.json': await withoutEos(llamaDirectory),
      'generation_config.json': { eos_token_id: 128009 },
    });
    expect((await readModelConfig(llama)).eosTokenId).toBe(128009);
  });

  it('takes LlamaConfig’s default (2) for Llama, and nothing for Qwen2 (Qwen2Config has no default)', async () => {
    const llama = await directoryWith('llama-eos-default', { 'config.json': await withoutEos(llamaDirectory) });
    expect((await readModelConfig(llama)).eosTokenId).toBe(2);
    expect(parseDecoderConfig(await withoutEos(llamaDirectory)).eosTokenId).toBe(2);
    const qwen = await withoutEos(qwenDirectory);
    expect(() => parseDecoderConfig(qwen)).toThrow(
      'config.json, field "eos_token_id": is required (the token that ends generation)',
    );
  });

  it('takes the tokenizer’s eos_token when no config file names one', async () => {
    const directory = await directoryWith('eos-from-tokenizer', {
      'config.json': await withoutEos(qwenDirectory),
      'generation_config.json': { bos_token_id: 151643 },
    });
    const tokenizerJson = buildWordLevelTokenizer(['who wrote the book ?'], { tagTokens: true });
    await writeTokenizerDirectory(directory, { tokenizerJson, eosToken: '<|im_end|>', padToken: null });
    const imEnd = tokenizerJson.added_tokens.find((token) => token.content === '<|im_end|>')!.id;
    const endOfText = tokenizerJson.added_tokens.find((token) => token.content === '<|endoftext|>')?.id;
    expect((await readModelConfig(directory)).eosTokenId).toEqual(endOfText === undefined ? imEnd : [imEnd, endOfText]);
  });

  it('names the file and field of a fallback with a bad value, and keeps config.json’s own value first', async () => {
    const bad = await directoryWith('bad-generation-eos', {
      'config.json': await withoutEos(qwenDirectory),
      'generation_config.json': { eos_token_id: 151936 },
    });
    await expect(readModelConfig(bad)).rejects.toThrow(
      `${join(bad, 'generation_config.json')}, field "eos_token_id": must be a token id in [0, 151936) (vocab_size), got 151936`,
    );
    const own = await directoryWith('own-eos', {
      'config.json': { ...(await withoutEos(qwenDirectory)), eos_token_id: 151643 },
      'generation_config.json': { eos_token_id: 151936 },
    });
    expect((await readModelConfig(own)).eosTokenId).toBe(151643);
  });
});

describe('writeModelConfig', () => {
  it('writes the Qwen2.5-0.5B config with the keys transformers writes, and reads it back equal', async () => {
    const directory = await mkdtemp(join(scratch, 'qwen-'));
    await writeModelConfig(directory, qwen2_5_0_5bConfig());
    const written = JSON.parse(await readFile(join(directory, 'config.json'), 'utf8'));
    const published = JSON.parse(await readFile(join(qwenDirectory, 'config.json'), 'utf8'));
    // Every published key but the version and the (unused) sliding-window/mrope settings is written with its value.
    for (const key of Object.keys(published)) {
      if (['transformers_version', 'sliding_window', 'use_mrope'].includes(key)) continue;
      expect(written[key], key).toEqual(published[key]);
    }
    expect(Object.keys(written)).toEqual([...Object.keys(written)].sort());
    expect(written.transformers_version).toMatch(/^4\.\d+\.\d+$/);
    expect(await readModelConfig(directory)).toEqual(qwen2_5_0_5bConfig());
    expect(JSON.parse(await readFile(join(directory, 'generation_config.json'), 'utf8'))).toEqual({
      bos_token_id: 151643,
      eos_token_id: 151643,
      transformers_version: written.transformers_version,
    });
  });

  it('round-trips Llama (rope scaling, EOS list, biases) and tiny configs', async () => {
    const configs = [
      llama32,
      {
        ...llama32,
        attentionBias: true,
        attentionOutputBias: true,
        mlpBias: true,
        ropeScaling: { type: 'linear' as const, factor: 4 },
        padTokenId: 0,
      },
      tinyConfig(),
      tinyConfig({ family: 'llama', tieWordEmbeddings: false, headDim: 16 }),
      tinyConfig({ headDim: 4 }),
      qwen3_0_6bConfig(),
      tinyConfig({ family: 'qwen3', headDim: 12, attentionBias: true, attentionOutputBias: true }),
    ];
    for (const config of configs) {
      const directory = await mkdtemp(join(scratch, 'round-'));
      await writeModelConfig(directory, config);
      expect(await readModelConfig(directory)).toEqual(config);
    }
    const llamaJson = toHuggingFaceConfig(llama32);
    expect(llamaJson.rope_scaling).toEqual({
      factor: 32,
      high_freq_factor: 4,
      low_freq_factor: 1,
      original_max_position_embeddings: 8192,
      rope_type: 'llama3',
    });
    expect(llamaJson).toMatchObject({
      architectures: ['LlamaForCausalLM'],
      attention_bias: false,
      mlp_bias: false,
      head_dim: 64,
      model_type: 'llama',
    });
    expect(toHuggingFaceConfig(tinyConfig())).not.toHaveProperty('head_dim');
    const qwen3Json = toHuggingFaceConfig(qwen3_0_6bConfig());
    const qwen3Published = JSON.parse(await readFile(join(qwen3Directory, 'config.json'), 'utf8'));
    for (const key of Object.keys(qwen3Published))
      if (key !== 'transformers_version') expect(qwen3Json[key], key).toEqual(qwen3Published[key]);
    expect(toHuggingFaceConfig(tinyConfig({ headDim: 4 }))).toHaveProperty('head_dim', 4);
  });
});

describe('presets', () => {
  it('tinyConfig: small Qwen2 by default, overrides checked', () => {
    expect(tinyConfig()).toMatchObject({
      family: 'qwen2',
      vocabSize: 128,
      hiddenSize: 32,
      headDim: 8,
      attentionBias: true,
      tieWordEmbeddings: true,
    });
    expect(tinyConfig({ family: 'llama' })).toMatchObject({ attentionBias: false, attentionOutputBias: false });
    expect(tinyConfig({ hiddenSize: 64, numAttentionHeads: 8 }).headDim).toBe(8);
    const invalid = (overrides: Partial<DecoderConfig>) => {
      try {
        tinyConfig(overrides);
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidConfigError);
        return (error as Error).message;
      }
      return 'no error';
    };
    expect(invalid({ numKeyValueHeads: 3 })).toBe(
      'config field "numKeyValueHeads": must divide num_attention_heads (4), got 3',
    );
    expect(invalid({ eosTokenId: 500 })).toBe(
      'config field "eosTokenId": must be a token id in [0, 128) (vocab_size), got 500',
    );
    expect(invalid({ attentionBias: false })).toBe(
      'config field "attentionBias": Qwen2 has q/k/v biases and no o_proj bias',
    );
    expect(invalid({ family: 'llama', attentionBias: true })).toBe(
      'config field "attentionBias": Llama biases q/k/v and o_proj together (attention_bias)',
    );
    expect(invalid({ mlpBias: true })).toBe('config field "mlpBias": Qwen2 has no MLP biases');
    expect(tinyConfig({ family: 'qwen3' })).toMatchObject({ attentionBias: false, attentionOutputBias: false });
    expect(invalid({ family: 'qwen3', attentionBias: true })).toBe(
      'config field "attentionBias": Qwen3 biases q/k/v and o_proj together (attention_bias)',
    );
    expect(invalid({ family: 'qwen3', mlpBias: true })).toBe('config field "mlpBias": Qwen3 has no MLP biases');
  });
});
