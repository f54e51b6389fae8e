import {
  createHostTrainingState,
  trainingStateMethods,
  type GenerateRequest,
  type GenerateResult,
  type HostTrainingState,
  type TokenBatch,
  type TokenScoreGradients,
  type TokenScores,
  type TrainablePolicy,
} from '@research-ts/spec';
import { seededRandom } from '@research-ts/testing';

/**
 * A tiny trainable language model for tests: an MLP over the previous token.
 *
 * ```text
 * embed_tokens.weight  [vocab, hidden]   E
 * lm_head.weight       [vocab, hidden]   W
 * lm_head.bias         [vocab]           b
 *
 * h = tanh(E[previous])                  [hidden]
 * z = W·h + b                            [vocab]   logits of the next token
 * logp = z − logsumexp(z),  H = −Σ p·logp
 * ```
 *
 * Arithmetic is float64 inside; `scoreTokens` and `parameterGradients` round to float32 at the seam, as
 * spec's `TrainablePolicy` asks. `scoreTokensFloat64` gives the unrounded scores for finite-difference
 * checks. The training half of the seam is spec's `createHostTrainingState` over the live `parameters`.
 */
export interface TinyPolicy extends TrainablePolicy {
  readonly vocabSize: number;
  readonly hiddenSize: number;
  /** The live parameters (updated in place by `applyUpdate`). */
  readonly parameters: ReadonlyMap<string, Float32Array>;
  /** The host training state behind the seam (its gradient accumulators, moments and update). */
  readonly training: HostTrainingState;
  /** Number of `applyUpdate` calls that changed the parameters. */
  readonly appliedUpdates: number;
  /** Number of `scoreTokens` / `accumulateGradients` calls. */
  readonly calls: { scoreTokens: number; backward: number };
  scoreTokensFloat64(batch: TokenBatch): { logprobs: Float64Array; entropies: Float64Array };
  /** The gradients of one batch by parameter name (what `accumulateGradients` adds), without accumulating them. */
  parameterGradients(batch: TokenBatch, upstream: TokenScoreGradients): Map<string, Float32Array>;
  /** A deep copy of the parameters. */
  snapshot(): Map<string, Float32Array>;
}

export interface TinyPolicyOptions {
  vocabSize: number;
  hiddenSize: number;
  /** Seeds the initial weights (uniform in ±scale). */
  seed: number;
  /** Default 0.8. */
  scale?: number;
  /** Start from these parameters (copied) instead of random ones. */
  parameters?: ReadonlyMap<string, Float32Array>;
  /** Token ids that end a generation. */
  eosIds?: readonly number[];
}

