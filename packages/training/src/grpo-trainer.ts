import {
  type ActorLossBatch,
  type ActorLossMetrics,
  type ActorLossOptions,
  actorLossDefaultsFor,
  type AdamWState,
  type AdvantageEstimator,
  checkActorLossSettings,
  computeActorLoss,
  computeAggregationWeights,
  expectNumber,
  klEstimatorRule,
  learningRateFactor,
  type LearningRateSchedule,
  policyLossRule,
  researchActorLossDefaults,
  type RolloutCorrectionSettings,
} from '@research-ts/grpo';
import {
  checkParameterUpdate,
  InvalidConfigError,
  InvalidInputError,
  ResearchError,
  sumOfSquares,
  type ParameterUpdate,
  type TokenBatch,
  type TokenScores,
  type TrainablePolicy,
} from '@research-ts/spec';
import {
  estimateAdvantages,
  microBatchAdvantages,
  resolveAdvantageSettings,
  responseLayout,
  summarize,
  type ResponseLayout,
  type Summary,
} from './grpo-trainer-advantages';
import {
  checkRolloutCorrection,
  checkRolloutLogprobs,
  correctBatch,
  type GrpoRolloutCorrectionMetrics,
} from './grpo-trainer-rollout-correction';
import { globalLossAggregation } from './global-aggregation';
import { packTrajectories, type MicroBatch, type TrainingSample } from './pack-trajectories';

/** A frozen copy of the policy that scores tokens for the KL term (only its log-probabilities are read). */
export interface ReferencePolicy {
  scoreTokens(batch: TokenBatch): Promise<TokenScores>;
}

/**
 * The loss knobs of {@link computeActorLoss}, `policyLoss` (vanilla, dapo, gspo, cispo, sapo, geo-mean, clip-cov,
 * kl-cov) among them; an unset knob takes the selected loss's default (`actorLossDefaultsFor(policyLoss)`:
 * {@link researchActorLossDefaults} under the loss's own, e.g. gspo's clip 3e-4 / 4e-4 and seq-mean-token-mean).
 */
export type GrpoLossOptions = Omit<ActorLossOptions, keyof ActorLossBatch | 'out'>;

/** AdamW's knobs (PyTorch's defaults but the learning rate, which is ReSearch's). */
export interface GrpoOptimizerOptions {
  /** Default 1e-6 (ReSearch). */
  lr?: number;
  /** Default `[0.9, 0.999]`. */
  betas?: readonly [number, number];
  /** Default 1e-8. */
  eps?: number;
  /** Default 0.01. */
  weightDecay?: number;
}

export interface GrpoTrainerOptions {
  /**
   * The policy being trained: it accumulates the gradients and applies each update to its own
   * parameters and optimizer moments (on a GPU they stay on the device). It may reuse its output
   * buffers from call to call (the trainer copies what it keeps); the upstream gradients passed to
   * `accumulateGradients` are the trainer's, reused after it resolves.
   */
  policy: TrainablePolicy;
  /** A frozen copy of the initial policy; required when the KL coefficient is not 0 (the default is 0.001). */
  reference?: ReferencePolicy;
  optimizer?: GrpoOptimizerOptions;
  /** Multiplies the learning rate per optimizer update; default constant (ReSearch). */
  schedule?: LearningRateSchedule;
  /** Default {@link researchActorLossDefaults}: vanilla PPO clip 0.2, k3 KL 0.001, entropy 0.001, token-mean. */
  lossOptions?: GrpoLossOptions;
  /**
   * How advantages are formed from the rewards: a key of grpo's `advantageEstimators` (replaces the former
   * `advantageMode`, whose values are estimators of the same names). Default `'grpo'`:
   * `(r − group mean) / (unbiased group std + 1e-6)`. Sequence-level estimators (`grpo`, `dr-grpo`, `trl-*`,
   * `rloo`, `opo`, `gpg`) give each sample one advantage for all its loss tokens; token-level ones
   * (`reinforce-plus-plus`, `reinforce-plus-plus-baseline`) one per token, whitened over the batch's loss tokens.
   */
  advantageEstimator?: AdvantageEstimator;
  /** The ε of the std-scaled estimators (`grpo`, `trl-group`, `trl-batch`); default: the estimator's own. */
  advantageEpsilon?: number;
  /** The discount of REINFORCE++'s token returns (verl `algorithm.gamma`), in [0, 1]; default 1. */
  gamma?: number;
  /** GPG's divisor (verl `f_norm`), > 0; default 1. */
  fNorm?: number;
  /**
   * Correct for rollouts sampled by another engine or checkpoint (grpo's `computeRolloutCorrection`): the
   * trainer's old log-probabilities (before the update) against each sample's `rolloutLogprobs`, over the whole
   * batch; the tokens or sequences it rejects leave the loss (every term, and the normalisers count only the
   * tokens kept, as verl replaces `response_mask`), and the importance weights of the `*-tis` / `*-mis` modes
   * scale each token's policy-loss term and its gradient (`computeActorLoss`'s `tokenWeights`), not the KL or
   * entropy terms. Off by default.
   */
  rolloutCorrection?: RolloutCorrectionSettings;
  /** The most padded tokens the policy sees in one `scoreTokens` / `accumulateGradients` call (see {@link packTrajectories}). */
  maxTokensPerMicroBatch: number;
  /** The id written into padding positions; default 0. */
  padId?: number;
  /** Global gradient-norm clip (`torch.nn.utils.clip_grad_norm_`); default 1.0, `Infinity` turns it off. */
  gradClip?: number;
  /** Optimizer updates per batch (each over the whole batch); default 1 (ReSearch). */
  ppoEpochs?: number;
  /**
   * Score the batch again for the first epoch's loss, as verl does (default true). The policy has not
   * changed since the old log-probabilities were computed, so with a deterministic `scoreTokens`
   * `false` gives the same numbers for one forward pass less per micro-batch.
   */
  rescoreFirstEpoch?: boolean;
}

