import { expectNumber } from '@research-ts/grpo';
import { InvalidInputError, type TokenBatch, type Trajectory } from '@research-ts/spec';

/** One rollout to train on: its trajectory, the group it belongs to (the prompt's uid) and its reward. */
export interface TrainingSample {
  trajectory: Trajectory;
  /** Samples with the same group id are the rollouts of one prompt; GRPO compares them to each other. */
  groupId: string | number;
  /** The outcome score of the rollout (ReSearch: F1, 0.1 for a good format with a wrong answer, or 0). */
  reward: number;
  /**
   * `[responseLength]` the sampler's log-probability of each response token, aligned with
   * `trajectory.responseIds` (any value, NaN included, where the loss mask is 0). Read only by a trainer
   * with a `rolloutCorrection`.
   */
  rolloutLogprobs?: Float32Array;
}

export interface PackTrajectoriesOptions {
  /**
   * The most padded tokens (`rows × length`) in one micro-batch. A sequence longer than this gets a
   * micro-batch of its own (a row cannot be split). ReSearch: `ppo_max_token_len_per_gpu = 2·(512 + 8192)`.
   */
  maxTokensPerMicroBatch: number;
  /** The token id written into padding positions. */
  padId: number;
}

/**
 * A micro-batch: rows of `promptIds ++ responseIds`, right-padded to the longest row, with the loss
 * mask moved onto the score positions of {@link TokenBatch}: score position `t` predicts token `t + 1`,
 * so response token `j` of a row with prompt length `P` is scored at position `P − 1 + j`.
 */
export interface MicroBatch {
  /** `[rows, length]` token ids and attention mask. */
  batch: TokenBatch;
  /** `[rows]` the index in the input of the sample in each row. */
  sampleIndices: Int32Array;
  /** `[rows]` the prompt length `P` of each row: its first response token sits at `P`, is scored at `P − 1`. */
  responseStarts: Int32Array;
  /** `[rows]` the number of response tokens of each row. */
  responseLengths: Int32Array;
  /**
   * `[rows, length − 1]` the trajectory's loss mask on score positions: 1 where a generated response
   * token is scored, 0 on the prompt, on inserted `<result>` tokens and on padding.
   */
  lossMask: Uint8Array;
  /** Σ lossMask: the tokens of this micro-batch that enter the loss. */
  lossTokenCount: number;
}

export interface PackedTrajectories {
  /** In packing order: longest rows first. */
  microBatches: MicroBatch[];
  /** `[samples]` the micro-batch holding each sample. */
  microBatchOfSample: Int32Array;
  /** `[samples]` the row of each sample inside its micro-batch. */
  rowOfSample: Int32Array;
  /** Real (unpadded) tokens, prompts included. */
  tokenCount: number;
  /** `Σ rows × length` over the micro-batches: what the policy computes on. */
  paddedTokenCount: number;
  /** Σ of the loss masks: the tokens that enter the loss. */
  lossTokenCount: number;
  /** Response tokens, generated and inserted. */
  responseTokenCount: number;
  /** Samples with at least one token in the loss. */
  lossSequenceCount: number;
  /** The longest response. */
  maxResponseLength: number;
}

/**
 * Packs trajectories into micro-batches of at most `maxTokensPerMicroBatch` padded tokens, for a
 * policy's `scoreTokens` and `backward`. Rows are sorted by length, longest first (ties by input
 * order), and filled greedily, so that rows of similar length share a micro-batch and little is
 * padding; the result is the same for the same input. `microBatchOfSample` / `rowOfSample` map back.
 *
 * Every prompt needs at least one token (the first response token is predicted from it). Each
 * trajectory's `lossMask` must be as long as its `responseIds` and hold 0 or 1.
 */