export function createTinyPolicy(options: TinyPolicyOptions): TinyPolicy {
  const { vocabSize, hiddenSize, seed, scale = 0.8, eosIds = [] } = options;
  const random = seededRandom(seed);
  const initial = (size: number) => Float32Array.from({ length: size }, () => (random() * 2 - 1) * scale);
  const embedding = options.parameters?.get('embed_tokens.weight')?.slice() ?? initial(vocabSize * hiddenSize);
  const head = options.parameters?.get('lm_head.weight')?.slice() ?? initial(vocabSize * hiddenSize);
  const bias = options.parameters?.get('lm_head.bias')?.slice() ?? initial(vocabSize);
  const parameters = new Map<string, Float32Array>([
    ['embed_tokens.weight', embedding],
    ['lm_head.weight', head],
    ['lm_head.bias', bias],
  ]);
  const training = createHostTrainingState(parameters);
  let appliedUpdates = 0;
  const calls = { scoreTokens: 0, backward: 0 };
  let generateCount = 0;

  /** Hidden state and next-token log-probabilities and entropy after each previous token. */
  function distributions() {
    const hidden = new Float64Array(vocabSize * hiddenSize);
    const logProbabilities = new Float64Array(vocabSize * vocabSize);
    const entropy = new Float64Array(vocabSize);
    for (let previous = 0; previous < vocabSize; previous++) {
      const h = hidden.subarray(previous * hiddenSize, (previous + 1) * hiddenSize);
      for (let d = 0; d < hiddenSize; d++) h[d] = Math.tanh(embedding[previous * hiddenSize + d]!);
      const logp = logProbabilities.subarray(previous * vocabSize, (previous + 1) * vocabSize);
      let max = Number.NEGATIVE_INFINITY;
      for (let k = 0; k < vocabSize; k++) {
        let z = bias[k]!;
        for (let d = 0; d < hiddenSize; d++) z += head[k * hiddenSize + d]! * h[d]!;
        logp[k] = z;
        max = Math.max(max, z);
      }
      let sum = 0;
      for (let k = 0; k < vocabSize; k++) sum += Math.exp(logp[k]! - max);
      const logSum = max + Math.log(sum);
      let H = 0;
      for (let k = 0; k < vocabSize; k++) {
        logp[k] = logp[k]! - logSum;
        H -= Math.exp(logp[k]!) * logp[k]!;
      }
      entropy[previous] = H;
    }
    return { hidden, logProbabilities, entropy };
  }

  /** Calls `visit(row, t, previous, next)` for every score position `t` whose tokens `t` and `t + 1` are real. */
  function forEachScored(batch: TokenBatch, visit: (index: number, previous: number, next: number) => void) {
    const { inputIds, attentionMask, batch: rows, length } = batch;
    for (let row = 0; row < rows; row++) {
      for (let t = 0; t + 1 < length; t++) {
        const at = row * length + t;
        if (attentionMask[at] === 0 || attentionMask[at + 1] === 0) continue;
        visit(row * (length - 1) + t, inputIds[at]!, inputIds[at + 1]!);
      }
    }
  }

  function scoreTokensFloat64(batch: TokenBatch) {
    const { logProbabilities, entropy } = distributions();
    const size = batch.batch * (batch.length - 1);
    const logprobs = new Float64Array(size);
    const entropies = new Float64Array(size);
    forEachScored(batch, (index, previous, next) => {
      logprobs[index] = logProbabilities[previous * vocabSize + next]!;
      entropies[index] = entropy[previous]!;
    });
    return { logprobs, entropies };
  }

  async function scoreTokens(batch: TokenBatch): Promise<TokenScores> {
    calls.scoreTokens++;
    const { logprobs, entropies } = scoreTokensFloat64(batch);
    return { logprobs: Float32Array.from(logprobs), entropies: Float32Array.from(entropies) };
  }

  function parameterGradients(batch: TokenBatch, upstream: TokenScoreGradients): Map<string, Float32Array> {
    const { hidden, logProbabilities, entropy } = distributions();
    // d loss / d logits, summed over the positions that share a previous token
    const gradLogits = new Float64Array(vocabSize * vocabSize);
    forEachScored(batch, (index, previous, next) => {
      const gradLogprob = upstream.gradLogprobs[index]!;
      const gradEntropy = upstream.gradEntropies[index]!;
      const H = entropy[previous]!;
      for (let k = 0; k < vocabSize; k++) {
        const logp = logProbabilities[previous * vocabSize + k]!;
        const p = Math.exp(logp);
        // d logp[next] / dz_k = [k = next] − p_k;   dH / dz_k = −p_k (logp_k + H)
        gradLogits[previous * vocabSize + k]! +=
          gradLogprob * ((k === next ? 1 : 0) - p) - gradEntropy * p * (logp + H);
      }
    });
    const gradEmbedding = new Float64Array(vocabSize * hiddenSize);
    const gradHead = new Float64Array(vocabSize * hiddenSize);
    const gradBias = new Float64Array(vocabSize);
    for (let previous = 0; previous < vocabSize; previous++) {
      const g = gradLogits.subarray(previous * vocabSize, (previous + 1) * vocabSize);
      const h = hidden.subarray(previous * hiddenSize, (previous + 1) * hiddenSize);
      for (let k = 0; k < vocabSize; k++) {
        gradBias[k]! += g[k]!;
        for (let d = 0; d < hiddenSize; d++) gradHead[k * hiddenSize + d]! += g[k]! * h[d]!;
      }
      for (let d = 0; d < hiddenSize; d++) {
        let gradHidden = 0;
        for (let k = 0; k < vocabSize; k++) gradHidden += head[k * hiddenSize + d]! * g[k]!;
        gradEmbedding[previous * hiddenSize + d] = gradHidden * (1 - h[d]! * h[d]!);
      }
    }
    return new Map([
      ['embed_tokens.weight', Float32Array.from(gradEmbedding)],
      ['lm_head.weight', Float32Array.from(gradHead)],
      ['lm_head.bias', Float32Array.from(gradBias)],
    ]);
  }

  async function generate(requests: readonly GenerateRequest[]): Promise<GenerateResult[]> {
    const { logProbabilities } = distributions();
    return requests.map((request) => {
      const sample = seededRandom(request.sampling?.seed ?? 1000 + generateCount++);
      const stops = new Set([...eosIds, ...(request.stopTokenIds ?? [])]);
      const outputIds: number[] = [];
      const logprobs: number[] = [];
      let previous = request.inputIds[request.inputIds.length - 1] ?? 0;
      let finishReason: GenerateResult['finishReason'] = 'length';
      while (outputIds.length < request.maxNewTokens) {
        let u = sample();
        let next = vocabSize - 1;
        for (let k = 0; k < vocabSize; k++) {
          u -= Math.exp(logProbabilities[previous * vocabSize + k]!);
          if (u < 0) {
            next = k;
            break;
          }
        }
        outputIds.push(next);
        logprobs.push(logProbabilities[previous * vocabSize + next]!);
        previous = next;
        if (stops.has(next)) {
          finishReason = 'eos';
          break;
        }
      }
      const result: GenerateResult = { outputIds, text: outputIds.join(' '), finishReason };
      if (finishReason === 'eos') result.stopTokenId = outputIds[outputIds.length - 1]!;
      if (request.logprobs === true) result.logprobs = logprobs;
      return result;
    });
  }

  return {
    specificationVersion: 'v1',
    name: `tiny-mlp-${vocabSize}x${hiddenSize}`,
    vocabSize,
    hiddenSize,
    parameters,
    training,
    get appliedUpdates() {
      return appliedUpdates;
    },
    calls,
    generate,
    scoreTokens,
    scoreTokensFloat64,
    parameterGradients,
    ...trainingStateMethods(training),
    async accumulateGradients(batch, upstream) {
      calls.backward++;
      training.accumulate(parameterGradients(batch, upstream));
    },
    async applyUpdate(update) {
      const result = training.applyUpdate(update);
      if (result.applied) appliedUpdates++;
      return result;
    },
    snapshot() {
      return new Map([...parameters].map(([name, value]) => [name, value.slice()]));
    },
  };
}