/** Why a step left the parameters untouched. */
export type GrpoSkipReason = 'non-finite-reward' | 'no-loss-tokens' | 'non-finite-loss' | 'non-finite-grad-norm';

/** One optimizer update: the loss over the whole batch at the parameters before it. */
export interface GrpoEpochMetrics {
  loss: number;
  pgLoss: number;
  /** Absent without a reference policy. */
  klLoss?: number;
  entropy: number;
  /** Token fractions over the whole batch. */
  pgClipFrac: number;
  pgClipFracLower: number;
  ppoKl: number;
  ratioMean: number;
  ratioMin: number;
  ratioMax: number;
  nonFiniteTokenCount: number;
  /** The global gradient norm before clipping (NaN when the loss was not finite and no gradient was taken). */
  gradNorm: number;
  /** The learning rate of the update (NaN when skipped). */
  learningRate: number;
}

/** Milliseconds per phase of one step. `policyMs` is the time inside the policy and the reference. */
export interface GrpoStepTimings {
  packMs: number;
  oldScoresMs: number;
  referenceScoresMs: number;
  scoresMs: number;
  lossMs: number;
  /** `policy.accumulateGradients`: the backward pass and the accumulation, in the policy. */
  backwardMs: number;
  /** `policy.applyUpdate`: clipping and AdamW, in the policy. */
  optimizerMs: number;
  totalMs: number;
  policyMs: number;
  /** `totalMs − policyMs`: what the trainer itself costs. */
  overheadMs: number;
}

export interface GrpoStepMetrics {
  /** Steps taken by this trainer, this one included (skipped ones too). */
  step: number;
  /** Optimizer updates so far (drives the learning-rate schedule). */
  optimizerStep: number;
  /** The mean over the epochs of this step (the one epoch by default). */
  loss: number;
  pgLoss: number;
  klLoss?: number;
  entropy: number;
  pgClipFrac: number;
  pgClipFracLower: number;
  ppoKl: number;
  gradNorm: number;
  learningRate: number;
  /** Over samples; the std is unbiased. */
  rewardMean: number;
  rewardStd: number;
  rewardMin: number;
  rewardMax: number;
  /**
   * Per-sample advantages for a sequence-level estimator, per loss token for a token-level one (NaN when no
   * token is in the loss); the std is unbiased.
   */
  advantageMean: number;
  advantageStd: number;
  advantageMin: number;
  advantageMax: number;
  sampleCount: number;
  groupCount: number;
  /** Real tokens (prompts and responses). */
  tokenCount: number;
  /** Tokens in the loss (generated response tokens). */
  lossTokenCount: number;
  responseTokenCount: number;
  /** Tokens the policy computed on, padding included. */
  paddedTokenCount: number;
  microBatchCount: number;
  epochs: GrpoEpochMetrics[];
  timings: GrpoStepTimings;
  /** With `rolloutCorrection`, once the old log-probabilities are known (absent when the step stopped earlier). */
  rolloutCorrection?: GrpoRolloutCorrectionMetrics;
}

export type GrpoStepResult =
  | { skipped: false; metrics: GrpoStepMetrics }
  | { skipped: true; reason: GrpoSkipReason; message: string; metrics: GrpoStepMetrics };

/**
 * A checkpoint of the trainer (the parameters are the policy's to save): the step counters, and the
 * optimizer as `createAdamW` saves it — its update count (which drives the schedule) and the moments
 * the policy holds (`policy.readOptimizerState()`).
 */
