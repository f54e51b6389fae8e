import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createSession, readDeviceTensors, runSession } from '../backend/onnxruntime';
import { decoderParameterShapes } from '../model/decoder-parameter-shapes';
import { buildInferenceGraph } from '../decoder/decoder-graph';
import { DeviceParameters } from '../device/device-parameters';
import { loadModelDirectory } from '../model/model-directory';
import { createRandomModel } from '../model/random-model';
import { tinyConfig } from '../model/decoder-config-presets';
import { DecoderTraining, fewestPaddedRowGroups, parameterFeeds } from './decoder-training';

interface ReferenceFixture {
  inputIds: number[];
  attentionMask: number[];
  batch: number;
  sequence: number;
  logits: number[];
  logprobs: number[];
  entropies: number[];
  gradLogprobs: number[];
  gradEntropies: number[];
  gradients: Record<string, number[]>;
}
/** A reference model directory (written by tools/reference/write-reference-model.ts) and its PyTorch fixture. */
async function loadReference(family: 'qwen2' | 'qwen3' | 'llama3') {
  const directory = fileURLToPath(new URL(`../__fixtures__/tiny-${family}-reference`, import.meta.url));
  const json = await readFile(
    fileURLToPath(new URL(`../__fixtures__/tiny-${family}-reference.json`, import.meta.url)),
    'utf8',
  );
  return { fixture: JSON.parse(json) as ReferenceFixture, model: await loadModelDirectory(directory) };
}
const { fixture, model } = await loadReference('qwen2');
const [fixtureOfQwen2, modelOfQwen2] = [fixture, model];

function maxDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let largest = 0;
  for (let index = 0; index < expected.length; index++)
    largest = Math.max(largest, Math.abs(actual[index]! - expected[index]!));
  return largest;
}

const families = ['qwen2', 'qwen3', 'llama3'] as const;
for (const family of families) {
  const { fixture, model } =
    family === 'qwen2' ? { fixture: fixtureOfQwen2, model: modelOfQwen2 } : await loadReference(family);
  describe(`${family}: training and inference graphs against the PyTorch reference (tools/reference/qwen2_reference.py, float64)`, () => {
    const training = new DecoderTraining(model.config, model.parameters, { threads: 1 });
    afterAll(() => training.release());
    const batch = {
      inputIds: Int32Array.from(fixture.inputIds),
      attentionMask: Uint8Array.from(fixture.attentionMask),
      batch: fixture.batch,
      length: fixture.sequence,
    };
    const valid = fixture.attentionMask.flatMap((_, index) =>
      index % fixture.sequence === 0 ? [] : [fixture.attentionMask[index]!],
    );
    it('logprobs and entropies agree to 1e-4 (padding positions are 0)', async () => {
      const { logprobs, entropies } = await training.scoreTokens(batch);
      const masked = (values: number[]) => values.map((value, index) => value * valid[index]!);
      expect(maxDifference(logprobs, masked(fixture.logprobs))).toBeLessThan(1e-4);
      expect(maxDifference(entropies, masked(fixture.entropies))).toBeLessThan(1e-4);
      expect(Array.from(logprobs.slice(10))).toEqual([0, 0]); // row 1 has 5 tokens: positions 4 and 5 predict padding
    });

    it('every parameter gradient agrees to 1e-4, tied embeddings summed over both uses', async () => {
      const { gradients, logprobs } = await training.backward(batch, {
        gradLogprobs: Float32Array.from(fixture.gradLogprobs),
        gradEntropies: Float32Array.from(fixture.gradEntropies),
      });
      expect([...gradients.keys()]).toEqual(decoderParameterShapes(model.config).map(({ name }) => name));
      expect(Object.keys(fixture.gradients).sort()).toEqual([...gradients.keys()].sort());
      for (const [name, expected] of Object.entries(fixture.gradients)) {
        const scale = Math.max(1, ...expected.map(Math.abs));
        expect(maxDifference(gradients.get(name)!, expected) / scale, name).toBeLessThan(1e-4);
      }
      expect(
        maxDifference(
          logprobs,
          fixture.logprobs.map((value, index) => value * valid[index]!),
        ),
      ).toBeLessThan(1e-4);
    });

    it("the inference graph's logits of every position agree with the reference to 1e-4", async () => {
      const graph = buildInferenceGraph(model.config, { logits: 'all' });
      const session = await createSession(graph.serialize(), { executionProvider: 'cpu', intraOpNumThreads: 1 });
      const { batch: rows, sequence } = fixture;
      const empty = { data: new Float32Array(0), dims: [rows, model.config.numKeyValueHeads, 0, model.config.headDim] };
      const feeds = {
        ...parameterFeeds(model.config, model.parameters),
        input_ids: { data: BigInt64Array.from(fixture.inputIds.map(BigInt)), dims: [rows, sequence] },
        position_ids: {
          data: BigInt64Array.from(fixture.inputIds.map((_, index) => BigInt(index % sequence))),
          dims: [rows, sequence],
        },
        attention_mask: { data: BigInt64Array.from(fixture.attentionMask.map(BigInt)), dims: [rows, sequence] },
        ...Object.fromEntries(
          Array.from({ length: model.config.numHiddenLayers }, (_, layer) => [
            [`past_key_values.${layer}.key`, empty],
            [`past_key_values.${layer}.value`, empty],
          ]).flat(),
        ),
      };
      const outputs = await runSession(session, feeds);
      const vocab = model.config.vocabSize;
      const realLogits = (values: ArrayLike<number>) =>
        Array.from(values).filter((_, index) => fixture.attentionMask[Math.floor(index / vocab)] === 1);
      expect(outputs.logits!.dims).toEqual([rows, sequence, vocab]);
      expect(maxDifference(realLogits(outputs.logits!.data), realLogits(fixture.logits))).toBeLessThan(1e-4);
      expect(outputs['new_key_values.1.key']!.dims).toEqual([
        rows,
        model.config.numKeyValueHeads,
        sequence,
        model.config.headDim,
      ]);
      await session.release();
    });
  });
}

