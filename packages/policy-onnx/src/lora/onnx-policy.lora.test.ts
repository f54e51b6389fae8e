import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectClose } from '@research-ts/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { tinyPromptTexts, tinyWordModel, tinyWordTokenizer } from '../__fixtures__/tiny-word-model';
import { tokenBatchOf } from '../__fixtures__/token-batch-of';
import { loadModelDirectory } from '../model/model-directory';
import { createOnnxPolicy } from '../onnx-policy';
import { loadLoraAdapter } from './lora-adapter-directory';
import { mergeLoraAdapter } from './merge-lora-adapter';
import { loraParameterShapes } from './lora-settings';

const root = mkdtempSync(join(tmpdir(), 'policy-onnx-lora-'));
const tokenizer = tinyWordTokenizer();
const model = tinyWordModel(tokenizer);
const baseCopies = new Map([...model.parameters].map(([name, values]) => [name, values.slice()]));
const lora = {
  rank: 4,
  alpha: 8,
  targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const,
  rsLora: true,
  seed: 5,
};
const policy = await createOnnxPolicy({ model, tokenizer, threads: 1, lora: { ...lora, targets: [...lora.targets] } });
const basePolicy = await createOnnxPolicy({ model, tokenizer, threads: 1 });
afterAll(async () => {
  await policy.release();
  await basePolicy.release();
  rmSync(root, { recursive: true, force: true });
});
const rows = [tinyPromptTexts[0]!, tinyPromptTexts[2]!].map((text) =>
  tokenizer.encode(text, { addSpecialTokens: false }),
);
const batch = tokenBatchOf(rows);
const outputs = batch.batch * (batch.length - 1);
const update = {
  learningRate: 0.05,
  betas: [0.9, 0.999] as [number, number],
  eps: 1e-8,
  weightDecay: 0.01,
  maxGradNorm: 1,
};

describe('createOnnxPolicy({ lora }): training the adapters of a frozen base', () => {
  it('starts equal to the base (B = 0); parameterSizes lists only the adapters; A is PEFT’s kaiming-uniform', async () => {
    expect(policy.lora).toEqual({ rank: 4, alpha: 8, targets: [...lora.targets], rsLora: true });
    const expected = loraParameterShapes(model.config, policy.lora!);
    expect([...policy.parameterSizes.keys()]).toEqual(expected.map(({ name }) => name));
    const adapters = await policy.readParameters();
    for (const { name, shape } of expected) {
      const values = adapters.get(name)!;
      if (name.includes('lora_B')) expect(values.every((value) => value === 0)).toBe(true);
      else expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(shape[1]!));
    }
    const [adapted, plain] = [await policy.scoreTokens(batch), await basePolicy.scoreTokens(batch)];
    expect(Array.from(adapted.logprobs)).toEqual(Array.from(plain.logprobs));
  });

  it('two AdamW steps change every adapter and leave every base weight bit-identical; generation sees the update', async () => {
    const upstream = {
      gradLogprobs: new Float32Array(outputs).fill(-1 / outputs),
      gradEntropies: new Float32Array(outputs),
    };
    const before = await policy.readParameters();
    for (let step = 0; step < 2; step++) {
      await policy.accumulateGradients(batch, upstream);
      expect((await policy.applyUpdate(update)).applied).toBe(true);
    }
    const after = await policy.readParameters();
    for (const [name, values] of before) expect(Array.from(after.get(name)!), name).not.toEqual(Array.from(values));
    for (const [name, values] of baseCopies) expect(model.parameters.get(name), name).toEqual(values);
    expect(Object.keys(await policy.readOptimizerState()).sort()).toEqual([...before.keys()].sort());
    const adapted = await policy.scoreTokens(batch);
    const plain = await basePolicy.scoreTokens(batch);
    expect(Array.from(adapted.logprobs)).not.toEqual(Array.from(plain.logprobs));
    const [generated] = await policy.generate([
      { inputIds: rows[0]!, maxNewTokens: 4, sampling: { temperature: 0 }, logprobs: true },
    ]);
    const ids = [...rows[0]!, ...generated!.outputIds];
    const scored = await policy.scoreTokens(tokenBatchOf([ids]));
    expectClose(generated!.logprobs!, scored.logprobs.slice(rows[0]!.length - 1), {
      atol: 1e-4,
      label: 'generation vs training logprobs',
    });
  });

  it('saveAdapter → createOnnxPolicy({ lora: { adapterDirectory } }) gives identical logprobs; the files are PEFT’s', async () => {
    const directory = await policy.saveAdapter(join(root, 'adapter'));
    const config = JSON.parse(readFileSync(join(directory, 'adapter_config.json'), 'utf8'));
    expect(config).toMatchObject({
      peft_type: 'LORA',
      task_type: 'CAUSAL_LM',
      r: 4,
      lora_alpha: 8,
      use_rslora: true,
      bias: 'none',
      fan_in_fan_out: false,
      target_modules: [...lora.targets],
    });
    const loaded = await loadLoraAdapter(directory, model.config);
    expect([...loaded.parameters.keys()]).toEqual([...policy.parameterSizes.keys()]);
    const reloaded = await createOnnxPolicy({ model, tokenizer, threads: 1, lora: { adapterDirectory: directory } });
    try {
      expect(Array.from((await reloaded.scoreTokens(batch)).logprobs)).toEqual(
        Array.from((await policy.scoreTokens(batch)).logprobs),
      );
    } finally {
      await reloaded.release();
    }
  });

  it('save() exports the merged model (W + scale·B·A): as a plain policy it gives the adapted logprobs (1e-5); mergeLoraAdapter agrees', async () => {
    const directory = await policy.save(join(root, 'merged'));
    const merged = await createOnnxPolicy({ modelDirectory: directory, tokenizer, threads: 1 });
    try {
      const expected = await policy.scoreTokens(batch);
      expectClose((await merged.scoreTokens(batch)).logprobs, expected.logprobs, {
        atol: 1e-5,
        label: 'merged logprobs',
      });
      const inMemory = mergeLoraAdapter(model, { settings: policy.lora!, parameters: await policy.readParameters() });
      const written = await loadModelDirectory(directory);
      for (const [name, values] of inMemory.parameters) expect(written.parameters.get(name), name).toEqual(values);
    } finally {
      await merged.release();
    }
  });
});