export interface GrpoTrainerState {
  step: number;
  skippedSteps: number;
  optimizer: AdamWState;
}

export interface GrpoGradients {
  /** The loss of the whole batch. */
  loss: number;
  /** Copies of the accumulated gradients, before clipping, by parameter name. */
  gradients: Map<string, Float32Array>;
  metrics: GrpoEpochMetrics;
}

export interface GrpoTrainer {
  /** Steps completed, skipped ones included. */
  readonly stepCount: number;
  readonly skippedSteps: number;
  /** One GRPO update on a batch of scored rollouts (see {@link createGrpoTrainer}); one call at a time. */
  step(samples: readonly TrainingSample[]): Promise<GrpoStepResult>;
  /**
   * The loss of a batch and its gradient as `step` would compute them in its first epoch, without
   * clipping or an update and without counting a step. With a non-finite loss it stops at that
   * micro-batch: `metrics.gradNorm` is NaN and the gradients are partial.
   */
  computeGradients(samples: readonly TrainingSample[]): Promise<GrpoGradients>;
  /** A deep copy of the optimizer state (read back from the policy) and the step counters. */
  state(): Promise<GrpoTrainerState>;
  /** Restores the counters and loads the moments into the policy; not while a step runs. */
  loadState(state: GrpoTrainerState): Promise<void>;
}

/** Everything one batch needs before its epochs run. */
interface PreparedBatch {
  microBatches: MicroBatch[];
  /** Per micro-batch, `[rows]` (sequence-level estimator) or `[rows, length − 1]` (token-level). */
  advantages: Float64Array[];
  advantageSummary: Summary;
  oldScores: TokenScores[];
  refLogprobs: (Float32Array | undefined)[];
  /** Per micro-batch, the rollout correction's importance weights on the score positions, if any. */
  tokenWeights: (Float32Array | undefined)[];
  lossOptions: GrpoLossOptions & { aggregation: NonNullable<GrpoLossOptions['aggregation']> };
  counts: PackedCounts;
  rolloutCorrection?: GrpoRolloutCorrectionMetrics;
}

/**
 * A GRPO trainer over any {@link TrainablePolicy}, with ReSearch's recipe as defaults
 * (research-paper §1.5: one update per batch, clip 0.2, k3 KL 0.001 as a loss, entropy 0.001,
 * token-mean, grad clip 1.0, AdamW at a constant 1e-6).
 *
 * `step(samples)`:
 * 1. the samples packed into micro-batches of at most `maxTokensPerMicroBatch` padded tokens;
 * 2. old log-probabilities from the policy before any update; with `rolloutCorrection`, the correction against
 *    the samples' `rolloutLogprobs`, whose rejected tokens leave the loss mask;
 * 3. advantages from the rewards (`advantageEstimator`): one per sample applied to every token of its
 *    response where the loss mask is 1 (inserted `<result>` tokens get none), or one per such token laid on
 *    its score position; reference log-probabilities from `reference`;
 * 4. per epoch, per micro-batch: scores → {@link computeActorLoss} with every normaliser fixed to the
 *    whole batch ({@link globalAggregation}), so that the micro-batch gradients add up to exactly the
 *    gradient of the full-batch loss → `policy.accumulateGradients`; then one `policy.applyUpdate`
 *    (the policy clips the global gradient norm and steps AdamW on its own state) with the learning
 *    rate of this update from `schedule`. Only scalars come back: the norm and whether it was applied.
 *
 * A non-finite reward, loss or gradient norm, or a batch without a token in the loss, skips the update
 * and leaves the parameters untouched (with `ppoEpochs > 1`, the updates of earlier epochs stay); the
 * result says why.
 */
