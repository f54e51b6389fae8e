import type { TokenBatch } from '@research-ts/spec';
import { createGrpoTrainer, type GrpoStepMetrics, type GrpoTrainerOptions } from '../src/grpo-trainer';
import type { TrainingSample } from '../src/pack-trajectories';
import { makeTrajectory } from './make-trajectory';
import { createTinyPolicy, type TinyPolicy } from './tiny-policy';

/** Token ids of the toy vocabulary: 0 EOS/pad, 1–4 words, 5 a prompt marker, 6 an inserted result token. */
export const vocabSize = 7;

export const sample = (
  groupId: string,
  reward: number,
  promptIds: number[],
  responseIds: number[],
  lossMask?: number[],
): TrainingSample => ({ trajectory: makeTrajectory(promptIds, responseIds, lossMask), groupId, reward });

/** Two prompts × four rollouts; the rewarded rollouts use words 1, 2, the others 3, 4; two carry an inserted result. */
export const samples: TrainingSample[] = [
  sample('q1', 1, [5], [1, 2, 1, 2]),
  sample('q1', 0, [5], [3, 4, 6, 6, 3, 4], [1, 1, 0, 0, 1, 1]),
  sample('q1', 0.8, [5], [1, 2, 2, 1, 0]),
  sample('q1', 0.1, [5], [4, 3, 4, 4]),
  sample('q2', 0.5, [5, 2], [2, 1, 2]),
  sample('q2', 0, [5, 2], [3, 6, 6, 6, 4, 0], [1, 0, 0, 0, 1, 1]),
  sample('q2', 1, [5, 2], [1, 1]),
  sample('q2', 0.1, [5, 2], [4, 4, 3]),
];

/** A policy, a frozen reference copy of its initial weights, and a trainer over them. */
export function setup(overrides: Partial<GrpoTrainerOptions> = {}, seed = 11) {
  const policy = createTinyPolicy({ vocabSize, hiddenSize: 4, seed });
  const reference = createTinyPolicy({ vocabSize, hiddenSize: 4, seed, parameters: policy.parameters });
  const trainer = createGrpoTrainer({ policy, reference, maxTokensPerMicroBatch: 1000, ...overrides });
  return { policy, reference, trainer };
}

/** Per sample, the float32 score of each response token from a one-row batch. */
export async function responseScores(policy: Pick<TinyPolicy, 'scoreTokens'>, list: readonly TrainingSample[]) {
  return Promise.all(
    list.map(async ({ trajectory }) => {
      const ids = [...trajectory.promptIds, ...trajectory.responseIds];
      const batch: TokenBatch = {
        inputIds: Int32Array.from(ids),
        attentionMask: new Uint8Array(ids.length).fill(1),
        batch: 1,
        length: ids.length,
      };
      const scores = await policy.scoreTokens(batch);
      const start = trajectory.promptIds.length - 1;
      return {
        logprobs: scores.logprobs.slice(start, start + trajectory.responseIds.length),
        entropies: scores.entropies.slice(start, start + trajectory.responseIds.length),
      };
    }),
  );
}

/**
 * The batch in response coordinates (`[samples, width]`, row-major, width the longest response) as
 * `computeActorLoss` takes a full batch: the scores of `policy` and `reference`, and the loss mask.
 */
export async function fullBatch(
  policy: Pick<TinyPolicy, 'scoreTokens'>,
  reference: Pick<TinyPolicy, 'scoreTokens'>,
  list: readonly TrainingSample[],
) {
  const width = Math.max(...list.map((item) => item.trajectory.responseIds.length));
  const size = list.length * width;
  const logprobs = new Float32Array(size);
  const entropies = new Float32Array(size);
  const refLogprobs = new Float32Array(size);
  const mask = new Uint8Array(size);
  const own = await responseScores(policy, list);
  const ref = await responseScores(reference, list);
  list.forEach((item, index) => {
    logprobs.set(own[index]!.logprobs, index * width);
    entropies.set(own[index]!.entropies, index * width);
    refLogprobs.set(ref[index]!.logprobs, index * width);
    mask.set(item.trajectory.lossMask, index * width);
  });
  return { width, logprobs, entropies, refLogprobs, mask };
}

/** `list` with the loss mask of sample `index` replaced. */
export function withMask(list: readonly TrainingSample[], index: number, lossMask: number[]): TrainingSample[] {
  return list.map((item, at) =>
    at === index ? { ...item, trajectory: { ...item.trajectory, lossMask: Uint8Array.from(lossMask) } } : item,
  );
}

export const withoutTimings = (metrics: GrpoStepMetrics) => ({ ...metrics, timings: undefined });