describe('LoRA options and PEFT files: checked, errors name the field', () => {
  const create = (loraOption: unknown) => createOnnxPolicy({ model, tokenizer, lora: loraOption as never });
  it.each([
    [{ rank: 0, alpha: 1, targets: ['q_proj'] }, 'rank'],
    [{ rank: 2, alpha: -1, targets: ['q_proj'] }, 'alpha'],
    [{ rank: 2, alpha: 1, targets: [] }, 'targets'],
    [{ rank: 2, alpha: 1, targets: ['q_proj', 'lm_head'] }, 'targets[1]'],
    [{ rank: 2, alpha: 1, targets: ['q_proj'], rsLora: 'yes' }, 'rsLora'],
    [{ rank: 2, alpha: 1, targets: ['q_proj'], seed: 0.5 }, 'seed'],
    [{ rank: 2, alpha: 1, targets: ['q_proj'], dropout: 0.1 }, 'dropout'],
    [{ adapterDirectory: '/x', rank: 2 }, 'rank'],
  ])('%j → %s', async (option, field) => {
    await expect(create(option)).rejects.toMatchObject({ name: 'InvalidInputError', field });
  });

  it('loads what PEFT may write besides ours (extra fields, dropout, target_modules as a string, bf16 storage); rejects DoRA and unlisted targets', async () => {
    const directory = await policy.saveAdapter(join(root, 'peft-like'), { dtype: 'bfloat16' });
    const path = join(directory, 'adapter_config.json');
    const original = JSON.parse(readFileSync(path, 'utf8'));
    writeFileSync(
      path,
      JSON.stringify({
        ...original,
        lora_dropout: 0.05,
        target_modules: 'all-linear',
        exclude_modules: null,
        use_qalora: false,
        lora_bias: false,
      }),
    );
    const loaded = await loadLoraAdapter(directory, model.config);
    expect(loaded.settings.targets).toEqual([...lora.targets]);
    const a = loaded.parameters.get('model.layers.0.self_attn.q_proj.lora_A.weight')!;
    expectClose(a, (await policy.readParameters()).get('model.layers.0.self_attn.q_proj.lora_A.weight')!, {
      atol: 0,
      rtol: 2 ** -8,
      label: 'bf16 A',
    });
    writeFileSync(path, JSON.stringify({ ...original, use_dora: true }));
    await expect(loadLoraAdapter(directory, model.config)).rejects.toMatchObject({ field: 'use_dora' });
    writeFileSync(path, JSON.stringify({ ...original, target_modules: ['q_proj'] }));
    await expect(loadLoraAdapter(directory, model.config)).rejects.toMatchObject({ field: 'target_modules' });
    writeFileSync(path, JSON.stringify({ ...original, r: 3 }));
    await expect(loadLoraAdapter(directory, model.config)).rejects.toMatchObject({
      field: expect.stringContaining('lora_A'),
    });
  });

  it('saveAdapter without LoRA is an error naming lora', async () => {
    await expect(basePolicy.saveAdapter(join(root, 'none'))).rejects.toMatchObject({ field: 'lora' });
  });
});