export function createGrpoTrainer(options: GrpoTrainerOptions): GrpoTrainer {
  const { policy, reference, maxTokensPerMicroBatch } = options;
  const padId = options.padId ?? 0;
  const gradClip = options.gradClip ?? 1.0;
  const ppoEpochs = options.ppoEpochs ?? 1;
  const rescoreFirstEpoch = options.rescoreFirstEpoch ?? true;
  const advantageSettings = resolveAdvantageSettings(options);
  const policyLoss = options.lossOptions?.policyLoss ?? researchActorLossDefaults.policyLoss;
  policyLossRule(policyLoss, 'lossOptions.policyLoss');
  const lossOptions = { ...actorLossDefaultsFor(policyLoss), ...definedEntries(options.lossOptions ?? {}) };
  const rolloutCorrection = options.rolloutCorrection;
  const weighted = rolloutCorrection === undefined ? false : checkRolloutCorrection(rolloutCorrection).weighted;
  expectNumber(
    'maxTokensPerMicroBatch',
    maxTokensPerMicroBatch,
    (value) => Number.isInteger(value) && value >= 2,
    'must be an integer ≥ 2',
  );
  expectNumber('padId', padId, (value) => Number.isInteger(value) && value >= 0, 'must be an integer ≥ 0');
  expectNumber('gradClip', gradClip, (value) => value > 0, 'must be > 0 (Infinity for no clipping)');
  expectNumber('ppoEpochs', ppoEpochs, (value) => Number.isInteger(value) && value >= 1, 'must be an integer ≥ 1');
  checkActorLossSettings(lossOptions, 'lossOptions.'); // every loss knob now, not at the first loss
  klEstimatorRule(lossOptions.klEstimator);
  if (lossOptions.klCoefficient !== 0 && reference === undefined) {
    throw new InvalidConfigError(
      'reference',
      `a reference policy is required when lossOptions.klCoefficient is ${lossOptions.klCoefficient} (set it to 0 to train without one)`,
    );
  }
  computeAggregationWeights(new Uint8Array(1), 1, lossOptions.aggregation); // validates the aggregation now
  if (policy.parameterSizes.size === 0)
    throw new InvalidConfigError('policy.parameterSizes', 'the policy has no trainable parameters');
  const schedule = options.schedule ?? { kind: 'constant' };
  learningRateFactor(schedule, 0); // validates the schedule now rather than at the first update
  const baseLearningRate = options.optimizer?.lr ?? 1e-6;
  expectNumber(
    'optimizer.lr',
    baseLearningRate,
    (value) => value >= 0 && Number.isFinite(value),
    'must be a finite number ≥ 0',
  );
  /** The update of every optimizer step but its learning rate (PyTorch's AdamW defaults, ReSearch's lr). */
  const updateSettings: Omit<ParameterUpdate, 'learningRate'> = {
    betas: options.optimizer?.betas ?? [0.9, 0.999],
    eps: options.optimizer?.eps ?? 1e-8,
    weightDecay: options.optimizer?.weightDecay ?? 0.01,
    maxGradNorm: gradClip,
  };
  checkOptimizerSettings({ ...updateSettings, learningRate: baseLearningRate }, policy.parameterSizes);

  let stepCount = 0;
  let skippedSteps = 0;
  /** Optimizer updates applied (drives the schedule). */
  let updateCount = 0;
  let busy = false;
  let upstreamLogprobs = new Float32Array(0);
  let upstreamEntropies = new Float32Array(0);

  function expectScores(scores: TokenScores, micro: MicroBatch, source: string, entropies: boolean): void {
    const size = micro.batch.batch * (micro.batch.length - 1);
    if (!(scores.logprobs instanceof Float32Array) || scores.logprobs.length !== size) {
      throw new InvalidInputError(
        `returned ${describeArray(scores.logprobs)} logprobs for a [${micro.batch.batch}, ${micro.batch.length - 1}] batch`,
        { field: source },
      );
    }
    if (entropies && (!(scores.entropies instanceof Float32Array) || scores.entropies.length !== size)) {
      throw new InvalidInputError(
        `returned ${describeArray(scores.entropies)} entropies for a [${micro.batch.batch}, ${micro.batch.length - 1}] batch`,
        { field: source },
      );
    }
  }

  /** The old scores of each micro-batch, copied (a policy may fill the same output buffers on its next call). */
  async function scoreOld(microBatches: readonly MicroBatch[], timings: GrpoStepTimings): Promise<TokenScores[]> {
    const oldScores: TokenScores[] = [];
    for (const micro of microBatches) {
      const start = performance.now();
      const scores = await policy.scoreTokens(micro.batch);
      timings.oldScoresMs += performance.now() - start;
      expectScores(scores, micro, 'policy.scoreTokens', true);
      oldScores.push({ logprobs: scores.logprobs.slice(), entropies: scores.entropies.slice() });
    }
    return oldScores;
  }

  async function scoreReference(microBatches: readonly MicroBatch[], timings: GrpoStepTimings) {
    const refLogprobs: (Float32Array | undefined)[] = [];
    for (const micro of microBatches) {
      if (reference === undefined) {
        refLogprobs.push(undefined);
        continue;
      }
      const start = performance.now();
      const referenceScores = await reference.scoreTokens(micro.batch);
      timings.referenceScoresMs += performance.now() - start;
      expectScores(referenceScores, micro, 'reference.scoreTokens', false);
      refLogprobs.push(referenceScores.logprobs.slice());
    }
    return refLogprobs;
  }

  /**
   * Packing, old scores, the rollout correction (which may take tokens and micro-batches out of the loss), the
   * advantages on the final mask, the normalisers of the whole batch, reference scores.
   */
  async function prepare(samples: readonly TrainingSample[], timings: GrpoStepTimings): Promise<PreparedBatch> {
    let start = performance.now();
    const packed = packTrajectories(samples, { maxTokensPerMicroBatch, padId });
    let layout = responseLayout(samples);
    let microBatches = packed.microBatches.filter((micro) => micro.lossTokenCount > 0);
    timings.packMs += performance.now() - start;
    let oldScores = await scoreOld(microBatches, timings);
    let correction: GrpoRolloutCorrectionMetrics | undefined;
    let tokenWeights: (Float32Array | undefined)[] = microBatches.map(() => undefined);
    if (rolloutCorrection !== undefined && microBatches.length > 0) {
      start = performance.now();
      const corrected = correctBatch(samples, layout, microBatches, oldScores, rolloutCorrection, weighted);
      ({ microBatches, oldScores, tokenWeights } = corrected);
      layout = { ...layout, mask: corrected.mask };
      correction = corrected.report;
      timings.packMs += performance.now() - start;
    }
    start = performance.now();
    const advantages = estimateAdvantages(samples, layout, advantageSettings);
    const totals = lossTotals(layout);
    const aggregation = globalLossAggregation(
      lossOptions.aggregation,
      { ...totals, sequenceCount: samples.length, maxResponseLength: packed.maxResponseLength },
      policyLoss,
    );
    const counts: PackedCounts = {
      ...countsOf(packed, microBatches.length),
      lossTokenCount: totals.lossTokenCount,
      // the micro-batches without a token in the loss are not run
      paddedTokenCount: microBatches.reduce((sum, micro) => sum + micro.batch.batch * micro.batch.length, 0),
    };
    const microAdvantages = microBatches.map((micro) => microBatchAdvantages(advantages, micro, layout.width));
    timings.packMs += performance.now() - start;
    const refLogprobs = await scoreReference(microBatches, timings);
    const prepared: PreparedBatch = {
      microBatches,
      advantages: microAdvantages,
      advantageSummary: advantages.summary,
      oldScores,
      refLogprobs,
      tokenWeights,
      lossOptions: { ...lossOptions, aggregation },
      counts,
    };
    if (correction !== undefined) prepared.rolloutCorrection = correction;
    return prepared;
  }

  /**
   * The loss of the whole batch and its gradient, accumulated over the micro-batches in the policy
   * (from zero); returns the micro-batch whose loss was not finite (the policy then holds the gradients
   * of the micro-batches before it), or −1.
   */
  async function accumulate(prepared: PreparedBatch, epoch: number, timings: GrpoStepTimings) {
    const sums = new LossSums();
    let start = performance.now();
    await policy.zeroGradients();
    timings.backwardMs += performance.now() - start;
    for (const [index, micro] of prepared.microBatches.entries()) {
      start = performance.now();
      let scores = prepared.oldScores[index]!;
      if (epoch > 0 || rescoreFirstEpoch) {
        scores = await policy.scoreTokens(micro.batch);
        timings.scoresMs += performance.now() - start;
        expectScores(scores, micro, 'policy.scoreTokens', true);
      }
      start = performance.now();
      const size = micro.lossMask.length;
      if (upstreamLogprobs.length < size) {
        upstreamLogprobs = new Float32Array(size);
        upstreamEntropies = new Float32Array(size);
      }
      const refLogprobs = prepared.refLogprobs[index];
      const tokenWeights = prepared.tokenWeights[index];
      const result = computeActorLoss({
        ...prepared.lossOptions,
        logprobs: scores.logprobs,
        oldLogprobs: prepared.oldScores[index]!.logprobs,
        ...(refLogprobs === undefined ? {} : { refLogprobs }),
        ...(tokenWeights === undefined ? {} : { tokenWeights }),
        entropies: scores.entropies,
        advantages: prepared.advantages[index]!,
        mask: micro.lossMask,
        responseLength: micro.batch.length - 1,
        out: { gradLogprobs: upstreamLogprobs.subarray(0, size), gradEntropies: upstreamEntropies.subarray(0, size) },
      });
      sums.add(result.metrics);
      timings.lossMs += performance.now() - start;
      if (!result.metrics.isFinite) return { sums, nonFiniteMicroBatch: index, nonFiniteMetrics: result.metrics };

      start = performance.now();
      await policy.accumulateGradients(micro.batch, {
        gradLogprobs: result.gradLogprobs,
        gradEntropies: result.gradEntropies,
      });
      timings.backwardMs += performance.now() - start;
    }
    return { sums, nonFiniteMicroBatch: -1, nonFiniteMetrics: undefined };
  }

  function validateSamples(samples: readonly TrainingSample[]): void {
    if (!Array.isArray(samples) || samples.length === 0)
      throw new InvalidInputError('no samples to train on', { field: 'samples' });
    samples.forEach((sample, index) => {
      if (typeof sample.reward !== 'number')
        throw new InvalidInputError(`reward is ${typeof sample.reward}, expected a number`, {
          field: `samples.${index}.reward`,
        });
      if (typeof sample.groupId !== 'string' && typeof sample.groupId !== 'number') {
        throw new InvalidInputError(`groupId is ${typeof sample.groupId}, expected a string or a number`, {
          field: `samples.${index}.groupId`,
        });
      }
    });
    if (rolloutCorrection !== undefined) checkRolloutLogprobs(samples);
  }

  /** Runs `work` alone: the gradient buffers are shared, so a second call must wait for the first. */
  async function exclusive<T>(what: string, work: () => Promise<T>): Promise<T> {
    if (busy)
      throw new ResearchError(`${what}() was called while another step was running; await each call before the next`);
    busy = true;
    try {
      return await work();
    } finally {
      busy = false;
    }
  }

  async function runStep(samples: readonly TrainingSample[]): Promise<GrpoStepResult> {
    const stepStart = performance.now();
    validateSamples(samples);
    const timings = emptyTimings();
    const rewards = samples.map((sample) => sample.reward);
    const base = {
      rewards: summarize(rewards),
      sampleCount: samples.length,
      groupCount: new Set(samples.map((sample) => sample.groupId)).size,
    };
    /** Filled in once known: the advantages' summary and the rollout correction's report. */
    let batchMetrics: Pick<PreparedBatch, 'advantageSummary' | 'rolloutCorrection'>;
    const finish = (epochs: GrpoEpochMetrics[], packedCounts: PackedCounts): GrpoStepMetrics => {
      stepCount++;
      timings.totalMs = performance.now() - stepStart;
      timings.policyMs =
        timings.oldScoresMs + timings.referenceScoresMs + timings.scoresMs + timings.backwardMs + timings.optimizerMs;
      timings.overheadMs = timings.totalMs - timings.policyMs;
      const { advantageSummary: advantages, rolloutCorrection: correction } = batchMetrics;
      const counters = { step: stepCount, optimizerStep: updateCount };
      const metrics = stepMetrics({ ...counters, epochs, timings, ...base, advantages, ...packedCounts });
      if (correction !== undefined) metrics.rolloutCorrection = correction;
      return metrics;
    };
    const skip = (
      reason: GrpoSkipReason,
      message: string,
      epochs: GrpoEpochMetrics[],
      counts: PackedCounts,
    ): GrpoStepResult => {
      skippedSteps++;
      return { skipped: true, reason, message, metrics: finish(epochs, counts) };
    };

    const badRewards = rewards.flatMap((reward, index) => (Number.isFinite(reward) ? [] : [index]));
    if (badRewards.length > 0) {
      const packed = packTrajectories(samples, { maxTokensPerMicroBatch, padId });
      const counts = { ...countsOf(packed, 0), paddedTokenCount: 0 };
      batchMetrics = {
        advantageSummary: estimateAdvantages(samples, responseLayout(samples), advantageSettings).summary,
      };
      return skip('non-finite-reward', `non-finite reward in samples ${badRewards.join(', ')}`, [], counts);
    }
    const prepared = await prepare(samples, timings);
    batchMetrics = prepared;
    const { counts } = prepared;
    if (prepared.microBatches.length === 0) {
      const message =
        prepared.rolloutCorrection === undefined
          ? 'no sample has a token in the loss (every loss mask is 0)'
          : 'no token is left in the loss (the rollout correction rejected every one)';
      return skip('no-loss-tokens', message, [], counts);
    }

    const epochs: GrpoEpochMetrics[] = [];
    for (let epoch = 0; epoch < ppoEpochs; epoch++) {
      const outcome = await accumulate(prepared, epoch, timings);
      if (outcome.nonFiniteMicroBatch >= 0) {
        const metrics = outcome.nonFiniteMetrics!;
        epochs.push(outcome.sums.epochMetrics(Number.NaN, Number.NaN));
        await policy.zeroGradients();
        const message = `non-finite loss ${metrics.loss} in micro-batch ${outcome.nonFiniteMicroBatch} of epoch ${epoch} (${metrics.nonFiniteTokenCount} tokens with non-finite inputs)`;
        return skip('non-finite-loss', message, epochs, counts);
      }
      const learningRate = baseLearningRate * learningRateFactor(schedule, updateCount);
      const start = performance.now();
      const { gradNorm, applied } = await policy.applyUpdate({ ...updateSettings, learningRate });
      timings.optimizerMs += performance.now() - start;
      if (!applied) {
        epochs.push(outcome.sums.epochMetrics(gradNorm, Number.NaN));
        return skip('non-finite-grad-norm', `gradient norm ${gradNorm} in epoch ${epoch}`, epochs, counts);
      }
      updateCount++;
      epochs.push(outcome.sums.epochMetrics(gradNorm, learningRate));
    }
    return { skipped: false, metrics: finish(epochs, counts) };
  }

  async function runComputeGradients(samples: readonly TrainingSample[]): Promise<GrpoGradients> {
    validateSamples(samples);
    const prepared = await prepare(samples, emptyTimings());
    const outcome = await accumulate(prepared, 0, emptyTimings());
    const gradients = await policy.readGradients();
    await policy.zeroGradients();
    let squares = 0;
    for (const gradient of gradients.values()) squares += sumOfSquares(gradient);
    const metrics = outcome.sums.epochMetrics(
      outcome.nonFiniteMicroBatch >= 0 ? Number.NaN : Math.sqrt(squares),
      Number.NaN,
    );
    return { loss: metrics.loss, gradients, metrics };
  }

  return {
    get stepCount() {
      return stepCount;
    },
    get skippedSteps() {
      return skippedSteps;
    },
    step: (samples) => exclusive('step', () => runStep(samples)),
    computeGradients: (samples) => exclusive('computeGradients', () => runComputeGradients(samples)),
    state: () =>
      exclusive('state', async () => ({
        step: stepCount,
        skippedSteps,
        optimizer: { step: updateCount, parameters: await policy.readOptimizerState() },
      })),
    loadState: (state: GrpoTrainerState) =>
      exclusive('loadState', async () => {
        expectNumber(
          'state.step',
          state.step,
          (value) => Number.isInteger(value) && value >= 0,
          'must be an integer ≥ 0',
        );
        expectNumber(
          'state.skippedSteps',
          state.skippedSteps,
          (value) => Number.isInteger(value) && value >= 0 && value <= state.step,
          'must be an integer in [0, state.step]',
        );
        expectNumber(
          'state.optimizer.step',
          state.optimizer?.step,
          (value) => Number.isInteger(value) && value >= 0,
          'must be an integer ≥ 0',
        );
        await policy.loadOptimizerState(state.optimizer.parameters);
        stepCount = state.step;
        skippedSteps = state.skippedSteps;
        updateCount = state.optimizer.step;
      }),
  };
}

