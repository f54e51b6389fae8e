import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { deriveSeed, SeededRandom } from '@research-ts/spec';
import { expectClose } from '@research-ts/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { createSession, runSessionFloat64, type FeedTensor } from '../backend/onnxruntime';
import { buildBackwardGraph, buildTrainingGraph } from '../decoder/decoder-graph';
import { tinyConfig } from '../model/decoder-config-presets';
import { decoderParameterShapes } from '../model/decoder-parameter-shapes';
import { loadModelDirectory } from '../model/model-directory';
import { createRandomModel } from '../model/random-model';
import { DecoderTraining } from '../training/decoder-training';
import { loadLoraAdapter } from './lora-adapter-directory';
import { createLoraParameters } from './lora-init';
import { graphParameterShapes, loraParameterShapes, loraScale, type LoraSettings } from './lora-settings';

interface LoraFixture {
  scale: number;
  inputIds: number[];
  attentionMask: number[];
  batch: number;
  sequence: number;
  logprobs: number[];
  entropies: number[];
  gradLogprobs: number[];
  gradEntropies: number[];
  gradients: Record<string, number[]>;
}
const fixturePath = (name: string) => fileURLToPath(new URL(`../__fixtures__/${name}`, import.meta.url));

for (const family of ['qwen2', 'llama3'] as const) {
  const base = await loadModelDirectory(fixturePath(`tiny-${family}-reference`));
  const adapter = await loadLoraAdapter(fixturePath(`tiny-${family}-lora-reference`), base.config);
  const fixture = JSON.parse(await readFile(fixturePath(`tiny-${family}-lora-reference.json`), 'utf8')) as LoraFixture;

  describe(`${family} + LoRA (${adapter.settings.targets.join(', ')}; rsLora ${adapter.settings.rsLora}) against a merged float64 PyTorch model (tools/reference/lora_reference.py)`, () => {
    const parameters = new Map([...base.parameters, ...adapter.parameters]);
    const training = new DecoderTraining(base.config, parameters, { threads: 1, lora: adapter.settings });
    afterAll(() => training.release());
    const batch = {
      inputIds: Int32Array.from(fixture.inputIds),
      attentionMask: Uint8Array.from(fixture.attentionMask),
      batch: fixture.batch,
      length: fixture.sequence,
    };

    it('the scale is the reference’s; logprobs and entropies agree to 1e-4', async () => {
      expect(loraScale(adapter.settings)).toBeCloseTo(fixture.scale, 12);
      const { logprobs, entropies } = await training.scoreTokens(batch);
      expectClose(logprobs, fixture.logprobs, { atol: 1e-4, label: 'logprobs' });
      expectClose(entropies, fixture.entropies, { atol: 1e-4, label: 'entropies' });
    });

    it('backward returns the adapters’ gradients only, each within 1e-4 of the reference (relative to max(1, |g|∞))', async () => {
      const { gradients } = await training.backward(batch, {
        gradLogprobs: Float32Array.from(fixture.gradLogprobs),
        gradEntropies: Float32Array.from(fixture.gradEntropies),
      });
      expect([...gradients.keys()]).toEqual(loraParameterShapes(base.config, adapter.settings).map(({ name }) => name));
      for (const [name, expected] of Object.entries(fixture.gradients)) {
        const scale = Math.max(1, ...expected.map(Math.abs));
        expectClose(gradients.get(name)!, expected, { atol: 1e-4 * scale, label: name });
      }
    });
  });
}

