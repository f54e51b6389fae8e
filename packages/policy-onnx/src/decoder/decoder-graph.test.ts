import { describe, expect, it } from 'vitest';
import {
  createSession,
  runSession,
  runSessionFloat64,
  type FeedTensor,
  type OnnxSession,
} from '../backend/onnxruntime';
import { tinyConfig } from '../model/decoder-config-presets';
import { decoderParameterShapes } from '../model/decoder-parameter-shapes';
import { createRandomModel } from '../model/random-model';
import { deriveSeed, SeededRandom } from '@research-ts/spec';
import { parameterFeeds } from '../training/decoder-training';
import {
  buildBackwardGraph,
  buildInferenceGraph,
  buildTrainingGraph,
  newKeyValueNames,
  pastKeyValueNames,
  presentKeyValueNames,
} from './decoder-graph';

/** A Llama-family variant with every optional parameter (untied lm_head, o_proj and MLP biases) and llama3 RoPE scaling. */
const llamaConfig = tinyConfig({
  family: 'llama',
  vocabSize: 11,
  hiddenSize: 8,
  intermediateSize: 12,
  numAttentionHeads: 4,
  numKeyValueHeads: 2,
  headDim: 2,
  tieWordEmbeddings: false,
  attentionBias: true,
  attentionOutputBias: true,
  mlpBias: true,
  ropeScaling: { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 16 },
});
const qwenConfig = tinyConfig({
  vocabSize: 13,
  hiddenSize: 8,
  intermediateSize: 12,
  numAttentionHeads: 2,
  numKeyValueHeads: 1,
  headDim: 4,
});

/** A Qwen3-family variant: q/k norms, heads wider than hidden / heads, attention_bias (q/k/v and o_proj), tied embeddings. */
const qwen3Config = tinyConfig({
  family: 'qwen3',
  vocabSize: 13,
  hiddenSize: 8,
  intermediateSize: 12,
  numAttentionHeads: 2,
  numKeyValueHeads: 1,
  headDim: 6,
  attentionBias: true,
  attentionOutputBias: true,
});

function randomParameters(config: typeof qwenConfig, seed: number): Map<string, Float64Array> {
  const model = createRandomModel(config, { seed, initStd: 0.5 });
  const parameters = new Map<string, Float64Array>();
  for (const [name, values] of model.parameters) {
    const noise = new SeededRandom(deriveSeed(seed + 1, name)).fillNormal(new Float32Array(values.length), 0.3);
    parameters.set(
      name,
      Float64Array.from(values, (value, index) =>
        name.endsWith('norm.weight') || name.endsWith('.bias') ? value + noise[index]! : value,
      ),
    );
  }
  return parameters;
}