/**
 * Checks the optimizer options against the seam's rules ({@link checkParameterUpdate}) when the trainer
 * is created, so that a bad value fails before any work; the error names the trainer's option.
 */
function checkOptimizerSettings(update: ParameterUpdate, parameterSizes: ReadonlyMap<string, number>): void {
  try {
    checkParameterUpdate(update, parameterSizes);
  } catch (error) {
    if (error instanceof InvalidConfigError) throw new InvalidConfigError('optimizer', error.problem, { cause: error });
    throw error;
  }
}

function describeArray(values: unknown): string {
  if (values instanceof Float32Array) return `${values.length}`;
  if (ArrayBuffer.isView(values)) return `a ${values.constructor.name} instead of a Float32Array of`;
  return `no (${typeof values})`;
}

/** Sums of micro-batch metrics; with global normalisers the losses add up to the batch's. */
class LossSums {
  loss = 0;
  pgLoss = 0;
  klLoss: number | undefined = undefined;
  entropy = 0;
  tokens = 0;
  clipped = 0;
  clippedLower = 0;
  negativeLogRatio = 0;
  ratio = 0;
  ratioMin = Number.POSITIVE_INFINITY;
  ratioMax = Number.NEGATIVE_INFINITY;
  nonFiniteTokenCount = 0;

