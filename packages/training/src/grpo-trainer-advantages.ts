import {
  advantageEstimators,
  computeAdvantageEstimate,
  type AdvantageEstimator,
  type AdvantageEstimatorKnobs,
} from '@research-ts/grpo';
import { InvalidConfigError, InvalidInputError } from '@research-ts/spec';
import { toScorePositions, type MicroBatch, type TrainingSample } from './pack-trajectories';

/** The advantage options of `createGrpoTrainer`, as given. */
export interface AdvantageOptions {
  advantageEstimator?: AdvantageEstimator;
  advantageEpsilon?: number;
  gamma?: number;
  fNorm?: number;
}

/** {@link AdvantageOptions} checked: the estimator and the knobs it reads (unset: the estimator's default). */
export interface AdvantageSettings {
  estimator: AdvantageEstimator;
  knobs: { epsilon?: number; gamma?: number; fNorm?: number };
}

/** The trainer option behind each knob of `computeAdvantageEstimate`. */
const knobOptions = { epsilon: 'advantageEpsilon', gamma: 'gamma', fNorm: 'fNorm' } as const;

/**
 * Checks the advantage options when the trainer is created: a known `advantageEstimator` (the keys of grpo's
 * `advantageEstimators`), each knob valid by `computeAdvantageEstimate`'s own rules and read by the estimator
 * (`gamma` is REINFORCE++'s, `fNorm` GPG's, `advantageEpsilon` that of the std-scaled modes). Every error is an
 * `InvalidConfigError` naming the trainer's option.
 */
export function resolveAdvantageSettings(options: AdvantageOptions): AdvantageSettings {
  if ((options as { advantageMode?: unknown }).advantageMode !== undefined) {
    throw new InvalidConfigError(
      'advantageMode',
      'was renamed advantageEstimator (every advantage mode is an estimator of the same name)',
    );
  }
  const estimator = options.advantageEstimator ?? 'grpo';
  if (typeof estimator !== 'string' || !Object.hasOwn(advantageEstimators, estimator)) {
    throw new InvalidConfigError(
      'advantageEstimator',
      `unknown advantage estimator ${JSON.stringify(estimator)} (expected one of ${Object.keys(advantageEstimators).join(', ')})`,
    );
  }
  const knobs = { epsilon: options.advantageEpsilon, gamma: options.gamma, fNorm: options.fNorm };
  const reads: AdvantageEstimatorKnobs = advantageEstimators[estimator].defaults;
  for (const knob of Object.keys(knobOptions) as (keyof typeof knobOptions)[]) {
    if (knobs[knob] === undefined || Object.hasOwn(reads, knob)) continue;
    const readers = Object.entries(advantageEstimators)
      .filter(([, rule]) => Object.hasOwn(rule.defaults, knob))
      .map(([name]) => name);
    throw new InvalidConfigError(
      knobOptions[knob],
      `is not read by advantageEstimator "${estimator}" (only by ${readers.join(', ')})`,
    );
  }
  const settings: AdvantageSettings = { estimator, knobs: definedKnobs(knobs) };
  try {
    // the knobs by computeAdvantageEstimate's own rules, on a batch of two one-token samples
    const mask = Uint8Array.of(1, 1);
    const input = advantageEstimators[estimator].input === 'scores' ? { scores: [0, 1] } : { tokenRewards: [0, 1] };
    computeAdvantageEstimate({ estimator, ...input, groupIds: [0, 0], mask, responseLength: 1, ...settings.knobs });
  } catch (error) {
    if (error instanceof InvalidConfigError && Object.hasOwn(knobOptions, error.path)) {
      throw new InvalidConfigError(knobOptions[error.path as keyof typeof knobOptions], error.problem, {
        cause: error,
      });
    }
    throw error;
  }
  return settings;
}

function definedKnobs(knobs: AdvantageSettings['knobs']): AdvantageSettings['knobs'] {
  return Object.fromEntries(Object.entries(knobs).filter(([, value]) => value !== undefined));
}

/** The batch in response coordinates: row `i` is sample `i`, column `j` its response token `j`. */
export interface ResponseLayout {
  /** The longest response, at least 1. */
  width: number;
  /** `[samples, width]` each trajectory's loss mask, 0 past its response. */
  mask: Uint8Array;
}