describe('the backward graph against finite differences (float64, whole tiny decoder)', () => {
  for (const config of [qwenConfig, llamaConfig, qwen3Config]) {
    it(`${config.family} (tied ${config.tieWordEmbeddings}): every parameter's gradient matches central differences`, async () => {
      const parameters = randomParameters(config, 5);
      const [rows, sequence] = [2, 5];
      const random = new SeededRandom(99);
      const ids = BigInt64Array.from({ length: rows * sequence }, () =>
        BigInt(Math.floor(random.nextFloat() * config.vocabSize)),
      );
      const mask = BigInt64Array.from({ length: rows * sequence }, (_, index) => (index >= 8 ? 0n : 1n)); // row 1: 3 tokens, 2 padding
      const upstream = (scale: number) =>
        Float64Array.from({ length: rows * (sequence - 1) }, (_, index) =>
          index >= 6 ? 0 : scale * (random.nextFloat() - 0.5),
        );
      const gradLogprobs = upstream(2);
      const gradEntropies = upstream(2);
      const dataFeeds = {
        input_ids: { data: ids, dims: [rows, sequence] },
        attention_mask: { data: mask, dims: [rows, sequence] },
      };
      const feedsOf = (values: Map<string, Float64Array>): Record<string, FeedTensor> =>
        Object.fromEntries(
          decoderParameterShapes(config).map(({ name, shape }) => [name, { data: values.get(name)!, dims: shape }]),
        );
      // 'basic': the extended fusions (QuickGelu, …) have float32 kernels only
      const options = {
        executionProvider: 'cpu' as const,
        intraOpNumThreads: 1,
        graphOptimizationLevel: 'basic' as const,
      };
      const forward = await createSession(buildTrainingGraph(config, { dtype: 'float64' }).serialize(), options);
      const backward = await createSession(buildBackwardGraph(config, { dtype: 'float64' }).serialize(), options);
      const loss = async (values: Map<string, Float64Array>) => {
        const outputs = await runSessionFloat64(forward, { ...feedsOf(values), ...dataFeeds });
        let total = 0;
        for (let index = 0; index < gradLogprobs.length; index++)
          total +=
            gradLogprobs[index]! * outputs.logprobs!.data[index]! +
            gradEntropies[index]! * outputs.entropies!.data[index]!;
        return total;
      };
      const analytic = await runSessionFloat64(backward, {
        ...feedsOf(parameters),
        ...dataFeeds,
        grad_logprobs: { data: gradLogprobs, dims: [rows, sequence - 1] },
        grad_entropies: { data: gradEntropies, dims: [rows, sequence - 1] },
      });
      const step = 1e-5;
      let worst = 0;
      for (const { name } of decoderParameterShapes(config)) {
        const gradient = analytic[`grad_${name}`]!.data;
        const base = parameters.get(name)!;
        // a random direction over the whole tensor, and two single coordinates
        const directions: Float64Array[] = [Float64Array.from(base, () => random.nextFloat() - 0.5)];
        for (const coordinate of [0, Math.floor(random.nextFloat() * base.length)])
          directions.push(Float64Array.from(base, (_, index) => (index === coordinate ? 1 : 0)));
        for (const direction of directions) {
          const shifted = (sign: number) =>
            new Map([
              ...parameters,
              [name, Float64Array.from(base, (value, index) => value + sign * step * direction[index]!)],
            ]);
          const numeric = ((await loss(shifted(1))) - (await loss(shifted(-1)))) / (2 * step);
          let predicted = 0;
          for (let index = 0; index < base.length; index++) predicted += gradient[index]! * direction[index]!;
          const error = Math.abs(numeric - predicted) / Math.max(1, Math.abs(numeric));
          worst = Math.max(worst, error);
          expect(error, `${name}: numeric ${numeric}, analytic ${predicted}`).toBeLessThan(1e-6);
        }
      }
      expect(worst).toBeLessThan(1e-6);
      // the gradient is not trivially zero: the embeddings (and lm_head) get a real signal
      expect(Math.max(...Array.from(analytic['grad_model.embed_tokens.weight']!.data, Math.abs))).toBeGreaterThan(1e-3);
      await forward.release();
      await backward.release();
    });
  }
});