  add(metrics: ActorLossMetrics): void {
    this.loss += metrics.loss;
    this.pgLoss += metrics.pgLoss;
    if (metrics.klLoss !== undefined) this.klLoss = (this.klLoss ?? 0) + metrics.klLoss;
    this.entropy += metrics.entropy ?? 0;
    // the packed masks are 0/1, so a masked mean times the token count is the masked sum
    const tokens = metrics.tokenCount;
    this.tokens += tokens;
    this.clipped += metrics.pgClipFrac * tokens;
    this.clippedLower += metrics.pgClipFracLower * tokens;
    this.negativeLogRatio += metrics.ppoKl * tokens;
    this.ratio += metrics.ratioMean * tokens;
    if (tokens > 0) {
      this.ratioMin = Math.min(this.ratioMin, metrics.ratioMin);
      this.ratioMax = Math.max(this.ratioMax, metrics.ratioMax);
    }
    this.nonFiniteTokenCount += metrics.nonFiniteTokenCount;
  }

  epochMetrics(gradNorm: number, learningRate: number): GrpoEpochMetrics {
    const mean = (sum: number) => (this.tokens === 0 ? 0 : sum / this.tokens);
    const metrics: GrpoEpochMetrics = {
      loss: this.loss,
      pgLoss: this.pgLoss,
      entropy: this.entropy,
      pgClipFrac: mean(this.clipped),
      pgClipFracLower: mean(this.clippedLower),
      ppoKl: mean(this.negativeLogRatio),
      ratioMean: mean(this.ratio),
      ratioMin: this.tokens === 0 ? 0 : this.ratioMin,
      ratioMax: this.tokens === 0 ? 0 : this.ratioMax,
      nonFiniteTokenCount: this.nonFiniteTokenCount,
      gradNorm,
      learningRate,
    };
    if (this.klLoss !== undefined) metrics.klLoss = this.klLoss;
    return metrics;
  }
}

