import { InvalidInputError, type SamplingOptions } from '@research-ts/spec';

/** Sampling settings with defaults applied: temperature 1, topP 1 (off), topK 0 (off). */
export interface SamplingSettings {
  temperature: number;
  topP: number;
  topK: number;
}

/** Applies defaults and checks ranges; errors name the field. */
export function resolveSampling(options: SamplingOptions | undefined, source = 'sampling'): SamplingSettings {
  const temperature = options?.temperature ?? 1;
  const topP = options?.topP ?? 1;
  const topK = options?.topK ?? 0;
  if (!Number.isFinite(temperature) || temperature < 0)
    throw new InvalidInputError(`must be a finite number >= 0, got ${temperature}`, { source, field: 'temperature' });
  if (!Number.isFinite(topP) || topP <= 0 || topP > 1)
    throw new InvalidInputError(`must be in (0, 1], got ${topP}`, { source, field: 'topP' });
  if (!Number.isSafeInteger(topK) || topK < 0)
    throw new InvalidInputError(`must be an integer >= 0, got ${topK}`, { source, field: 'topK' });
  return { temperature, topP, topK };
}

/** Where `sampleToken` draws its uniform number: a `SeededRandom`, or a draw already made. */
export interface UniformSource {
  /** Uniform in [0, 1). */
  nextFloat(): number;
}

/** A sampled token and its log-probability under the distribution it was drawn from. */
export interface SampledToken {
  id: number;
  logprob: number;
}

/** `log Σ exp(logits[i] / temperature)` and the max, in float64. */
function logSumExp(
  logits: ArrayLike<number>,
  ids: ArrayLike<number> | undefined,
  scale: number,
): { max: number; logSum: number } {
  const count = ids === undefined ? logits.length : ids.length;
  let max = -Infinity;
  for (let position = 0; position < count; position++) {
    const value = logits[ids === undefined ? position : ids[position]!]! * scale;
    if (value > max) max = value;
  }
  let sum = 0;
  for (let position = 0; position < count; position++)
    sum += Math.exp(logits[ids === undefined ? position : ids[position]!]! * scale - max);
  return { max, logSum: max + Math.log(sum) };
}

/** Ids of the k largest logits, by value descending then id ascending (a bounded selection, O(V log k)). */
function topKIds(logits: ArrayLike<number>, k: number): number[] {
  // min-heap by (value, -id): the root is the weakest kept candidate
  const heap: number[] = [];
  const weaker = (a: number, b: number) => logits[a]! < logits[b]! || (logits[a] === logits[b] && a > b);
  const siftDown = (start: number) => {
    let index = start;
    for (;;) {
      const left = 2 * index + 1;
      const right = left + 1;
      let smallest = index;
      if (left < heap.length && weaker(heap[left]!, heap[smallest]!)) smallest = left;
      if (right < heap.length && weaker(heap[right]!, heap[smallest]!)) smallest = right;
      if (smallest === index) return;
      [heap[index], heap[smallest]] = [heap[smallest]!, heap[index]!];
      index = smallest;
    }
  };
  for (let id = 0; id < logits.length; id++) {
    if (heap.length < k) {
      heap.push(id);
      let index = heap.length - 1;
      while (index > 0) {
        const parent = (index - 1) >> 1;
        if (!weaker(heap[index]!, heap[parent]!)) break;
        [heap[index], heap[parent]] = [heap[parent]!, heap[index]!];
        index = parent;
      }
    } else if (weaker(heap[0]!, id)) {
      heap[0] = id;
      siftDown(0);
    }
  }
  return heap.sort((a, b) => logits[b]! - logits[a]! || a - b);
}

/**
 * Draws the next token from one row of logits (`[vocab]`).
 *
 * - `temperature 0`: greedy, the largest logit (lowest id among ties); `logprob` is the model's
 *   log-softmax at temperature 1 (the sampling distribution is a point mass).
 * - otherwise, in float64: scale the logits by `1/temperature`; with `topK > 0` keep the k largest
 *   (ties: lower id first); with `topP < 1` keep, in order of probability (ties: lower id first), the
 *   shortest prefix whose probability reaches `topP` (nucleus); renormalise over the kept tokens,
 *   draw `u = random.nextFloat()` (one 32-bit draw per token) and return the first kept token — in
 *   that order when truncated, else in id order — whose cumulative probability exceeds `u · total`.
 *   `logprob` is the log-probability under this truncated, renormalised distribution.
 *
 * Without top-k, the nucleus is found without sorting the vocabulary: candidates with probability at
 * least 10⁻³, 10⁻⁴, … are collected until their total reaches `topP` (the nucleus is then among them).
 */
export function sampleToken(
  logits: ArrayLike<number>,
  settings: SamplingSettings,
  random: UniformSource,
): SampledToken {
  const vocab = logits.length;
  if (settings.temperature === 0) {
    let best = 0;
    for (let id = 1; id < vocab; id++) if (logits[id]! > logits[best]!) best = id;
    const { logSum } = logSumExp(logits, undefined, 1);
    return { id: best, logprob: logits[best]! - logSum };
  }
  const scale = 1 / settings.temperature;
  let ids: number[] | undefined =
    settings.topK > 0 && settings.topK < vocab ? topKIds(logits, settings.topK) : undefined;
  const { logSum } = logSumExp(logits, ids, scale);
  const probability = (id: number) => Math.exp(logits[id]! * scale - logSum);
  let total = 1;
  if (settings.topP < 1) {
    if (ids === undefined) {
      for (let threshold = 1e-3; ; threshold /= 10) {
        const candidates: number[] = [];
        let mass = 0;
        for (let id = 0; id < vocab; id++) {
          const p = probability(id);
          if (p >= threshold) {
            candidates.push(id);
            mass += p;
          }
        }
        if (mass >= settings.topP || threshold < 1e-30) {
          ids = candidates.length > 0 ? candidates : Array.from({ length: vocab }, (_, id) => id);
          break;
        }
      }
      ids.sort((a, b) => logits[b]! - logits[a]! || a - b);
    }
    let cumulative = 0;
    let kept = 0;
    while (kept < ids.length) {
      cumulative += probability(ids[kept]!);
      kept += 1;
      if (cumulative >= settings.topP) break;
    }
    ids = ids.slice(0, kept);
    total = cumulative;
  }
  const target = random.nextFloat() * total;
  let cumulative = 0;
  const count = ids === undefined ? vocab : ids.length;
  let chosen = ids === undefined ? vocab - 1 : ids[count - 1]!;
  for (let position = 0; position < count; position++) {
    const id = ids === undefined ? position : ids[position]!;
    cumulative += probability(id);
    if (cumulative > target) {
      chosen = id;
      break;
    }
  }
  return { id: chosen, logprob: Math.log(probability(chosen) / total) };
}
