import { attribute, GraphBuilder, gradients, tensor, type Value } from '@research-ts/onnx-graph';
import { hasQueryKeyNorm, type DecoderConfig } from '../model/decoder-config';
import {
  graphParameterShapes,
  loraModules,
  loraScale,
  trainedParameterShapes,
  type LoraSettings,
} from '../lora/lora-settings';
import { ropeInverseFrequencies } from './rope-frequencies';

/** Floating-point type of a decoder graph's parameters and activations (float64 for gradient checks). */
export type DecoderDtype = 'float32' | 'float64';

/** The key and value cache input names of layer `layer` of an inference graph. */
export function pastKeyValueNames(layer: number): { key: string; value: string } {
  return { key: `past_key_values.${layer}.key`, value: `past_key_values.${layer}.value` };
}

/**
 * The output names of layer `layer`'s keys and values of the step's new tokens (keys after RoPE),
 * `[batch, kvHeads, sequence, headDim]`: the caller appends them to its cache.
 */
export function newKeyValueNames(layer: number): { key: string; value: string } {
  return { key: `new_key_values.${layer}.key`, value: `new_key_values.${layer}.value` };
}

/**
 * The output names of layer `layer`'s whole cache after a step, `[batch, kvHeads, past + sequence,
 * headDim]`: the past slots, then the step's new tokens (see `InferenceGraphOptions.cacheOutputs`).
 */
export function presentKeyValueNames(layer: number): { key: string; value: string } {
  return { key: `present_key_values.${layer}.key`, value: `present_key_values.${layer}.value` };
}

/** What differs between the graphs the one decoder definition emits. */
interface DecoderMode {
  /** Token ids `[batch, sequence]` (int64). */
  inputIds: Value;
  /** Absolute positions `[batch, sequence]` (int64) for RoPE. */
  positions: Value;
  /**
   * Keys and values of one layer after RoPE, `[batch, kvHeads, sequence, headDim]` → the segments of
   * keys and values attention reads, in slot order (`[batch, kvHeads, slots, headDim]` each): the new
   * ones alone in training; the cache, then the new ones, at inference (never concatenated: attention
   * concatenates the small score tensors instead, so no step copies the cache).
   */
  keyValueSegments(layer: number, keys: Value, values: Value): { keys: Value; values: Value }[];
  /** `[batch, 1, 1, sequence, slots]` bool over all segments' slots: true where a query must not see a key (padding or future). */
  hiddenKeys(): { padding: Value; future: Value };
  /**
   * Use onnxruntime's fused CPU kernels for RMSNorm (`SimplifiedLayerNormalization`) and RoPE
   * (`com.microsoft.RotaryEmbedding` over cos/sin rows of the run's own positions): fewer, larger nodes
   * for inference. These ops have no gradient, so the training graphs never set it.
   */
  fusedOps?: boolean;
  /** LoRA adapters on some projections (see `DecoderGraphOptions.lora`). */
  lora?: LoraSettings;
}

/**
 * The decoder, defined once (Qwen2/Qwen3/Llama as `transformers` computes them in eager mode):
 *
 * ```text
 * h = embed_tokens[ids]
 * per layer: h += o_proj(attention(rope(q_proj(rms(h))), rope(k_proj(rms(h))), v_proj(rms(h))))
 *            (Qwen3: rope(q_norm(q_proj(rms(h)))), rope(k_norm(k_proj(rms(h)))), the norms per head over headDim)
 *            h += down_proj(silu(gate_proj(rms(h))) * up_proj(rms(h)))
 * out = rms(h) (model.norm)
 * ```
 *
 * RMSNorm is `x / sqrt(mean(x²) + eps) * weight`; RoPE rotates halves (`x·cos + rotate_half(x)·sin`
 * with `cos`/`sin` of `position · invFreq` repeated twice); attention is grouped-query (each KV head
 * serves `heads / kvHeads` query heads, as `repeat_kv`), scaled by `1/sqrt(headDim)`, masked by the
 * mode, softmax over keys. Linear layers are `x · Wᵀ + b` with Hugging Face's `[out, in]` weights; an
 * adapted one (`mode.lora`) adds `scale · (x · Aᵀ) · Bᵀ` (A `[rank, in]`, B `[out, rank]`, PEFT's
 * `lora_A`/`lora_B`), never forming `B·A`.
 * Returns the normed final hidden states `[batch, sequence, hidden]`.
 */
