import { InvalidInputError } from '@research-ts/spec';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { float32ToBfloat16, bfloat16ToFloat32 } from './bfloat16';
import { tinyConfig } from './decoder-config-presets';
import { decoderParameterShapes } from './decoder-parameter-shapes';
import { float16ToFloat32, float32ToFloat16 } from './float16';
import { writeModelConfig } from './model-config-file';
import { loadModelDirectory, saveModelDirectory } from './model-directory';
import { createRandomModel } from './random-model';
import { readSafetensors } from '../safetensors/read-safetensors';
import { writeSafetensors, type TensorToWrite } from '../safetensors/write-safetensors';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'policy-onnx-model-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const config = tinyConfig();
const model = createRandomModel(config, { seed: 5 });

async function loadError(directory: string, options = {}): Promise<string> {
  const error = await loadModelDirectory(directory, options).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(InvalidInputError);
  return (error as Error).message;
}

/** A model directory with the tiny config and the given tensors (default: the model's, as F32). */
async function handMade(
  name: string,
  edit: (tensors: Map<string, TensorToWrite>) => void,
  configOverride = config,
): Promise<string> {
  const directory = join(root, name);
  await mkdir(directory);
  await writeModelConfig(directory, configOverride);
  const tensors = new Map<string, TensorToWrite>(
    decoderParameterShapes(config).map(({ name: key, shape }) => [
      key,
      { dtype: 'F32', shape, data: model.parameters.get(key)! },
    ]),
  );
  edit(tensors);
  await writeSafetensors(join(directory, 'model.safetensors'), tensors);
  return directory;
}