describe('the inference graph: KV-cached decoding against a full recompute', () => {
  const config = tinyConfig({ vocabSize: 17 });
  const model = createRandomModel(config, { seed: 3, initStd: 0.4 });
  const emptyCache = (rows: number): Record<string, FeedTensor> => {
    const empty = { data: new Float32Array(0), dims: [rows, config.numKeyValueHeads, 0, config.headDim] };
    return Object.fromEntries(
      Array.from({ length: config.numHiddenLayers }, (_, layer) => [
        [pastKeyValueNames(layer).key, empty],
        [pastKeyValueNames(layer).value, empty],
      ]).flat(),
    );
  };
  const tokens = [3, 14, 0, 7, 7, 12, 1, 9, 16];
  const int64 = (values: number[]) => BigInt64Array.from(values.map(BigInt));
  const sessions = {
    all: undefined as OnnxSession | undefined,
    last: undefined as OnnxSession | undefined,
  };
  const session = async (kind: 'all' | 'last') =>
    (sessions[kind] ??= await createSession(buildInferenceGraph(config, { logits: kind }).serialize(), {
      executionProvider: 'cpu',
      intraOpNumThreads: 1,
    }));
  const fullLogits = async (ids: number[]) => {
    const outputs = await runSession(await session('all'), {
      ...parameterFeeds(config, model.parameters),
      input_ids: { data: int64(ids), dims: [1, ids.length] },
      position_ids: { data: int64(ids.map((_, index) => index)), dims: [1, ids.length] },
      attention_mask: { data: int64(ids.map(() => 1)), dims: [1, ids.length] },
      ...emptyCache(1),
    });
    return outputs.logits!.data;
  };
  /** The cache after a step: each row's past slots, then the step's new keys/values (`[rows, kvHeads, slots, headDim]`). */
  const appendNew = (past: { data: Float32Array; dims: number[] }, added: { data: Float32Array; dims: number[] }) => {
    const [rows, heads, pastSlots, width] = past.dims as [number, number, number, number];
    const addedSlots = added.dims[2]!;
    const out = new Float32Array(rows * heads * (pastSlots + addedSlots) * width);
    for (let line = 0; line < rows * heads; line++) {
      out.set(
        past.data.subarray(line * pastSlots * width, (line + 1) * pastSlots * width),
        line * (pastSlots + addedSlots) * width,
      );
      out.set(
        added.data.subarray(line * addedSlots * width, (line + 1) * addedSlots * width),
        (line * (pastSlots + addedSlots) + pastSlots) * width,
      );
    }
    return { data: out, dims: [rows, heads, pastSlots + addedSlots, width] };
  };
  const cacheOf = (
    outputs: Record<string, { data: Float32Array; dims: number[] }>,
    past: Record<string, FeedTensor> = emptyCache(outputs.logits!.dims[0]!),
  ) =>
    Object.fromEntries(
      Array.from({ length: config.numHiddenLayers }, (_, layer) => [
        [
          pastKeyValueNames(layer).key,
          appendNew(
            past[pastKeyValueNames(layer).key] as { data: Float32Array; dims: number[] },
            outputs[newKeyValueNames(layer).key]!,
          ),
        ],
        [
          pastKeyValueNames(layer).value,
          appendNew(
            past[pastKeyValueNames(layer).value] as { data: Float32Array; dims: number[] },
            outputs[newKeyValueNames(layer).value]!,
          ),
        ],
      ]).flat(),
    );
  const vocab = config.vocabSize;

  it('prefill of 4 tokens then 5 single-token steps give the logits of the full sequence (atol 1e-4)', async () => {
    const full = await fullLogits(tokens);
    let past: Record<string, FeedTensor> = emptyCache(1);
    let outputs = await runSession(await session('last'), {
      ...parameterFeeds(config, model.parameters),
      input_ids: { data: int64(tokens.slice(0, 4)), dims: [1, 4] },
      position_ids: { data: int64([0, 1, 2, 3]), dims: [1, 4] },
      attention_mask: { data: int64([1, 1, 1, 1]), dims: [1, 4] },
      ...emptyCache(1),
    });
    let worst = 0;
    for (let position = 3; position < tokens.length; position++) {
      const expected = full.subarray(position * vocab, (position + 1) * vocab);
      expect(outputs.logits!.dims).toEqual([1, vocab]);
      outputs.logits!.data.forEach((value, index) => (worst = Math.max(worst, Math.abs(value - expected[index]!))));
      if (position + 1 === tokens.length) break;
      past = cacheOf(outputs, past);
      expect(past[pastKeyValueNames(0).key]!.dims).toEqual([1, config.numKeyValueHeads, position + 1, config.headDim]);
      expect(outputs[newKeyValueNames(0).key]!.dims).toEqual([
        1,
        config.numKeyValueHeads,
        position === 3 ? 4 : 1,
        config.headDim,
      ]);
      outputs = await runSession(await session('last'), {
        ...parameterFeeds(config, model.parameters),
        input_ids: { data: int64([tokens[position + 1]!]), dims: [1, 1] },
        position_ids: { data: int64([position + 1]), dims: [1, 1] },
        attention_mask: { data: int64(Array.from({ length: position + 2 }, () => 1)), dims: [1, position + 2] },
        ...past,
      });
    }
    expect(worst).toBeLessThan(1e-4);
    expect(worst).toBeGreaterThanOrEqual(0);
  });

  it("cacheOutputs 'present' returns past ++ new keys and values, and the same logits (atol 1e-5)", async () => {
    const prefill = await runSession(await session('last'), {
      ...parameterFeeds(config, model.parameters),
      input_ids: { data: int64(tokens.slice(0, 3)), dims: [1, 3] },
      position_ids: { data: int64([0, 1, 2]), dims: [1, 3] },
      attention_mask: { data: int64([1, 1, 1]), dims: [1, 3] },
      ...emptyCache(1),
    });
    const past = cacheOf(prefill);
    const feeds = {
      ...parameterFeeds(config, model.parameters),
      input_ids: { data: int64([tokens[3]!]), dims: [1, 1] },
      position_ids: { data: int64([3]), dims: [1, 1] },
      attention_mask: { data: int64([1, 1, 1, 1]), dims: [1, 4] },
      ...past,
    };
    const withNew = await runSession(await session('last'), feeds);
    const present = await createSession(buildInferenceGraph(config, { cacheOutputs: 'present' }).serialize(), {
      executionProvider: 'cpu',
      intraOpNumThreads: 1,
    });
    const withPresent = await runSession(present, feeds);
    expect(Object.keys(withPresent).some((name) => name.startsWith('new_key_values'))).toBe(false);
    const worst = (actual: Float32Array, reference: Float32Array) =>
      actual.reduce((most, value, index) => Math.max(most, Math.abs(value - reference[index]!)), 0);
    // the two graphs are optimised differently: equal to float32 rounding
    expect(worst(withPresent.logits!.data, withNew.logits!.data)).toBeLessThan(1e-5);
    const expected = cacheOf(withNew, past);
    for (let layer = 0; layer < config.numHiddenLayers; layer++) {
      for (const kind of ['key', 'value'] as const) {
        const output = withPresent[presentKeyValueNames(layer)[kind]]!;
        const reference = expected[pastKeyValueNames(layer)[kind]]! as { data: Float32Array; dims: number[] };
        expect(output.dims).toEqual([1, config.numKeyValueHeads, 4, config.headDim]);
        expect(worst(output.data, reference.data)).toBeLessThan(1e-5);
      }
    }
    await present.release();
  });

  it('a batched step over caches of different lengths (padding slots masked) matches each sequence alone', async () => {
    // sequence A: 5 cached tokens, sequence B: 2 cached tokens padded to 5 slots; both add one token.
    const a = tokens.slice(0, 6);
    const b = [5, 11, 2];
    const [fullA, fullB] = [await fullLogits(a), await fullLogits(b)];
    const prefill = async (ids: number[]) =>
      runSession(await session('last'), {
        ...parameterFeeds(config, model.parameters),
        input_ids: { data: int64(ids), dims: [1, ids.length] },
        position_ids: { data: int64(ids.map((_, index) => index)), dims: [1, ids.length] },
        attention_mask: { data: int64(ids.map(() => 1)), dims: [1, ids.length] },
        ...emptyCache(1),
      });
    const cacheA = cacheOf(await prefill(a.slice(0, 5)));
    const cacheB = cacheOf(await prefill(b.slice(0, 2)));
    const slots = 5;
    const batched: Record<string, FeedTensor> = {};
    const width = config.headDim;
    for (const name of Object.keys(cacheA)) {
      const merged = new Float32Array(2 * config.numKeyValueHeads * slots * width).fill(Number.NaN); // padding slots hold garbage
      for (const [row, cache, length] of [
        [0, cacheA, 5],
        [1, cacheB, 2],
      ] as const) {
        for (let head = 0; head < config.numKeyValueHeads; head++) {
          const source = (cache[name]!.data as Float32Array).subarray(
            head * length * width,
            (head + 1) * length * width,
          );
          merged.set(source, (row * config.numKeyValueHeads + head) * slots * width);
        }
      }
      batched[name] = {
        data: merged.map((value) => (Number.isNaN(value) ? 1e3 : value)),
        dims: [2, config.numKeyValueHeads, slots, width],
      };
    }
    const outputs = await runSession(await session('last'), {
      ...parameterFeeds(config, model.parameters),
      input_ids: { data: int64([a[5]!, b[2]!]), dims: [2, 1] },
      position_ids: { data: int64([5, 2]), dims: [2, 1] },
      attention_mask: { data: int64([1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1]), dims: [2, 6] },
      ...batched,
    });
    const logits = outputs.logits!.data;
    let worst = 0;
    for (let index = 0; index < vocab; index++) {
      worst = Math.max(
        worst,
        Math.abs(logits[index]! - fullA[5 * vocab + index]!),
        Math.abs(logits[vocab + index]! - fullB[2 * vocab + index]!),
      );
    }
    expect(worst).toBeLessThan(1e-4);
  });
});