describe('training graphs: row groups and device feeds (Qwen2 reference model)', () => {
  const training = new DecoderTraining(model.config, model.parameters, { threads: 1 });
  afterAll(() => training.release());
  const batch = {
    inputIds: Int32Array.from(fixture.inputIds),
    attentionMask: Uint8Array.from(fixture.attentionMask),
    batch: fixture.batch,
    length: fixture.sequence,
  };
  const valid = fixture.attentionMask.flatMap((_, index) =>
    index % fixture.sequence === 0 ? [] : [fixture.attentionMask[index]!],
  );

  it('row groups (maxTokensPerRun) give the same logprobs and summed gradients as one run', async () => {
    const grouped = new DecoderTraining(model.config, model.parameters, { threads: 1, maxTokensPerRun: 7 });
    try {
      const upstream = {
        gradLogprobs: Float32Array.from(fixture.gradLogprobs),
        gradEntropies: Float32Array.from(fixture.gradEntropies),
      };
      const whole = await training.backward(batch, upstream);
      const wholeGradients = new Map([...whole.gradients].map(([name, values]) => [name, values.slice()]));
      const parts = await grouped.backward(batch, upstream);
      expect(maxDifference(parts.logprobs, whole.logprobs)).toBeLessThan(1e-6);
      for (const [name, values] of wholeGradients)
        expect(maxDifference(parts.gradients.get(name)!, values), name).toBeLessThan(1e-6);
    } finally {
      await grouped.release();
    }
  });

  it("backwardOnDevice (device parameter feeds, row groups summed by the accumulate graph) gives backward's numbers", async () => {
    const deviceParameters = await DeviceParameters.upload('cpu', model.config, model.parameters);
    const grouped = new DecoderTraining(model.config, model.parameters, {
      threads: 1,
      maxTokensPerRun: 7,
      deviceParameters,
    });
    const hostGrouped = new DecoderTraining(model.config, model.parameters, { threads: 1, maxTokensPerRun: 7 });
    try {
      const upstream = {
        gradLogprobs: Float32Array.from(fixture.gradLogprobs),
        gradEntropies: Float32Array.from(fixture.gradEntropies),
      };
      const onHost = await hostGrouped.backward(batch, upstream);
      const onDevice = await grouped.backwardOnDevice(batch, upstream);
      expect(Array.from(onDevice.logprobs)).toEqual(Array.from(onHost.logprobs));
      expect(Array.from(onDevice.entropies)).toEqual(Array.from(onHost.entropies));
      expect([...onDevice.gradients.keys()]).toEqual([...onHost.gradients.keys()]);
      const copies = await readDeviceTensors([...onDevice.gradients.values()]);
      [...onHost.gradients.values()].forEach((expected, index) =>
        expect(Array.from(copies[index]!)).toEqual(Array.from(expected)),
      );
      for (const tensor of onDevice.gradients.values()) tensor.dispose();
    } finally {
      await grouped.release();
      await hostGrouped.release();
      deviceParameters.dispose();
    }
  });
});