interface PackedCounts {
  tokenCount: number;
  lossTokenCount: number;
  responseTokenCount: number;
  paddedTokenCount: number;
  microBatchCount: number;
}

/** The entries of `record` whose value is not undefined (so that they do not override defaults). */
function definedEntries<T extends object>(record: T): Partial<T> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as Partial<T>;
}

function countsOf(
  packed: { tokenCount: number; lossTokenCount: number; responseTokenCount: number; paddedTokenCount: number },
  microBatchCount: number,
): PackedCounts {
  const { tokenCount, lossTokenCount, responseTokenCount, paddedTokenCount } = packed;
  return { tokenCount, lossTokenCount, responseTokenCount, paddedTokenCount, microBatchCount };
}

/** The tokens in the loss and the sequences with at least one, from a `[samples, width]` mask. */
function lossTotals({ width, mask }: ResponseLayout): { lossTokenCount: number; lossSequenceCount: number } {
  let lossTokenCount = 0;
  let lossSequenceCount = 0;
  for (let offset = 0; offset < mask.length; offset += width) {
    let rowTokens = 0;
    for (let j = 0; j < width; j++) rowTokens += mask[offset + j]!;
    lossTokenCount += rowTokens;
    if (rowTokens > 0) lossSequenceCount++;
  }
  return { lossTokenCount, lossSequenceCount };
}