function emitDecoder(
  graph: GraphBuilder,
  config: DecoderConfig,
  parameter: (name: string) => Value,
  dtype: DecoderDtype,
  mode: DecoderMode,
): Value {
  const { numAttentionHeads: heads, numKeyValueHeads: kvHeads, headDim, hiddenSize } = config;
  const groups = heads / kvHeads;
  const half = headDim / 2;
  const queryKeyNorm = hasQueryKeyNorm(config);

  const adapted = new Set(mode.lora === undefined ? [] : loraModules(config, mode.lora).map(({ module }) => module));
  const scale = mode.lora === undefined ? 0 : loraScale(mode.lora);
  const linear = (x: Value, name: string, hasBias: boolean): Value => {
    let product = graph.matMul(x, graph.transpose(parameter(`${name}.weight`), [1, 0]));
    if (adapted.has(name)) {
      const down = graph.matMul(x, graph.transpose(parameter(`${name}.lora_A.weight`), [1, 0])); // [tokens, rank]
      const up = graph.matMul(graph.mul(down, scale), graph.transpose(parameter(`${name}.lora_B.weight`), [1, 0]));
      product = graph.add(product, up);
    }
    return hasBias ? graph.add(product, parameter(`${name}.bias`)) : product;
  };
  const fused = mode.fusedOps === true;
  const rmsNorm = (x: Value, weightName: string): Value => {
    if (fused) {
      const attributes = {
        axis: attribute.int(-1),
        epsilon: attribute.float(config.rmsNormEps),
        stash_type: attribute.int(1),
      };
      return graph.emit('SimplifiedLayerNormalization', [x, parameter(weightName)], [{ dtype, shape: x.shape }], {
        attributes,
      })[0] as Value;
    }
    const meanSquare = graph.reduceMean(graph.mul(x, x), [-1], { keepDims: true });
    return graph.mul(
      graph.mul(x, graph.reciprocal(graph.sqrt(graph.add(meanSquare, config.rmsNormEps)))),
      parameter(weightName),
    );
  };

  // RoPE tables [batch, 1, sequence, headDim] from the positions (no gradient flows here).
  const inverseFrequencies = graph.constant(tensor(dtype, [half], Array.from(ropeInverseFrequencies(config))));
  const angles = graph.mul(graph.unsqueeze(graph.cast(mode.positions, dtype), [-1]), inverseFrequencies); // [batch, sequence, half]

  // Fused RoPE: [batch, sequence, n·headDim] rows rotated per head by com.microsoft.RotaryEmbedding. Its
  // cos/sin "caches" are this run's own angles, one row per token ([batch·sequence, half]), indexed by
  // the token's row number: any position works (no table bounded by maxPositionEmbeddings).
  const rotary = fused
    ? (() => {
        const rows = graph.reshape(angles, [-1, half]);
        const table = (op: 'Cos' | 'Sin') => graph.emit(op, [rows], [{ dtype, shape: rows.shape }])[0] as Value;
        const tokenCount = graph.gather(graph.shape(rows), graph.constant(tensor('int64', [], [0])));
        const rowIndices = graph.reshape(graph.range(0, tokenCount), graph.shape(mode.positions));
        return { cos: table('Cos'), sin: table('Sin'), rowIndices };
      })()
    : undefined;
  const fusedRope = (x: Value, headCount: number): Value => {
    const attributes = { interleaved: attribute.int(0), num_heads: attribute.int(headCount) };
    return graph.emit(
      'RotaryEmbedding',
      [x, rotary!.rowIndices, rotary!.cos, rotary!.sin],
      [{ dtype, shape: x.shape }],
      { domain: 'com.microsoft', attributes },
    )[0] as Value;
  };
  const doubled = graph.concat([angles, angles], -1);
  const trig = (op: 'Cos' | 'Sin') =>
    graph.unsqueeze(graph.emit(op, [doubled], [{ dtype, shape: doubled.shape }])[0] as Value, [1]);
  const cos = trig('Cos');
  const sin = trig('Sin');
  const cos5 = graph.unsqueeze(cos, [1]);
  const sin5 = graph.unsqueeze(sin, [1]);
  const rope = (x: Value, cosTable: Value, sinTable: Value): Value => {
    const first = graph.slice(x, { starts: [0], ends: [half], axes: [-1] });
    const second = graph.slice(x, { starts: [half], ends: [headDim], axes: [-1] });
    const rotated = graph.concat([graph.neg(second), first], -1);
    return graph.add(graph.mul(x, cosTable), graph.mul(rotated, sinTable));
  };

  // Activations outside attention are 2-D [tokens, features] (tokens = batch·sequence): every linear
  // layer is then one plain MatMul, whose weight gradient is a single [in, tokens]·[tokens, out] product
  // (a batched 3-D MatMul would make one weight-sized gradient per row, then sum them).
  const batchSequence = graph.shape(mode.inputIds); // [batch, sequence]
  const toRows = (x: Value, tail: number[]) => graph.reshape(x, graph.concat([batchSequence, graph.int64s(tail)], 0));
  const embedded = graph.gather(parameter('model.embed_tokens.weight'), mode.inputIds); // [batch, sequence, hidden]
  let hidden = graph.reshape(embedded, [-1, hiddenSize]); // [tokens, hidden]
  let attentionBias: Value | undefined;
  for (let layer = 0; layer < config.numHiddenLayers; layer++) {
    const prefix = `model.layers.${layer}`;
    const normed = rmsNorm(hidden, `${prefix}.input_layernorm.weight`);
    // q: [tokens, heads·headDim] → [batch, kvHeads, groups, sequence, headDim]
    const toQueryHeads = (x: Value) => graph.transpose(toRows(x, [kvHeads, groups, headDim]), [0, 2, 3, 1, 4]);
    const toKeyValueHeads = (x: Value) => graph.transpose(toRows(x, [kvHeads, headDim]), [0, 2, 1, 3]);
    // Qwen3: RMSNorm over headDim on each query and key head (q_norm, k_norm) before RoPE; [tokens, n·headDim] stays the layout.
    const headNorm = (rows: Value, name: 'q_norm' | 'k_norm', count: number): Value =>
      queryKeyNorm
        ? graph.reshape(rmsNorm(graph.reshape(rows, [-1, count, headDim]), `${prefix}.self_attn.${name}.weight`), [
            -1,
            count * headDim,
          ])
        : rows;
    const qRows = headNorm(linear(normed, `${prefix}.self_attn.q_proj`, config.attentionBias), 'q_norm', heads);
    const kRows = headNorm(linear(normed, `${prefix}.self_attn.k_proj`, config.attentionBias), 'k_norm', kvHeads);
    const v = toKeyValueHeads(linear(normed, `${prefix}.self_attn.v_proj`, config.attentionBias));
    const rotatedKeys = fused
      ? toKeyValueHeads(fusedRope(toRows(kRows, [kvHeads * headDim]), kvHeads))
      : rope(toKeyValueHeads(kRows), cos, sin);
    const segments = mode.keyValueSegments(layer, rotatedKeys, v);
    const queries = fused
      ? toQueryHeads(fusedRope(toRows(qRows, [heads * headDim]), heads))
      : rope(toQueryHeads(qRows), cos5, sin5);
    // scores [batch, kvHeads, groups, sequence, slots]: each KV head serves its group of query heads.
    const segmentScores = segments.map(({ keys }) =>
      graph.matMul(queries, graph.transpose(graph.unsqueeze(keys, [2]), [0, 1, 2, 4, 3])),
    );
    const scores = graph.mul(
      segmentScores.length === 1 ? segmentScores[0]! : graph.concat(segmentScores, -1),
      1 / Math.sqrt(headDim),
    );
    if (attentionBias === undefined) {
      // 0 where the key is visible, -1e9 where it is padding or in the future (added before the softmax)
      const { padding, future } = mode.hiddenKeys();
      attentionBias = graph.where(
        padding,
        graph.scalar(-1e9, dtype),
        graph.where(future, graph.scalar(-1e9, dtype), graph.scalar(0, dtype)),
      );
    }
    const probabilities = graph.softmax(graph.add(scores, attentionBias), -1);
    const weighted = (weights: Value, values: Value) => graph.matMul(weights, graph.unsqueeze(values, [2]));
    let attended: Value;
    if (segments.length === 1) attended = weighted(probabilities, segments[0]!.values);
    else {
      const sizes = graph.concat(
        segments.map(({ keys }) => graph.slice(graph.shape(keys), { starts: [2], ends: [3] })),
        0,
      );
      const parts = graph
        .split(probabilities, sizes, -1)
        .map((part, index) => graph.assumeShape(part, segmentScores[index]!.shape));
      attended = parts
        .map((part, index) => weighted(part, segments[index]!.values))
        .reduce((sum, part) => graph.add(sum, part));
    }
    const mixed = graph.reshape(graph.transpose(attended, [0, 3, 1, 2, 4]), [-1, heads * headDim]); // [tokens, heads·headDim]
    hidden = graph.add(hidden, linear(mixed, `${prefix}.self_attn.o_proj`, config.attentionOutputBias));
    const normed2 = rmsNorm(hidden, `${prefix}.post_attention_layernorm.weight`);
    const gate = linear(normed2, `${prefix}.mlp.gate_proj`, config.mlpBias);
    const swiglu = graph.mul(
      graph.mul(gate, graph.sigmoid(gate)),
      linear(normed2, `${prefix}.mlp.up_proj`, config.mlpBias),
    );
    hidden = graph.add(hidden, linear(swiglu, `${prefix}.mlp.down_proj`, config.mlpBias));
  }
  const final = graph.assumeShape(toRows(rmsNorm(hidden, 'model.norm.weight'), [hiddenSize]), [
    mode.inputIds.shape[0]!,
    mode.inputIds.shape[1]!,
    hiddenSize,
  ]);
  return final;
}