export function responseLayout(samples: readonly TrainingSample[]): ResponseLayout {
  const width = Math.max(1, ...samples.map((sample) => sample.trajectory.responseIds.length));
  const mask = new Uint8Array(samples.length * width);
  samples.forEach((sample, index) => mask.set(sample.trajectory.lossMask, index * width));
  return { width, mask };
}

/** Mean, unbiased std, min and max; NaN for no value. */
export interface Summary {
  mean: number;
  std: number;
  min: number;
  max: number;
}

export function summarize(values: ArrayLike<number>): Summary {
  const count = values.length;
  if (count === 0) return { mean: Number.NaN, std: Number.NaN, min: Number.NaN, max: Number.NaN };
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let index = 0; index < count; index++) {
    sum += values[index]!;
    min = Math.min(min, values[index]!);
    max = Math.max(max, values[index]!);
  }
  const mean = sum / count;
  let squares = 0;
  for (let index = 0; index < count; index++) squares += (values[index]! - mean) ** 2;
  return { mean, std: count < 2 ? 0 : Math.sqrt(squares / (count - 1)), min, max };
}

/** The advantages of a batch, per sample or per token, and their summary for the step's metrics. */
export interface BatchAdvantages {
  /** `[samples]` for a sequence-level estimator (the `[rows]` advantages `computeActorLoss` spreads itself); else null. */
  perSample: Float64Array | null;
  /** `[samples, width]` for a token-level estimator (0 where the mask is 0); else null. */
  perToken: Float64Array | null;
  /** Over the samples (sequence level) or over the loss tokens (token level). */
  summary: Summary;
}

/**
 * The advantages of a batch by the configured estimator (`computeAdvantageEstimate`), from each sample's
 * reward and group and the loss mask `mask` (`[samples, width]`: the trajectories' masks, or the rollout
 * correction's). REINFORCE++ reads per-token rewards: the reward sits on each response's last token, as verl
 * puts the score at the last valid response position, and the return is cut where the mask is 0.
 */
export function estimateAdvantages(
  samples: readonly TrainingSample[],
  layout: ResponseLayout,
  settings: AdvantageSettings,
): BatchAdvantages {
  const { estimator, knobs } = settings;
  const rule = advantageEstimators[estimator];
  const { width, mask } = layout;
  const groupIds = samples.map((sample) => sample.groupId);
  let tokenCount = 0;
  for (const m of mask) tokenCount += m;
  if (rule.level === 'token' && tokenCount < 2) {
    if (tokenCount === 0) {
      // no token in the loss: the step is skipped, and there is nothing to whiten
      return { perSample: null, perToken: new Float64Array(mask.length), summary: summarize([]) };
    }
    throw new InvalidInputError(
      `advantageEstimator "${estimator}" whitens over the loss tokens of the batch and needs at least 2, got 1`,
      { field: 'samples' },
    );
  }
  const input =
    rule.input === 'scores' ? { scores: samples.map((sample) => sample.reward) } : { tokenRewards: lastTokenRewards() };
  const estimate = computeAdvantageEstimate({ estimator, ...input, groupIds, mask, responseLength: width, ...knobs });
  if (estimate.sampleAdvantages !== null) {
    return { perSample: estimate.sampleAdvantages, perToken: null, summary: summarize(estimate.sampleAdvantages) };
  }
  const inLoss = estimate.advantages.filter((_, index) => mask[index] !== 0);
  return { perSample: null, perToken: estimate.advantages, summary: summarize(inLoss) };

  function lastTokenRewards(): Float64Array {
    const rewards = new Float64Array(samples.length * width);
    samples.forEach((sample, index) => {
      const length = sample.trajectory.responseIds.length;
      if (length > 0) rewards[index * width + length - 1] = sample.reward;
    });
    return rewards;
  }
}

/**
 * The advantages of one micro-batch as `computeActorLoss` reads them: `[rows]` per sample, or
 * `[rows, length − 1]` with response token `j` of row `r` at its score position `P_r − 1 + j` (0 elsewhere).
 */
export function microBatchAdvantages(advantages: BatchAdvantages, micro: MicroBatch, width: number): Float64Array {
  if (advantages.perSample !== null) {
    const perSample = advantages.perSample;
    return Float64Array.from(micro.sampleIndices, (index) => perSample[index]!);
  }
  const out = new Float64Array(micro.batch.batch * (micro.batch.length - 1));
  return toScorePositions(advantages.perToken!, width, micro, out);
}