describe('fused inference ops (SimplifiedLayerNormalization, com.microsoft.RotaryEmbedding)', () => {
  const int64 = (values: number[]) => BigInt64Array.from(values.map(BigInt));
  const configs = {
    'Qwen2 (biases, tied)': tinyConfig({ vocabSize: 23, maxPositionEmbeddings: 300 }),
    'Qwen3 (q/k norms, head_dim 12 ≠ hidden / heads)': tinyConfig({
      family: 'qwen3',
      vocabSize: 23,
      maxPositionEmbeddings: 300,
      headDim: 12,
    }),
    'Llama 3 RoPE scaling, grouped KV heads': tinyConfig({
      vocabSize: 23,
      maxPositionEmbeddings: 300,
      numAttentionHeads: 4,
      numKeyValueHeads: 2,
      family: 'llama',
      attentionBias: false,
      tieWordEmbeddings: false,
      ropeTheta: 500000,
      ropeScaling: {
        type: 'llama3',
        factor: 8,
        lowFreqFactor: 1,
        highFreqFactor: 4,
        originalMaxPositionEmbeddings: 64,
      },
    }),
  };
  for (const [label, config] of Object.entries(configs)) {
    it(`give the unfused graph's logits and cache, padded batch at positions up to 4999, beyond max_position_embeddings (${label}, atol 1e-5)`, async () => {
      const graphs = await Promise.all(
        [true, false].map(async (fusedOps) =>
          createSession(buildInferenceGraph(config, { logits: 'all', fusedOps }).serialize(), {
            executionProvider: 'cpu',
            intraOpNumThreads: 1,
          }),
        ),
      );
      const model = createRandomModel(config, { seed: 11, initStd: 0.3 });
      const [batch, sequence] = [2, 4];
      const emptyCache = { data: new Float32Array(0), dims: [batch, config.numKeyValueHeads, 0, config.headDim] };
      const feeds: Record<string, FeedTensor> = {
        ...parameterFeeds(config, model.parameters),
        input_ids: { data: int64([3, 14, 0, 7, 22, 1, 9, 16]), dims: [batch, sequence] },
        position_ids: { data: int64([0, 1, 2, 3, 200, 201, 4998, 4999]), dims: [batch, sequence] },
        attention_mask: { data: int64([0, 1, 1, 1, 1, 1, 1, 1]), dims: [batch, sequence] },
        ...Object.fromEntries(
          Array.from({ length: config.numHiddenLayers }, (_, layer) => [
            [pastKeyValueNames(layer).key, emptyCache],
            [pastKeyValueNames(layer).value, emptyCache],
          ]).flat(),
        ),
      };
      const fused = await runSession(graphs[0]!, feeds);
      const plain = await runSession(graphs[1]!, feeds);
      for (const name of ['logits', newKeyValueNames(1).key, newKeyValueNames(0).value]) {
        expect(fused[name]!.dims).toEqual(plain[name]!.dims);
        let worst = 0;
        fused[name]!.data.forEach(
          (value, index) => (worst = Math.max(worst, Math.abs(value - plain[name]!.data[index]!))),
        );
        expect(worst).toBeLessThan(1e-5);
      }
      const nodes = (fusedOps: boolean) => buildInferenceGraph(config, { fusedOps }).nodes.map((node) => node.opType);
      expect(nodes(true).filter((op) => op === 'RotaryEmbedding')).toHaveLength(2 * config.numHiddenLayers);
      // two per layer and the final norm, plus q_norm and k_norm per layer for Qwen3
      expect(nodes(true).filter((op) => op === 'SimplifiedLayerNormalization')).toHaveLength(
        (config.family === 'qwen3' ? 4 : 2) * config.numHiddenLayers + 1,
      );
      expect(nodes(false)).not.toContain('RotaryEmbedding');
    });
  }
});