describe('saveModelDirectory / loadModelDirectory', () => {
  it('round-trips a random tiny Qwen2 model exactly in float32, with tokenizer files', async () => {
    const directory = join(root, 'saved-f32');
    await saveModelDirectory(directory, model, {
      tokenizerFiles: { 'tokenizer.json': '{"version":"1.0"}', 'tokenizer_config.json': '{}' },
    });
    expect((await readdir(directory)).sort()).toEqual([
      'config.json',
      'generation_config.json',
      'model.safetensors',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    expect((await readdir(root)).filter((name) => name.startsWith('.'))).toEqual([]); // no staging folder left
    const loaded = await loadModelDirectory(directory);
    expect(loaded.config).toEqual(config);
    expect(loaded.tokenizerDirectory).toBe(directory);
    expect([...loaded.parameters.keys()]).toEqual([...model.parameters.keys()]);
    for (const [name, values] of model.parameters)
      expect(Buffer.from(loaded.parameters.get(name)!.buffer).equals(Buffer.from(values.buffer)), name).toBe(true);
    const stored = await readSafetensors(join(directory, 'model.safetensors'));
    expect(stored.tensors.get('model.layers.1.mlp.down_proj.weight')).toMatchObject({ dtype: 'F32', shape: [32, 64] });
    expect(stored.tensors.has('lm_head.weight')).toBe(false); // tied
    expect(stored.metadata).toEqual({ format: 'pt' });
  });

  it('stores bfloat16 / float16 (rounded to nearest even) and says so in config.json', async () => {
    for (const [dtype, stored, narrow, widen] of [
      ['bfloat16', 'BF16', float32ToBfloat16, bfloat16ToFloat32],
      ['float16', 'F16', float32ToFloat16, float16ToFloat32],
    ] as const) {
      const directory = join(root, `saved-${dtype}`);
      await saveModelDirectory(directory, model, { dtype });
      expect(JSON.parse(await readFile(join(directory, 'config.json'), 'utf8')).torch_dtype).toBe(dtype);
      const file = await readSafetensors(join(directory, 'model.safetensors'));
      expect(file.tensors.get('model.norm.weight')!.dtype).toBe(stored);
      const loaded = await loadModelDirectory(directory);
      expect(loaded.config).toEqual({ ...config, torchDtype: dtype });
      expect(loaded.tokenizerDirectory).toBeUndefined();
      for (const [name, values] of model.parameters)
        expect(loaded.parameters.get(name), name).toEqual(widen(narrow(values)));
    }
  });

  it('shards above maxShardBytes and loads the shards back', async () => {
    const directory = join(root, 'saved-sharded');
    await saveModelDirectory(directory, model, { maxShardBytes: 20_000 });
    const files = await readdir(directory);
    expect(files).toContain('model.safetensors.index.json');
    expect(files.filter((name) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(name)).length).toBeGreaterThan(2);
    const loaded = await loadModelDirectory(directory);
    for (const [name, values] of model.parameters) expect(loaded.parameters.get(name), name).toEqual(values);
  });

  it('round-trips a Llama-family model (untied lm_head, no biases, EOS list, llama3 RoPE) through shards in float16', async () => {
    const llamaConfig = tinyConfig({
      family: 'llama',
      tieWordEmbeddings: false,
      eosTokenId: [2, 3],
      ropeScaling: {
        type: 'llama3',
        factor: 8,
        lowFreqFactor: 1,
        highFreqFactor: 4,
        originalMaxPositionEmbeddings: 64,
      },
    });
    const llama = createRandomModel(llamaConfig, { seed: 8 });
    expect(llama.parameters.has('lm_head.weight')).toBe(true);
    const directory = join(root, 'saved-llama');
    await saveModelDirectory(directory, llama, { dtype: 'float16', maxShardBytes: 10_000 });
    const configJson = JSON.parse(await readFile(join(directory, 'config.json'), 'utf8'));
    expect(configJson).toMatchObject({
      architectures: ['LlamaForCausalLM'],
      model_type: 'llama',
      torch_dtype: 'float16',
      tie_word_embeddings: false,
      eos_token_id: [2, 3],
    });
    expect(JSON.parse(await readFile(join(directory, 'generation_config.json'), 'utf8'))).toMatchObject({
      bos_token_id: 1,
      eos_token_id: [2, 3],
    });
    const loaded = await loadModelDirectory(directory);
    expect(loaded.config).toEqual({ ...llamaConfig, torchDtype: 'float16' });
    for (const [name, values] of llama.parameters)
      expect(loaded.parameters.get(name), name).toEqual(float16ToFloat32(float32ToFloat16(values)));
  });

  it('round-trips a Qwen3-family model (q/k norms, head_dim ≠ hidden / heads, attention_bias) in bfloat16', async () => {
    const qwen3Config = tinyConfig({ family: 'qwen3', headDim: 12, attentionBias: true, attentionOutputBias: true });
    const qwen3 = createRandomModel(qwen3Config, { seed: 9 });
    const directory = join(root, 'saved-qwen3');
    await saveModelDirectory(directory, qwen3, { dtype: 'bfloat16' });
    expect(JSON.parse(await readFile(join(directory, 'config.json'), 'utf8'))).toMatchObject({
      architectures: ['Qwen3ForCausalLM'],
      model_type: 'qwen3',
      head_dim: 12,
      attention_bias: true,
      use_sliding_window: false,
    });
    const stored = await readSafetensors(join(directory, 'model.safetensors'));
    expect(stored.tensors.get('model.layers.1.self_attn.k_norm.weight')).toMatchObject({ dtype: 'BF16', shape: [12] });
    expect(stored.tensors.get('model.layers.0.self_attn.o_proj.bias')).toMatchObject({ shape: [32] });
    const loaded = await loadModelDirectory(directory);
    expect(loaded.config).toEqual({ ...qwen3Config, torchDtype: 'bfloat16' });
    for (const [name, values] of qwen3.parameters)
      expect(loaded.parameters.get(name), name).toEqual(bfloat16ToFloat32(float32ToBfloat16(values)));
    const withoutNorm = new Map(qwen3.parameters);
    withoutNorm.delete('model.layers.0.self_attn.q_norm.weight');
    await expect(
      saveModelDirectory(join(root, 'saved-qwen3-missing'), { config: qwen3Config, parameters: withoutNorm }),
    ).rejects.toThrow('model.layers.0.self_attn.q_norm.weight');
  });

  it('refuses to replace a non-empty directory unless overwrite, then replaces it whole', async () => {
    const directory = join(root, 'replaced');
    await saveModelDirectory(directory, model, { tokenizerFiles: { 'tokenizer.json': '{}' } });
    await expect(saveModelDirectory(directory, model)).rejects.toThrow(
      `${directory}: already exists and is not empty (pass { overwrite: true } to replace it)`,
    );
    const other = createRandomModel(config, { seed: 6 });
    await saveModelDirectory(directory, other, { overwrite: true, copyTokenizerFrom: join(root, 'saved-f32') });
    expect((await readdir(directory)).sort()).toEqual([
      'config.json',
      'generation_config.json',
      'model.safetensors',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    expect(await readFile(join(directory, 'tokenizer.json'), 'utf8')).toBe('{"version":"1.0"}');
    expect((await loadModelDirectory(directory)).parameters.get('model.embed_tokens.weight')).toEqual(
      other.parameters.get('model.embed_tokens.weight'),
    );
    expect((await readdir(root)).filter((name) => name.startsWith('.'))).toEqual([]);
    const empty = join(root, 'empty-target');
    await mkdir(empty);
    await saveModelDirectory(empty, model);
    expect((await readdir(empty)).length).toBe(3);
  });

  it('leaves nothing behind when a save fails midway, and checks the parameters first', async () => {
    const source = join(root, 'bad-tokenizer-source');
    await mkdir(join(source, 'tokenizer.json'), { recursive: true }); // a folder where a file should be: copying fails
    const directory = join(root, 'never-written');
    await expect(saveModelDirectory(directory, model, { copyTokenizerFrom: source })).rejects.toThrow();
    expect((await readdir(root)).filter((name) => name.startsWith('.') || name === 'never-written')).toEqual([]);

    const missing = new Map(model.parameters);
    missing.delete('model.layers.1.self_attn.k_proj.bias');
    await expect(saveModelDirectory(directory, { config, parameters: missing })).rejects.toThrow(
      'model.parameters, field "model.layers.1.self_attn.k_proj.bias": missing parameter (shape [16])',
    );
    const wrong = new Map(model.parameters).set('model.norm.weight', new Float32Array(31));
    await expect(saveModelDirectory(directory, { config, parameters: wrong })).rejects.toThrow(
      'field "model.norm.weight": has 31 values but shape [32] needs 32',
    );
    const extra = new Map(model.parameters).set('lm_head.weight', new Float32Array(128 * 32));
    await expect(saveModelDirectory(directory, { config, parameters: extra })).rejects.toThrow(
      'field "lm_head.weight": not a parameter of this config',
    );
    await expect(saveModelDirectory(directory, model, { tokenizerFiles: { '../escape.json': '{}' } })).rejects.toThrow(
      'tokenizerFiles, field "../escape.json": must be a plain file name',
    );
  });
});

describe('loadModelDirectory checks the checkpoint against config.json', () => {
  it('accepts a hand-written checkpoint in the HF layout', async () => {
    const directory = await handMade('hand-ok', () => {});
    const loaded = await loadModelDirectory(directory);
    expect(loaded.parameters.get('model.layers.0.mlp.up_proj.weight')).toEqual(
      model.parameters.get('model.layers.0.mlp.up_proj.weight'),
    );
  });

  it('loads a checkpoint whose config.json has no eos_token_id, taking it from generation_config.json as transformers does', async () => {
    const directory = await handMade('no-eos-in-config', () => {}, { ...config, eosTokenId: 7 });
    const { eos_token_id: _, ...withoutEos } = JSON.parse(
      await readFile(join(directory, 'config.json'), 'utf8'),
    ) as Record<string, unknown>;
    await writeFile(join(directory, 'config.json'), JSON.stringify(withoutEos));
    const loaded = await loadModelDirectory(directory);
    expect(loaded.config).toEqual({ ...config, eosTokenId: 7 });
  });

  it('names the file and the tensor that is missing, misshapen, unexpected or not floating point', async () => {
    const missing = await handMade('hand-missing', (tensors) =>
      tensors.delete('model.layers.1.post_attention_layernorm.weight'),
    );
    expect(await loadError(missing)).toBe(
      `${join(missing, 'model.safetensors')}, field "model.layers.1.post_attention_layernorm.weight": missing: config.json calls for this [32] tensor`,
    );

    const misshapen = await handMade('hand-shape', (tensors) => {
      const tensor = tensors.get('model.layers.0.self_attn.k_proj.weight')!;
      tensors.set('model.layers.0.self_attn.k_proj.weight', { ...tensor, shape: [32, 16] });
    });
    expect(await loadError(misshapen)).toBe(
      `${join(misshapen, 'model.safetensors')}, field "model.layers.0.self_attn.k_proj.weight": has shape [32, 16] but config.json calls for [16, 32]`,
    );

    const extra = await handMade('hand-extra', (tensors) =>
      tensors.set('model.layers.0.self_attn.q_norm.weight', { dtype: 'F32', shape: [8], data: new Float32Array(8) }),
    );
    expect(await loadError(extra)).toBe(
      `${join(extra, 'model.safetensors')}, field "model.layers.0.self_attn.q_norm.weight": unexpected tensor: a qwen2 decoder with this config.json has no such parameter (pass { strict: false } to ignore extra tensors)`,
    );
    const lenient = await loadModelDirectory(extra, { strict: false });
    expect(lenient.parameters.has('model.layers.0.self_attn.q_norm.weight')).toBe(false);

    const integer = await handMade('hand-integer', (tensors) =>
      tensors.set('model.norm.weight', { dtype: 'I32', shape: [32], data: new Int32Array(32) }),
    );
    expect(await loadError(integer)).toBe(
      `${join(integer, 'model.safetensors')}, field "model.norm.weight": dtype I32 is not a floating-point type (expected F32, F16, BF16 or F64)`,
    );

    const untied = await handMade('hand-untied', () => {}, { ...config, tieWordEmbeddings: false });
    expect(await loadError(untied)).toBe(
      `${join(untied, 'model.safetensors')}, field "lm_head.weight": missing: config.json calls for this [128, 32] tensor`,
    );
  });

  it('tolerates a stored tied lm_head and cached RoPE frequencies', async () => {
    const directory = await handMade('hand-tolerated', (tensors) => {
      tensors.set('lm_head.weight', {
        dtype: 'F32',
        shape: [128, 32],
        data: model.parameters.get('model.embed_tokens.weight')!,
      });
      tensors.set('model.layers.0.self_attn.rotary_emb.inv_freq', {
        dtype: 'F32',
        shape: [4],
        data: new Float32Array(4),
      });
    });
    const loaded = await loadModelDirectory(directory);
    expect(loaded.parameters.has('lm_head.weight')).toBe(false);
    expect(loaded.parameters.size).toBe(model.parameters.size);
  });

  it('reports a bad config.json before touching the weights', async () => {
    const directory = join(root, 'bad-config');
    await mkdir(directory);
    await writeFile(join(directory, 'config.json'), JSON.stringify({ model_type: 'gpt2' }));
    expect(await loadError(directory)).toBe(
      `${join(directory, 'config.json')}, field "model_type": must be "qwen2", "qwen3" or "llama" (the supported decoder families), got "gpt2"`,
    );
  });
});