describe('row groups on the CPU provider: least padding plus run cost', () => {
  it('cuts sorted rows where the padding saved outweighs a run, within maxTokensPerRun', () => {
    const lengths = Int32Array.from([100, 100, 98, 20, 20, 19]);
    expect(fewestPaddedRowGroups(lengths, 4096)).toEqual([
      { firstRow: 0, rows: 3, length: 100 },
      { firstRow: 3, rows: 3, length: 20 },
    ]);
    // a little padding is cheaper than a run: one group
    expect(fewestPaddedRowGroups(Int32Array.from([40, 38, 37, 36]), 4096)).toEqual([
      { firstRow: 0, rows: 4, length: 40 },
    ]);
    // the token bound holds; a row longer than it runs alone; a row of 1 token still takes 2 columns
    const bounded = fewestPaddedRowGroups(Int32Array.from([300, 50, 50, 50, 50, 1]), 120);
    expect(bounded.every((group) => group.rows === 1 || group.rows * group.length <= 120)).toBe(true);
    expect(bounded[0]).toEqual({ firstRow: 0, rows: 1, length: 300 });
    expect(bounded.reduce((rows, group) => rows + group.rows, 0)).toBe(6);
    expect(fewestPaddedRowGroups(Int32Array.from([1]), 4096)).toEqual([{ firstRow: 0, rows: 1, length: 2 }]);
  });

  it("a batch of mixed lengths cut into several runs gives each row's logprobs and the summed gradients of the rows run alone (1e-5 relative)", async () => {
    const config = tinyConfig({ hiddenSize: 32, vocabSize: 64 });
    const random = createRandomModel(config, { seed: 9, initStd: 0.3 });
    const training = new DecoderTraining(config, random.parameters, { threads: 1 });
    const alone = new DecoderTraining(config, random.parameters, { threads: 1 });
    afterAll(() => Promise.all([training.release(), alone.release()]));
    const lengths = [60, 58, 57, 30, 29, 8, 7, 3];
    const width = lengths[0]!;
    const rows = lengths.map((length, row) => Array.from({ length }, (_, column) => (row * 13 + column * 7 + 1) % 64));
    const inputIds = new Int32Array(rows.length * width);
    const attentionMask = new Uint8Array(rows.length * width);
    rows.forEach((ids, row) => {
      inputIds.set(ids, row * width);
      attentionMask.fill(1, row * width, row * width + ids.length);
    });
    const gradLogprobs = Float32Array.from({ length: rows.length * (width - 1) }, (_, index) => Math.sin(index) * 0.1);
    const gradEntropies = Float32Array.from(
      { length: rows.length * (width - 1) },
      (_, index) => Math.cos(index) * 0.05,
    );
    const groups = fewestPaddedRowGroups(Int32Array.from(lengths), 4096);
    expect(groups.length).toBeGreaterThan(1);
    const batched = await training.backward(
      { inputIds, attentionMask, batch: rows.length, length: width },
      { gradLogprobs, gradEntropies },
    );
    const expectedGradients = new Map([...batched.gradients.keys()].map((name) => [name, new Float64Array(0)]));
    for (const [row, ids] of rows.entries()) {
      const from = row * (width - 1);
      const single = await alone.backward(
        {
          inputIds: Int32Array.from(ids),
          attentionMask: new Uint8Array(ids.length).fill(1),
          batch: 1,
          length: ids.length,
        },
        {
          gradLogprobs: gradLogprobs.slice(from, from + ids.length - 1),
          gradEntropies: gradEntropies.slice(from, from + ids.length - 1),
        },
      );
      for (let position = 0; position < ids.length - 1; position++) {
        const value = batched.logprobs[from + position]!;
        expect(Math.abs(value - single.logprobs[position]!)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(value)));
      }
      for (const [name, values] of single.gradients) {
        const sum = expectedGradients.get(name)!;
        const total = sum.length === 0 ? new Float64Array(values.length) : sum;
        for (let index = 0; index < values.length; index++) total[index]! += values[index]!;
        expectedGradients.set(name, total);
      }
    }
    for (const [name, expected] of expectedGradients) {
      const actual = batched.gradients.get(name)!;
      let largest = 0;
      for (const value of expected) largest = Math.max(largest, Math.abs(value));
      expect(maxDifference(actual, expected), name).toBeLessThanOrEqual(1e-5 * Math.max(largest, 1e-3));
    }
  });
});