export function packTrajectories(
  samples: readonly TrainingSample[],
  options: PackTrajectoriesOptions,
): PackedTrajectories {
  const { maxTokensPerMicroBatch, padId } = options;
  expectNumber(
    'maxTokensPerMicroBatch',
    maxTokensPerMicroBatch,
    (value) => Number.isInteger(value) && value >= 1,
    'must be an integer ≥ 1',
  );
  expectNumber('padId', padId, isTokenId, 'must be an integer in [0, 2^31)');
  if (samples.length === 0) throw new InvalidInputError('no samples to pack', { field: 'samples' });

  const lengths = new Int32Array(samples.length);
  let tokenCount = 0;
  let responseTokenCount = 0;
  let maxResponseLength = 0;
  samples.forEach((sample, index) => {
    const { promptIds, responseIds, lossMask } = sample.trajectory;
    const field = `samples.${index}.trajectory`;
    if (promptIds.length === 0) {
      throw new InvalidInputError('the prompt is empty (the first response token needs a context to be scored)', {
        field: `${field}.promptIds`,
      });
    }
    if (lossMask.length !== responseIds.length) {
      throw new InvalidInputError(`lossMask has ${lossMask.length} values for ${responseIds.length} response tokens`, {
        field: `${field}.lossMask`,
      });
    }
    for (let j = 0; j < lossMask.length; j++) {
      if (lossMask[j]! > 1)
        throw new InvalidInputError(`lossMask[${j}] is ${lossMask[j]}, expected 0 or 1`, {
          field: `${field}.lossMask`,
        });
    }
    expectTokenIds(promptIds, `${field}.promptIds`);
    expectTokenIds(responseIds, `${field}.responseIds`);
    lengths[index] = promptIds.length + responseIds.length;
    tokenCount += lengths[index]!;
    responseTokenCount += responseIds.length;
    maxResponseLength = Math.max(maxResponseLength, responseIds.length);
  });

  const order = Array.from({ length: samples.length }, (_, index) => index).sort(
    (a, b) => lengths[b]! - lengths[a]! || a - b,
  );
  const groups: number[][] = [];
  for (let start = 0; start < order.length;) {
    const longest = lengths[order[start]!]!;
    const rows = Math.max(1, Math.floor(maxTokensPerMicroBatch / longest));
    groups.push(order.slice(start, start + rows));
    start += rows;
  }

  const microBatchOfSample = new Int32Array(samples.length);
  const rowOfSample = new Int32Array(samples.length);
  let paddedTokenCount = 0;
  let lossTokenCount = 0;
  let lossSequenceCount = 0;
  const microBatches = groups.map((group, microBatchIndex) => {
    const rows = group.length;
    const length = lengths[group[0]!]!;
    const scoreLength = length - 1;
    const inputIds = new Int32Array(rows * length).fill(padId);
    const attentionMask = new Uint8Array(rows * length);
    const lossMask = new Uint8Array(rows * scoreLength);
    const sampleIndices = Int32Array.from(group);
    const responseStarts = new Int32Array(rows);
    const responseLengths = new Int32Array(rows);
    let microBatchLossTokens = 0;
    group.forEach((sampleIndex, row) => {
      const { promptIds, responseIds, lossMask: responseMask } = samples[sampleIndex]!.trajectory;
      const offset = row * length;
      inputIds.set(promptIds, offset);
      inputIds.set(responseIds, offset + promptIds.length);
      attentionMask.fill(1, offset, offset + promptIds.length + responseIds.length);
      const scoreOffset = row * scoreLength + promptIds.length - 1;
      let rowLossTokens = 0;
      for (let j = 0; j < responseMask.length; j++) {
        lossMask[scoreOffset + j] = responseMask[j]!;
        rowLossTokens += responseMask[j]!;
      }
      responseStarts[row] = promptIds.length;
      responseLengths[row] = responseIds.length;
      microBatchOfSample[sampleIndex] = microBatchIndex;
      rowOfSample[sampleIndex] = row;
      microBatchLossTokens += rowLossTokens;
      if (rowLossTokens > 0) lossSequenceCount++;
    });
    paddedTokenCount += rows * length;
    lossTokenCount += microBatchLossTokens;
    const batch: TokenBatch = { inputIds, attentionMask, batch: rows, length };
    return { batch, sampleIndices, responseStarts, responseLengths, lossMask, lossTokenCount: microBatchLossTokens };
  });

  return {
    microBatches,
    microBatchOfSample,
    rowOfSample,
    tokenCount,
    paddedTokenCount,
    lossTokenCount,
    responseTokenCount,
    lossSequenceCount,
    maxResponseLength,
  };
}

function isTokenId(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 0x7fffffff;
}

function expectTokenIds(ids: readonly number[], field: string): void {
  for (let index = 0; index < ids.length; index++) {
    if (!isTokenId(ids[index]!))
      throw new InvalidInputError(`token ${index} is ${String(ids[index])}, expected an integer in [0, 2^31)`, {
        field,
      });
  }
}

/**
 * Lays `[samples, width]` values in response coordinates (sample `i`, response token `j` at `i·width + j`) onto
 * the score positions of `micro`: response token `j` of row `r` lands at `r·(length − 1) + P_r − 1 + j`. `out`
 * (`[rows, length − 1]`) is filled with 0 first, so prompt and padding positions hold 0.
 */
export function toScorePositions<Out extends Float32Array | Float64Array | Uint8Array>(
  values: ArrayLike<number>,
  width: number,
  micro: MicroBatch,
  out: Out,
): Out {
  const scoreLength = micro.batch.length - 1;
  out.fill(0);
  micro.sampleIndices.forEach((sampleIndex, row) => {
    const offset = row * scoreLength + micro.responseStarts[row]! - 1;
    const source = sampleIndex * width;
    for (let j = 0; j < micro.responseLengths[row]!; j++) out[offset + j] = values[source + j]!;
  });
  return out;
}

/** The inverse of {@link toScorePositions}: copies each row's response positions of `scores` into `out` (`[samples, width]`). */
export function fromScorePositions(
  scores: ArrayLike<number>,
  micro: MicroBatch,
  width: number,
  out: Float32Array | Float64Array,
): void {
  const scoreLength = micro.batch.length - 1;
  micro.sampleIndices.forEach((sampleIndex, row) => {
    const offset = row * scoreLength + micro.responseStarts[row]! - 1;
    const target = sampleIndex * width;
    for (let j = 0; j < micro.responseLengths[row]!; j++) out[target + j] = scores[offset + j]!;
  });
}