function emptyTimings(): GrpoStepTimings {
  return {
    packMs: 0,
    oldScoresMs: 0,
    referenceScoresMs: 0,
    scoresMs: 0,
    lossMs: 0,
    backwardMs: 0,
    optimizerMs: 0,
    totalMs: 0,
    policyMs: 0,
    overheadMs: 0,
  };
}

function stepMetrics(
  parts: {
    step: number;
    optimizerStep: number;
    epochs: GrpoEpochMetrics[];
    timings: GrpoStepTimings;
    rewards: Summary;
    advantages: Summary;
    sampleCount: number;
    groupCount: number;
  } & PackedCounts,
): GrpoStepMetrics {
  const { epochs, rewards, advantages } = parts;
  const meanOf = (pick: (epoch: GrpoEpochMetrics) => number) =>
    epochs.length === 0 ? Number.NaN : epochs.reduce((sum, epoch) => sum + pick(epoch), 0) / epochs.length;
  const metrics: GrpoStepMetrics = {
    step: parts.step,
    optimizerStep: parts.optimizerStep,
    loss: meanOf((epoch) => epoch.loss),
    pgLoss: meanOf((epoch) => epoch.pgLoss),
    entropy: meanOf((epoch) => epoch.entropy),
    pgClipFrac: meanOf((epoch) => epoch.pgClipFrac),
    pgClipFracLower: meanOf((epoch) => epoch.pgClipFracLower),
    ppoKl: meanOf((epoch) => epoch.ppoKl),
    gradNorm: meanOf((epoch) => epoch.gradNorm),
    learningRate: meanOf((epoch) => epoch.learningRate),
    rewardMean: rewards.mean,
    rewardStd: rewards.std,
    rewardMin: rewards.min,
    rewardMax: rewards.max,
    advantageMean: advantages.mean,
    advantageStd: advantages.std,
    advantageMin: advantages.min,
    advantageMax: advantages.max,
    sampleCount: parts.sampleCount,
    groupCount: parts.groupCount,
    tokenCount: parts.tokenCount,
    lossTokenCount: parts.lossTokenCount,
    responseTokenCount: parts.responseTokenCount,
    paddedTokenCount: parts.paddedTokenCount,
    microBatchCount: parts.microBatchCount,
    epochs,
    timings: parts.timings,
  };
  if (epochs.length > 0 && epochs.every((epoch) => epoch.klLoss !== undefined))
    metrics.klLoss = meanOf((epoch) => epoch.klLoss!);
  return metrics;
}