describe('LoRA graphs', () => {
  const config = tinyConfig({
    vocabSize: 13,
    hiddenSize: 8,
    intermediateSize: 12,
    numAttentionHeads: 2,
    numKeyValueHeads: 1,
    headDim: 4,
  });
  const settings: LoraSettings = {
    rank: 2,
    alpha: 5,
    targets: ['q_proj', 'v_proj', 'o_proj', 'up_proj', 'down_proj'],
    rsLora: false,
  };

  it('the backward graph outputs the adapters’ gradients only, in loraParameterShapes order (no base-weight gradient)', () => {
    const graph = buildBackwardGraph(config, { lora: settings });
    const outputs = graph.serialize(); // serializes without dangling inputs
    expect(outputs.byteLength).toBeGreaterThan(0);
    const names = graph.outputs.map((output) => output.name).filter((name) => name.startsWith('grad_'));
    expect(names).toEqual(loraParameterShapes(config, settings).map(({ name }) => `grad_${name}`));
  });

  it('float64: every adapter gradient matches central finite differences (1e-6); A and B both non-zero', async () => {
    const model = createRandomModel(config, { seed: 4, initStd: 0.5 });
    const adapters = createLoraParameters(config, settings, 9);
    for (const [name, values] of adapters)
      if (name.includes('lora_B')) new SeededRandom(deriveSeed(10, name)).fillNormal(values, 0.5);
    const values = new Map(
      [...model.parameters, ...adapters].map(([name, data]) => [name, Float64Array.from(data)] as const),
    );
    const [rows, sequence] = [2, 5];
    const random = new SeededRandom(99);
    const ids = BigInt64Array.from({ length: rows * sequence }, () => BigInt(Math.floor(random.nextFloat() * 13)));
    const mask = BigInt64Array.from({ length: rows * sequence }, (_, index) => (index >= 8 ? 0n : 1n));
    const upstream = () =>
      Float64Array.from({ length: rows * (sequence - 1) }, (_, index) => (index >= 6 ? 0 : random.nextFloat() - 0.5));
    const [gradLogprobs, gradEntropies] = [upstream(), upstream()];
    const dataFeeds = {
      input_ids: { data: ids, dims: [rows, sequence] },
      attention_mask: { data: mask, dims: [rows, sequence] },
    };
    const shapes = graphParameterShapes(config, settings);
    const feedsOf = (current: Map<string, Float64Array>): Record<string, FeedTensor> =>
      Object.fromEntries(shapes.map(({ name, shape }) => [name, { data: current.get(name)!, dims: shape }]));
    const options = {
      executionProvider: 'cpu' as const,
      intraOpNumThreads: 1,
      graphOptimizationLevel: 'basic' as const,
    };
    const forward = await createSession(
      buildTrainingGraph(config, { dtype: 'float64', lora: settings }).serialize(),
      options,
    );
    const backward = await createSession(
      buildBackwardGraph(config, { dtype: 'float64', lora: settings }).serialize(),
      options,
    );
    const loss = async (current: Map<string, Float64Array>) => {
      const outputs = await runSessionFloat64(forward, { ...feedsOf(current), ...dataFeeds });
      let total = 0;
      for (let index = 0; index < gradLogprobs.length; index++)
        total +=
          gradLogprobs[index]! * outputs.logprobs!.data[index]! +
          gradEntropies[index]! * outputs.entropies!.data[index]!;
      return total;
    };
    const analytic = await runSessionFloat64(backward, {
      ...feedsOf(values),
      ...dataFeeds,
      grad_logprobs: { data: gradLogprobs, dims: [rows, sequence - 1] },
      grad_entropies: { data: gradEntropies, dims: [rows, sequence - 1] },
    });
    expect(Object.keys(analytic).filter((name) => name.startsWith('grad_')).length).toBe(
      loraParameterShapes(config, settings).length,
    );
    const step = 1e-5;
    let worst = 0;
    for (const { name } of loraParameterShapes(config, settings)) {
      const gradient = analytic[`grad_${name}`]!.data;
      const point = values.get(name)!;
      const direction = Float64Array.from(point, () => random.nextFloat() - 0.5);
      const shifted = (sign: number) =>
        new Map([
          ...values,
          [name, Float64Array.from(point, (value, index) => value + sign * step * direction[index]!)],
        ]);
      const numeric = ((await loss(shifted(1))) - (await loss(shifted(-1)))) / (2 * step);
      let predicted = 0;
      for (let index = 0; index < point.length; index++) predicted += gradient[index]! * direction[index]!;
      expect(Math.abs(predicted), name).toBeGreaterThan(1e-6);
      worst = Math.max(worst, Math.abs(numeric - predicted) / Math.max(1, Math.abs(numeric)));
    }
    expect(worst).toBeLessThan(1e-6);
    await forward.release();
    await backward.release();
    // the base parameters are graph inputs of the backward graph but no base gradient is an output
    expect(Object.keys(analytic)).not.toContain(`grad_${decoderParameterShapes(config)[1]!.name}`);
  });
});