function declareParameters(
  graph: GraphBuilder,
  config: DecoderConfig,
  dtype: DecoderDtype,
  lora: LoraSettings | undefined,
  initializers?: ReadonlyMap<string, Float32Array>,
): (name: string) => Value {
  const values = new Map<string, Value>();
  for (const { name, shape } of graphParameterShapes(config, lora)) {
    const data = initializers?.get(name);
    if (initializers !== undefined && data === undefined)
      throw new Error(`decoder graph: no parameter ${name} among the initializers`);
    values.set(
      name,
      data === undefined ? graph.input(name, dtype, shape) : graph.initializer(name, tensor('float32', shape, data)),
    );
  }
  return (name) => {
    const value = values.get(name);
    if (value === undefined) throw new Error(`decoder graph: no parameter ${name}`);
    return value;
  };
}

function lmHead(config: DecoderConfig, parameter: (name: string) => Value): Value {
  return parameter(config.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight');
}

export interface DecoderGraphOptions {
  /** Default `'float32'`. */
  dtype?: DecoderDtype;
  /**
   * LoRA adapters on the targeted projections of every layer: `lora_A`/`lora_B` inputs after the base
   * parameters (`graphParameterShapes`), `y = x·Wᵀ + scale·(x·Aᵀ)·Bᵀ`. The backward graph then
   * differentiates the adapters only.
   */
  lora?: LoraSettings;
}

/**
 * The training forward graph. Inputs: every parameter under its Hugging Face name (`[out, in]`
 * weights), `input_ids [batch, sequence]` and `attention_mask [batch, sequence]` (int64, 1 = token,
 * 0 = padding; right padding, so positions are `0 … sequence-1`). Outputs:
 *
 * - `logprobs [batch, sequence-1]`: `log p(input_ids[b, t+1] | input_ids[b, ≤t])`;
 * - `entropies [batch, sequence-1]`: the entropy of the next-token distribution after position t.
 *
 * Both come from one log-softmax over the vocabulary with a `GatherElements` of the targets (no one-hot).
 * Values at padded positions are computed but meaningless; callers mask them.
 */
export function buildTrainingGraph(config: DecoderConfig, options: DecoderGraphOptions = {}): GraphBuilder {
  const dtype = options.dtype ?? 'float32';
  const graph = new GraphBuilder({ name: 'decoder_training' });
  const parameter = declareParameters(graph, config, dtype, options.lora);
  const inputIds = graph.input('input_ids', 'int64', ['batch', 'sequence']);
  const attentionMask = graph.input('attention_mask', 'int64', ['batch', 'sequence']);
  const sequenceLength = graph.gather(graph.shape(inputIds), graph.constant(tensor('int64', [], [1])));
  const positions = graph.assumeShape(graph.range(0, sequenceLength), ['sequence']);
  const final = emitDecoder(graph, config, parameter, dtype, {
    lora: options.lora,
    inputIds,
    positions: graph.unsqueeze(positions, [0]),
    keyValueSegments: (_layer, keys, values) => [{ keys, values }],
    hiddenKeys: () => {
      const future = graph.greater(graph.unsqueeze(positions, [0]), graph.unsqueeze(positions, [1])); // [query, key]
      const padding = graph.reshape(graph.equal(attentionMask, graph.scalar(0, 'int64')), [0, 1, 1, 1, -1]);
      const paddingKeys = graph.assumeShape(padding, ['batch', 1, 1, 1, 'sequence']);
      return { padding: paddingKeys, future: graph.unsqueeze(future, [0, 1, 2]) };
    },
  });
  const context = graph.slice(final, { starts: [0], ends: [-1], axes: [1] }); // [batch, sequence-1, hidden]
  const targets = graph.slice(inputIds, { starts: [1], ends: [Infinity], axes: [1] }); // [batch, sequence-1]
  // [rows, vocab] with rows = batch·(sequence-1): a 2-D MatMul (one weight-sized gradient, see emitDecoder)
  const logits = graph.matMul(
    graph.reshape(context, [-1, config.hiddenSize]),
    graph.transpose(lmHead(config, parameter), [1, 0]),
  );
  const logSoftmax = graph.logSoftmax(logits, -1);
  const targetRows = graph.reshape(targets, [-1, 1]);
  const outputShape = graph.shape(targets);
  const tokenLogprobs = graph.assumeShape(
    graph.reshape(graph.gatherElements(logSoftmax, targetRows, -1), outputShape),
    targets.shape,
  );
  const entropies = graph.neg(graph.reduceSum(graph.mul(graph.exp(logSoftmax), logSoftmax), [-1], { keepDims: false }));
  graph.output(tokenLogprobs, 'logprobs');
  graph.output(graph.assumeShape(graph.reshape(entropies, outputShape), targets.shape), 'entropies');
  return graph;
}

/**
 * The forward+backward graph of `buildTrainingGraph`: its inputs plus `grad_logprobs` and
 * `grad_entropies` (upstream gradients shaped like the outputs); outputs `grad_<parameter>` for every
 * parameter in `decoderParameterShapes` order (tied embeddings get the sum of both uses), then
 * `logprobs` and `entropies` (the forward outputs, free to return). With `lora`, only the adapters'
 * gradients (`trainedParameterShapes` order): no base weight's gradient is part of the graph (the
 * activations' gradients still flow through the frozen weights).
 */
export function buildBackwardGraph(config: DecoderConfig, options: DecoderGraphOptions = {}): GraphBuilder {
  const forward = buildTrainingGraph(config, options);
  const names = trainedParameterShapes(config, options.lora).map(({ name }) => name);
  return gradients(forward, { outputs: ['logprobs', 'entropies'], wrt: names, keepOutputs: true }).graph;
}

export interface InferenceGraphOptions extends DecoderGraphOptions {
  /** `'last'` (default): `logits [batch, vocab]` of the last position; `'all'`: `[batch, sequence, vocab]`. */
  logits?: 'last' | 'all';
  /**
   * Store these float32 parameters in the model as initializers (views, not copies; serialize with
   * `serializeWithExternalData`) instead of declaring them as inputs: a GPU provider then keeps them
   * on the device instead of uploading them on every run.
   */
  initializers?: ReadonlyMap<string, Float32Array>;
  /**
   * Fused onnxruntime CPU kernels for RMSNorm and RoPE (see `DecoderMode.fusedOps`); default `true` for
   * float32 (onnxruntime's `RotaryEmbedding` has no float64 kernel).
   */
  fusedOps?: boolean;
  /**
   * `'new'` (default): output the step's new keys and values (`new_key_values.*`), which a host cache
   * writes into its arrays. `'present'`: output the whole cache after the step instead
   * (`present_key_values.*` = past ++ new on the slot axis), for a cache that stays on a GPU and is fed
   * back as the next step's past without crossing to the host.
   */
  cacheOutputs?: 'new' | 'present';
}

/**
 * The generation graph, for prefill (empty cache) and decode steps alike. Inputs: the parameters,
 * `input_ids [batch, sequence]`, `position_ids [batch, sequence]`, `attention_mask [batch, past+sequence]`
 * (int64; 1 where a cache slot or new token is real, 0 for padding slots) and per layer
 * `past_key_values.{i}.key/value [batch, kvHeads, past, headDim]` (keys after RoPE; `past` may include
 * unused capacity, masked 0). Outputs: `logits` and `new_key_values.{i}.key/value [batch, kvHeads,
 * sequence, headDim]`, the new tokens' keys and values only: the caller writes them into its cache, so a
 * step never copies the whole cache in or out (or, with `cacheOutputs: 'present'`,
 * `present_key_values.{i}.key/value`, the whole cache after the step). New token j of the step sits at slot `past + j`; it sees
 * slots `≤ past + j` whose mask is 1.
 */
export function buildInferenceGraph(config: DecoderConfig, options: InferenceGraphOptions = {}): GraphBuilder {
  const dtype = options.dtype ?? 'float32';
  if (options.initializers !== undefined && dtype !== 'float32')
    throw new Error('decoder graph: initializers are float32');
  const graph = new GraphBuilder({ name: 'decoder_inference' });
  const parameter = declareParameters(graph, config, dtype, options.lora, options.initializers);
  const inputIds = graph.input('input_ids', 'int64', ['batch', 'sequence']);
  const positions = graph.input('position_ids', 'int64', ['batch', 'sequence']);
  const attentionMask = graph.input('attention_mask', 'int64', ['batch', 'past+sequence']); // the dim the score concat infers
  const past = Array.from({ length: config.numHiddenLayers }, (_, layer) => {
    const names = pastKeyValueNames(layer);
    const shape = ['batch', config.numKeyValueHeads, 'past', config.headDim];
    return { key: graph.input(names.key, dtype, shape), value: graph.input(names.value, dtype, shape) };
  });
  const final = emitDecoder(graph, config, parameter, dtype, {
    lora: options.lora,
    inputIds,
    positions,
    fusedOps: options.fusedOps ?? dtype === 'float32',
    keyValueSegments: (layer, keys, values) => {
      if (options.cacheOutputs === 'present') {
        const names = presentKeyValueNames(layer);
        graph.output(graph.concat([past[layer]!.key, keys], 2), names.key);
        graph.output(graph.concat([past[layer]!.value, values], 2), names.value);
      } else {
        const names = newKeyValueNames(layer);
        graph.output(keys, names.key);
        graph.output(values, names.value);
      }
      return [
        { keys: past[layer]!.key, values: past[layer]!.value },
        { keys, values },
      ];
    },
    hiddenKeys: () => {
      const total = graph.gather(graph.shape(attentionMask), graph.constant(tensor('int64', [], [1])));
      const pastLength = graph.gather(graph.shape(past[0]!.key), graph.constant(tensor('int64', [], [2])));
      const keySlots = graph.range(0, total); // [past+sequence]
      const querySlots = graph.assumeShape(graph.range(pastLength, total), ['sequence']);
      const future = graph.greater(graph.unsqueeze(keySlots, [0]), graph.unsqueeze(querySlots, [1])); // [sequence, keys]
      const padding = graph.assumeShape(
        graph.reshape(graph.equal(attentionMask, graph.scalar(0, 'int64')), [0, 1, 1, 1, -1]),
        ['batch', 1, 1, 1, keySlots.shape[0]!],
      );
      return { padding, future: graph.unsqueeze(future, [0, 1, 2]) };
    },
  });
  const head = graph.transpose(lmHead(config, parameter), [1, 0]);
  if ((options.logits ?? 'last') === 'all') graph.output(graph.matMul(final, head), 'logits');
  else {
    const last = graph.slice(final, { starts: [-1], ends: [Infinity], axes: [1] }); // [batch, 1, hidden]
    graph.output(graph.squeeze(graph.matMul(last, head), [1]), 'logits');
  }
  return graph;
}
