import { attribute, type GraphBuilder, type Value } from '@research-ts/onnx-graph';

/** The input of an in-graph sampler: `[draws, 3]` float32, per draw (logits row, temperature, uniform number). */
export const samplingInputName = 'sampling';
/** The output of an in-graph sampler: `[draws, 3]` float32, per draw (id, logprob, margin). */
export const samplesOutputName = 'samples';

/**
 * Largest vocabulary whose ids the sampler returns exactly (they travel as float32, exact below 2²⁴).
 */
export const samplerMaxVocab = 2 ** 24;

/**
 * Appends token sampling to a graph whose `logits` are `[rows, vocab]`, so that a decode step returns a
 * few numbers per sequence instead of its logits. Input `sampling [draws, 3]` (float32): the logits
 * row (a row may be drawn from several times), the temperature and a uniform number in [0, 1). Output
 * `samples [draws, 3]` (float32): the id, its logprob and a margin. It computes `sampleToken` without
 * top-k or top-p, in float32:
 *
 * - temperature 0: the largest logit (ArgMax: lowest id among ties), logprob `logit - logsumexp`;
 *   margin 1 (the choice is exact).
 * - otherwise: `p = softmax(logits / temperature)`, `c = cumsum(p)` in id order, the id is the number
 *   of ids whose `c ≤ u` (the first whose `c > u`; the last id when none), logprob
 *   `logits[id] / temperature - logsumexp`. The margin is the distance from `u` to the nearer end of
 *   the id's interval `[c[id-1], c[id])`: float32 sums may move the interval ends by ~1e-6 from
 *   `sampleToken`'s float64 ones, so a caller that wants `sampleToken`'s choice exactly resolves a
 *   draw with a small margin on the host from the logits (a negative margin: no id's `c` exceeded `u`).
 *
 * `vocab` must be at most `samplerMaxVocab`.
 */
export function appendSampler(graph: GraphBuilder, logits: Value, vocab: number): Value {
  if (vocab > samplerMaxVocab)
    throw new Error(`sampler graph: ids of a vocabulary of ${vocab} are not exact in float32`);
  const sampling = graph.input(samplingInputName, 'float32', ['draws', 3]);
  const column = (index: number) => graph.slice(sampling, { starts: [index], ends: [index + 1], axes: [1] }); // [draws, 1]
  const rows = graph.reshape(graph.cast(column(0), 'int64'), [-1]);
  const temperature = column(1);
  const uniform = column(2);
  const drawn = graph.assumeShape(graph.gather(logits, rows, 0), ['draws', vocab]); // [draws, vocab]
  const logSumExp = (x: Value) => {
    const max = graph.reduceMax(x, [1], { keepDims: true });
    return graph.add(max, graph.log(graph.reduceSum(graph.exp(graph.sub(x, max)), [1], { keepDims: true })));
  };
  const at = (x: Value, ids: Value) => graph.gatherElements(x, ids, 1); // [draws, 1]

  // greedy
  const best = graph.emit('ArgMax', [drawn], [{ dtype: 'int64', shape: ['draws', 1] }], {
    attributes: { axis: attribute.int(1), keepdims: attribute.int(1), select_last_index: attribute.int(0) },
  })[0]!;
  const greedyLogprob = graph.sub(at(drawn, best), logSumExp(drawn));

  // inverse-CDF sampling at the temperature
  const sampled = graph.greater(temperature, 0);
  const scaled = graph.div(drawn, graph.where(sampled, temperature, 1));
  const scaledLogSumExp = logSumExp(scaled);
  const probabilities = graph.exp(graph.sub(scaled, scaledLogSumExp));
  const cumulative = graph.emit(
    'CumSum',
    [probabilities, graph.scalar(1, 'int64')],
    [{ dtype: 'float32', shape: ['draws', vocab] }],
  )[0]!;
  const below = graph.reduceSum(graph.where(graph.greater(cumulative, uniform), graph.scalar(0), 1), [1], {
    keepDims: true,
  }); // ids with c ≤ u
  const chosen = graph.emit('Min', [below, graph.scalar(vocab - 1)], [{ dtype: 'float32', shape: ['draws', 1] }])[0]!;
  const chosenIds = graph.cast(chosen, 'int64');
  const previousIds = graph.cast(
    graph.emit('Max', [graph.sub(chosen, 1), graph.scalar(0)], [{ dtype: 'float32', shape: ['draws', 1] }])[0]!,
    'int64',
  );
  const intervalStart = graph.where(graph.greater(chosen, 0), at(cumulative, previousIds), 0);
  const intervalEnd = at(cumulative, chosenIds);
  const margin = graph.emit(
    'Min',
    [graph.sub(uniform, intervalStart), graph.sub(intervalEnd, uniform)],
    [{ dtype: 'float32', shape: ['draws', 1] }],
  )[0]!;
  const sampledLogprob = graph.sub(at(scaled, chosenIds), scaledLogSumExp);

  const samples = graph.concat(
    [
      graph.where(sampled, chosen, graph.cast(best, 'float32')),
      graph.where(sampled, sampledLogprob, greedyLogprob),
      graph.where(sampled, margin, 1),
    ],
    1,
  );
  return graph.output(samples, samplesOutputName);
}
