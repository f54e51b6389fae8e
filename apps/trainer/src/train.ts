import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createDecoyCorpus,
  decoyAnswers,
  loadQuestions,
  relationCatalog,
  type QaExample,
  type RelationName,
  type World,
} from '@research-ts/datasets';
import { exactMatch } from '@research-ts/evaluators';
import {
  buildWarmupTranscript,
  createGrpoTrainer,
  createHealthMonitor,
  createTrainStep,
  emptyRetriever,
  evaluateQuestions,
  freezeParameters,
  summarizePredictions,
  type Prediction,
  supervisedStep,
  type EvaluationQuestion,
  type EvaluationSummary,
} from '@research-ts/training';
import type { LossAggregation } from '@research-ts/grpo';
import { createOnnxPolicy, type OnnxPolicy } from '@research-ts/policy-onnx';
import { buildPromptIds, countSearches, probeRetriever } from '@research-ts/rollout';
import {
  InvalidConfigError,
  SeededRandom,
  splitWorldWords,
  type Retriever,
  type TokenBatch,
  type TrainablePolicy,
} from '@research-ts/spec';
import { loadCheckpointState, pruneCheckpoints, saveCheckpoint } from './checkpoint';
import { learningRateScheduleOf } from './learning-rate-schedule-of';
import { MetricsWriter, readMetrics } from './metrics-writer';
import { closeRetriever, openRetriever } from './open-retriever';
import { refreshRunReport } from './refresh-run-report';
import { createProgress } from './progress';
import { openRolloutServer, rolloutCorrectionOf, weightSyncRecord } from './rollout-server';
import { checkRunDirectory, clearRunDirectory } from './run-directory';
import type { TrainerConfig } from './trainer-config';
import { buildWorld } from './world-source';

export interface TrainOptions {
  config: TrainerConfig;
  /**
   * Continue from the newest good checkpoint under `<outputDirectory>/checkpoints`. A missing directory, or
   * one where no checkpoint verifies, is an error (listing each checkpoint and why it was rejected).
   */
  resume?: boolean;
  /** Replace the run the output directory holds; without `resume` or `overwrite` such a directory is an error. */
  overwrite?: boolean;
  /** Log lines (default: stderr). */
  log?: (line: string) => void;
  /** Progress bars / plain progress lines on stderr; default true. */
  progress?: boolean;
  /** Also evaluate the final policy with a retriever that returns nothing (default true). */
  ablateRetriever?: boolean;
  signal?: AbortSignal;
}

/** A point of the reward curve. */
export interface RewardPoint {
  step: number;
  reward: number;
  searches: number;
}

/**
 * Greedy evaluation against a decoy corpus (the world's passages with the names permuted within each
 * type): a policy that reads answers what the corpus says, one that recalls answers the real fact.
 */
export interface DecoyEvaluation {
  count: number;
  /** Exact match against the answer the decoy corpus gives. */
  followsCorpus: number;
  /** Exact match against the real answer (right only by chance, for a reader). */
  exactMatch: number;
  searches: number;
}

export interface TrainSummary {
  outputDirectory: string;
  /** Training steps completed in total (resumed ones included). */
  steps: number;
  /** The step this process started from (0 for a fresh run). */
  resumedFrom: number;
  rewardCurve: RewardPoint[];
  /** Greedy evaluation of the final policy on the held-out questions. */
  heldOut: EvaluationSummary;
  /** For a generated world, `heldOut` per question type (1-hop, 2-hop, …), fewest hops first. */
  heldOutByHops?: HopSummary[];
  /** The same with a retriever that returns nothing (absent when not asked for). */
  heldOutWithoutRetrieval?: EvaluationSummary;
  /** The same against the world's corpus with its names permuted (generated worlds; absent when not asked for). */
  heldOutWithDecoyCorpus?: DecoyEvaluation;
  /** The final model directory. */
  modelDirectory: string;
  /** Searches of the training steps that still failed after their retries (all steps, resumed ones included). */
  failedSearches: number;
  warmupSeconds: number;
  trainingSeconds: number;
}

/** The held-out evaluation of one question type. */
export interface HopSummary extends EvaluationSummary {
  hops: number;
  /** Among the exactly right answers, the share that made at least as many searches as the question has hops. */
  rightWithEnoughSearches: number;
}

/** Groups predictions by the hop count of their question (`hopsOf(id)`; unknown ids are left out). */
export function summarizeByHops(
  predictions: readonly Prediction[],
  hopsOf: (id: string) => number | undefined,
): HopSummary[] {
  const groups = new Map<number, Prediction[]>();
  for (const prediction of predictions) {
    const hops = hopsOf(prediction.id);
    if (hops === undefined) continue;
    const group = groups.get(hops);
    if (group === undefined) groups.set(hops, [prediction]);
    else group.push(prediction);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a - b)
    .map(([hops, group]) => {
      const right = group.filter((prediction) => prediction.exactMatch);
      return {
        hops,
        ...summarizePredictions(group),
        rightWithEnoughSearches:
          right.length === 0 ? 0 : right.filter((prediction) => prediction.searches >= hops).length / right.length,
      };
    });
}

/**
 * The training questions of each step under `training.curriculum`: a phase draws only the questions of its hop
 * counts; after the last phase, or without a world, every question. A phase with no such question is an error.
 */
export function questionCurriculum(
  phases: TrainerConfig['training']['curriculum'],
  train: readonly EvaluationQuestion[],
  world: World | undefined,
): (step: number) => readonly EvaluationQuestion[] {
  if (phases.length === 0) return () => train;
  if (world === undefined)
    throw new InvalidConfigError('training.curriculum', 'needs a generated world (questions with hop counts)');
  const hopsOf = new Map(world.questions.train.map((question) => [question.id, question.metadata.hops]));
  let end = 0;
  const pools = phases.map((phase, index) => {
    const questions = train.filter((question) => phase.hops.includes(hopsOf.get(question.id) as 1 | 2 | 3));
    if (questions.length === 0)
      throw new InvalidConfigError(
        `training.curriculum.${index}.hops`,
        `no training question has ${phase.hops.join(' or ')} hops`,
      );
    end += phase.steps;
    return { end, questions };
  });
  return (step) => pools.find((phase) => step <= phase.end)?.questions ?? train;
}

interface Dataset {
  train: EvaluationQuestion[];
  heldOut: EvaluationQuestion[];
  world: World | undefined;
}

async function loadDataset(config: TrainerConfig): Promise<Dataset> {
  const { data } = config;
  if (data.trainFile !== undefined) {
    const toQuestion = (example: QaExample): EvaluationQuestion => ({
      id: example.id,
      question: example.question,
      goldenAnswers: example.goldenAnswers,
    });
    const train = (await loadQuestions(data.trainFile)).examples.map(toQuestion);
    const heldOut =
      data.heldOutFile === undefined ? [] : (await loadQuestions(data.heldOutFile)).examples.map(toQuestion);
    return { train, heldOut, world: undefined };
  }
  if (data.world === undefined)
    throw new InvalidConfigError('data', 'set data.world (a generated world) or data.trainFile');
  const world = buildWorld(data.world);
  return { train: world.questions.train, heldOut: world.questions.heldOut, world };
}

async function trainingRetriever(config: TrainerConfig, world: World | undefined): Promise<Retriever> {
  const { retriever } = config;
  if (retriever.kind === 'world') {
    if (world === undefined)
      throw new InvalidConfigError('retriever.kind', '"world" needs data.world (or use "index" / "http")');
    return openRetriever({ kind: 'world', world });
  }
  if (retriever.kind === 'index' || retriever.kind === 'flexsearch') {
    return openRetriever({
      kind: 'index',
      indexDirectory: retriever.indexDirectory!,
      ...(retriever.embeddingModel === undefined ? {} : { embeddingModel: retriever.embeddingModel }),
      field: 'retriever.embeddingModel',
    });
  }
  return openRetriever({ kind: 'http', url: retriever.url!, api: retriever.api });
}

/** An evaluation summary as a metrics line (`reward: { mean }`, as `research-ts report` reads it). */
const evaluationRecord = (summary: EvaluationSummary) => ({ ...summary, reward: { mean: summary.reward } });

const mean = (values: readonly number[]) =>
  values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length;

/**
 * `research-ts train`: GRPO with the ReSearch rollout loop.
 *
 * 1. Loads the questions (a generated world or files), the retriever and the policy (`modelDirectory`,
 *    or the newest good checkpoint with `resume`); a reference copy when the KL coefficient is not 0.
 * 2. Optionally a format warm-up (`warmup.steps`): supervised steps on transcripts of the ReSearch
 *    format whose queries and answers are drawn at random (see `buildWarmupTranscript`); checkpointed
 *    as step 0 when it ends.
 * 3. Each step: `promptsPerStep` training questions drawn with the run's RNG; `groupSize` rollouts each
 *    through the real loop (sampling seeded from the RNG); ReSearch rewards; one `createGrpoTrainer`
 *    step; a metrics line; a checkpoint every `checkpoint.every` steps and at the end; a greedy held-out
 *    evaluation every `evaluation.every` steps.
 * 4. `report.html` (see `writeRunReport`) is rewritten at each checkpoint and at the end; a failure to
 *    write it is logged, and the run goes on.
 *
 * Every random draw comes from one `SeededRandom` whose state is checkpointed, and generation is seeded,
 * so a run resumed from a checkpoint continues exactly as the uninterrupted run would have.
 */
export async function train(options: TrainOptions): Promise<TrainSummary> {
  const { config } = options;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const showProgress = options.progress ?? true;
  const output = config.outputDirectory;
  const checkpoints = join(output, 'checkpoints');
  if (config.modelDirectory === undefined)
    throw new InvalidConfigError('modelDirectory', 'is required: create one with `research-ts init-model`');
  if (!existsSync(config.modelDirectory))
    throw new InvalidConfigError('modelDirectory', `${config.modelDirectory} does not exist`);
  if (options.resume === true && config.lora !== undefined)
    throw new InvalidConfigError('lora', 'cannot resume yet: a checkpoint holds the merged model, not the adapters');

  // Everything is checked before the run directory changes: the health thresholds, the directory, the data, the
  // retriever (one search), the model.
  const { enabled: healthEnabled, ...healthThresholds } = config.health;
  const maxTurns = config.rollout.maxTurns;
  const searchBudget = maxTurns !== undefined && maxTurns > 1 ? maxTurns - 1 : undefined; // the last turn does not search
  const health = healthEnabled
    ? createHealthMonitor(
        {
          ...healthThresholds,
          'search-runaway': {
            ...healthThresholds['search-runaway'],
            budget: healthThresholds['search-runaway'].budget ?? searchBudget,
          },
        } as Parameters<typeof createHealthMonitor>[0],
        'health',
      )
    : undefined;
  const latest = await checkRunDirectory(output, {
    resume: options.resume === true,
    overwrite: options.overwrite === true,
  });
  for (const rejected of latest?.rejected ?? []) log(`skipping checkpoint ${rejected.directory}: ${rejected.reason}`);
  const dataset = await loadDataset(config);
  if (dataset.train.length === 0) throw new InvalidConfigError('data', 'there are no training questions');
  const retriever = await trainingRetriever(config, dataset.world);
  if (config.retriever.kind === 'http') log(`checking the retriever ${retriever.name} with one search`);
  await probeRetriever(retriever, { topK: config.retriever.topK });
  const resumed = latest === undefined ? undefined : await loadCheckpointState(latest.directory);
  const runtime = {
    executionProvider: config.runtime.executionProvider,
    threads: config.runtime.threads,
    maxCacheBytes: config.runtime.maxCacheBytes,
  };
  const onnx: OnnxPolicy = await createOnnxPolicy({
    modelDirectory: latest === undefined ? config.modelDirectory : join(latest.directory, 'model'),
    ...runtime,
    ...(config.lora === undefined ? {} : { lora: config.lora }),
  });
  // With rollout.server, rollouts come from the server and the weights go to it after each step (version = step).
  const rolloutServer = openRolloutServer(config, onnx, { initialVersion: 0 });
  const rolloutCorrection = rolloutCorrectionOf(config);
  const policy: TrainablePolicy = onnx;
  const tokenizer = onnx.tokenizer;
  const rng = resumed === undefined ? SeededRandom.fromSeed(config.seed) : SeededRandom.fromState(resumed.rng);
  const startStep = resumed?.step ?? 0;

  if (options.overwrite === true) await clearRunDirectory(output);
  await mkdir(output, { recursive: true });
  await writeFile(join(output, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  const metrics = new MetricsWriter(join(output, 'metrics.jsonl'));
  const rollouts = new MetricsWriter(join(output, 'rollouts.jsonl'));
  // The resumed phase writes its steps again; the warm-up's records (and the steps up to the checkpoint) stay.
  const rewrittenKinds = ['train', 'eval', 'eval-ablation', 'eval-decoy', 'alarm'];
  const rewardCurve: RewardPoint[] = [];
  if (resumed !== undefined) {
    metrics.truncateAfter(startStep, rewrittenKinds);
    rollouts.truncateAfter(startStep, rewrittenKinds);
    for (const record of readMetrics(metrics.path)) {
      if (record.kind !== 'train') continue;
      health?.observe(record); // the alarms of these steps are in the file already; this rebuilds the monitor's state
      rewardCurve.push({
        step: record.step,
        reward: (record.reward as { mean: number }).mean,
        searches: record.searchesPerRollout as number,
      });
    }
    log(`resumed from ${latest!.directory} (step ${startStep})`);
  }
  metrics.write({
    kind: 'run',
    step: startStep,
    event: resumed === undefined ? 'start' : 'resume',
    policy: policy.name,
    parameters: [...policy.parameterSizes.values()].reduce((sum, size) => sum + size, 0),
  });

  const padId = tokenizer.padTokenId ?? 0;
  const topK = config.retriever.topK;
  const template = config.prompt.template;
  const thinking = config.prompt.thinking === undefined ? {} : { thinking: config.prompt.thinking };
  const warmupModel = join(output, 'warmup-model');
  const saveModel = (directory: string) =>
    onnx.save(directory, { copyTokenizerFrom: config.modelDirectory }).then(() => undefined);

  // The trainer and the step are created here, so that their options are checked before any work; the KL
  // reference they ask is loaded after the warm-up (below).
  let reference: OnnxPolicy | undefined;
  const lateReference = { scoreTokens: (batch: TokenBatch) => reference!.scoreTokens(batch) };
  const trainer = createGrpoTrainer({
    policy: freezeParameters(policy, config.training.frozenParameters),
    ...(config.loss.klCoefficient === 0 ? {} : { reference: lateReference }),
    optimizer: {
      lr: config.optimizer.learningRate,
      betas: config.optimizer.betas,
      eps: config.optimizer.eps,
      weightDecay: config.optimizer.weightDecay,
    },
    schedule: learningRateScheduleOf(config),
    lossOptions: {
      policyLoss: config.loss.policyLoss,
      clipLow: config.loss.clipRatioLow ?? config.loss.clipRatio,
      clipHigh: config.loss.clipRatioHigh ?? config.loss.clipRatio,
      dualClip: config.loss.dualClip,
      klCoefficient: config.loss.klCoefficient,
      klEstimator: config.loss.klEstimator,
      entropyCoefficient: config.loss.entropyCoefficient,
      // the schema offers only the modes that need no other option (`aggregationModes[mode].requires`)
      aggregation: { mode: config.loss.aggregation } as LossAggregation,
    },
    advantageEstimator: config.advantage.estimator,
    ...(config.advantage.epsilon === undefined ? {} : { advantageEpsilon: config.advantage.epsilon }),
    ...(config.advantage.gamma === undefined ? {} : { gamma: config.advantage.gamma }),
    maxTokensPerMicroBatch: config.training.maxTokensPerMicroBatch,
    padId,
    gradClip: config.optimizer.gradClip,
    ppoEpochs: config.training.ppoEpochs,
    rescoreFirstEpoch: config.training.rescoreFirstEpoch,
    ...(rolloutCorrection === undefined ? {} : { rolloutCorrection }),
  });
  const trainStep = createTrainStep({
    policy,
    ...(rolloutServer === undefined ? {} : { rolloutPolicy: rolloutServer.policy }),
    trainer,
    retriever,
    tokenizer,
    template,
    ...thinking,
    groupSize: config.rollout.groupSize,
    responseBudget: config.rollout.responseBudget,
    ...(config.rollout.maxTurns === undefined ? {} : { maxTurns: config.rollout.maxTurns }),
    topK,
    temperature: config.rollout.temperature,
    topP: config.rollout.topP,
    maxFailedSearchShare: config.retriever.maxFailedSearchShare,
    ...(config.rollout.dynamicSampling === undefined ? {} : { dynamicSampling: config.rollout.dynamicSampling }),
    ...(config.reward.overlongBuffer === undefined
      ? {}
      : {
          overlongPenalty: {
            bufferLength: Math.max(
              1,
              Math.round(config.reward.overlongBuffer.fraction * config.rollout.responseBudget),
            ),
            penaltyFactor: config.reward.overlongBuffer.penaltyFactor,
          },
        }),
    overlongFiltering: config.training.overlongFiltering,
  });
  // 1. The format warm-up (only on a fresh run); its result is saved as `warmup-model/`.
  if (resumed === undefined) await rm(warmupModel, { recursive: true, force: true });
  let warmupSeconds = 0;
  if (resumed === undefined && config.warmup.steps > 0) {
    const started = performance.now();
    const names = new Set(dataset.world?.entities.map((entity) => entity.name) ?? []);
    const candidates =
      names.size > 0
        ? (text: string) => splitWorldWords(text).filter((word) => names.has(word))
        : (text: string) => splitWorldWords(text).filter((word) => /\w/.test(word));
    // The warm-up searches a decoy corpus (names permuted within each type): it teaches the format and copying, no fact.
    const warmupRetriever =
      config.warmup.corpus === 'decoy' && dataset.world !== undefined
        ? await openRetriever({
            kind: 'world',
            world: { ...dataset.world, passages: createDecoyCorpus(dataset.world, rng).passages },
          })
        : retriever;
    const anyName =
      names.size > 0 ? [...names] : [...new Set(dataset.train.flatMap((question) => candidates(question.question)))];
    const world = dataset.world;
    const hopCounts = config.data.world?.questionsPerHop;
    const chains =
      world === undefined
        ? []
        : Object.entries(world.settings.questionTemplates).filter(
            ([key]) => (hopCounts?.[key.split('>').length as 1 | 2 | 3] ?? 0) > 0,
          );
    /** A warm-up question: a world template filled with a random entity (no answer is needed), or a training question. */
    const warmupQuestion = (): string => {
      if (config.warmup.questions === 'train' || world === undefined || chains.length === 0)
        return rng.pick(dataset.train).question;
      const [key, templates] = rng.pick(chains);
      const type = relationCatalog[key.split('>')[0] as RelationName].subject;
      const subject = rng.pick(world.entities.filter((entity) => entity.type === type));
      return rng.pick(templates).replace('{subject}', subject.name);
    };
    const progress = createProgress({ label: 'warm-up', total: config.warmup.steps, silent: !showProgress });
    for (let step = 1; step <= config.warmup.steps; step++) {
      options.signal?.throwIfAborted();
      const examples = [];
      for (let index = 0; index < config.warmup.batchSize; index++) {
        const question = warmupQuestion();
        examples.push(
          await buildWarmupTranscript({
            promptIds: buildPromptIds(tokenizer, question, template, thinking),
            question,
            retriever: warmupRetriever,
            tokenizer,
            rng,
            candidates,
            topK,
            maxSearches: config.warmup.maxSearches,
            minSearches: config.warmup.minSearches,
            queryContextRate: config.warmup.queryContextRate,
            followUpQueryContextRate: config.warmup.followUpQueryContextRate,
            answerContextRate: config.warmup.answerContextRate,
            anyName,
          }),
        );
      }
      const result = await supervisedStep(policy, examples, {
        padId,
        gradClip: config.optimizer.gradClip,
        learningRate: config.warmup.learningRate,
      });
      progress.update(step, `nll ${result.loss.toFixed(3)}`);
      if (step % 10 === 0 || step === config.warmup.steps)
        metrics.write({
          kind: 'warmup',
          step,
          loss: result.loss,
          gradNorm: result.gradNorm,
          tokens: result.tokenCount,
        });
    }
    progress.stop();
    warmupSeconds = (performance.now() - started) / 1000;
    await onnx.save(warmupModel, { copyTokenizerFrom: config.modelDirectory, overwrite: true });
    // GRPO starts a fresh optimizer: the warm-up's moments stay behind
    await policy.loadOptimizerState({});
  }

  // The KL reference is the policy RL starts from: the warm-up's result, else the initial model.
  if (config.loss.klCoefficient !== 0)
    reference = await createOnnxPolicy({
      modelDirectory: existsSync(warmupModel) ? warmupModel : config.modelDirectory,
      ...runtime,
    });
  if (resumed !== undefined) await trainer.loadState(resumed.trainer);
  const checkpointAt = async (step: number, extra: Record<string, unknown>) => {
    await saveCheckpoint(checkpoints, {
      step,
      trainer: await trainer.state(),
      rng: rng.state(),
      extra,
      writeModel: saveModel,
    });
    await pruneCheckpoints(checkpoints, config.checkpoint.keep);
    await refreshRunReport(output, log);
  };
  if (resumed === undefined && config.warmup.steps > 0) await checkpointAt(0, { warmupDone: true, warmupSeconds });

  // 2. GRPO.
  const evaluationQuestions = dataset.heldOut.slice(0, config.evaluation.questions);
  const evaluationBudget = config.evaluation.responseBudget ?? config.rollout.responseBudget;
  const evaluate = async (
    against: Retriever,
    label: string,
    questions: readonly EvaluationQuestion[] = evaluationQuestions,
  ) => {
    const progress = createProgress({ label, total: questions.length, silent: !showProgress });
    const predictions = await evaluateQuestions({
      maxFailedSearchShare: config.retriever.maxFailedSearchShare,
      policy,
      retriever: against,
      tokenizer,
      questions,
      template,
      ...thinking,
      responseBudget: evaluationBudget,
      topK,
      onProgress: (done, _total, failed) => progress.update(done, failed === 0 ? '' : `failed searches ${failed}`),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    progress.stop();
    return { predictions, summary: summarizePredictions(predictions) };
  };
  // a resumed run's server starts from the base weights: publish the checkpoint's first
  if (rolloutServer !== undefined && startStep > 0) await rolloutServer.publish(startStep, options.signal);
  const curriculumPool = questionCurriculum(config.training.curriculum, dataset.train, dataset.world);
  const trainingStarted = performance.now();
  const progress = createProgress({ label: 'train', total: config.training.steps, silent: !showProgress });
  progress.update(startStep);
  for (let step = startStep + 1; step <= config.training.steps; step++) {
    options.signal?.throwIfAborted();
    const pool = curriculumPool(step);
    const draw = (count: number) => Array.from({ length: count }, () => rng.pick(pool));
    const stepResult = await trainStep({
      questions: draw(config.rollout.promptsPerStep),
      seed: rng.nextUint32(),
      nextQuestions: draw, // dynamic sampling's further rounds
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    const { questions, samples, scores: scored, update: result, timings } = stepResult;
    // the new weights go to the rollout server as version `step`; the step's rollouts used version `step − 1`
    const sync = await rolloutServer?.publish(step, options.signal);
    const rolloutSeconds = timings.rolloutMs / 1000;
    const trainSeconds = timings.updateMs / 1000;
    const reasons: Record<string, number> = {};
    for (const score of scored) reasons[score.reason] = (reasons[score.reason] ?? 0) + 1;
    const generated = scored.reduce((sum, score) => sum + score.generatedTokens, 0);
    const reward = mean(scored.map((score) => score.reward));
    const searches = mean(scored.map((score) => score.searches));
    const stepSearches = countSearches(samples.map((sample) => sample.trajectory));
    const m = result.metrics;
    const stepSeconds = timings.totalMs / 1000;
    const trainRecord = {
      kind: 'train',
      step,
      reward: { mean: reward, std: m.rewardStd, min: m.rewardMin, max: m.rewardMax },
      rewardComponents: {
        f1: mean(scored.map((score) => score.f1)),
        format: mean(scored.map((score) => (score.formatOk ? 1 : 0))),
      },
      exactMatch: mean(scored.map((score) => (score.exactMatch ? 1 : 0))),
      reasons,
      kl: m.klLoss ?? null,
      ppoKl: m.ppoKl,
      entropy: m.entropy,
      clipFraction: m.pgClipFrac,
      loss: m.loss,
      gradNorm: m.gradNorm,
      learningRate: m.learningRate,
      responseLength: {
        mean: generated / scored.length,
        max: Math.max(...scored.map((score) => score.generatedTokens)),
      },
      insertedLength: { mean: mean(scored.map((score) => score.insertedTokens)) },
      searchesPerRollout: searches,
      failedSearches: stepSearches.failed,
      rollouts: scored.length,
      skipped: result.skipped ? result.reason : null,
      ...(stepResult.dynamicSampling === undefined ? {} : { dynamicSampling: stepResult.dynamicSampling }),
      ...(stepResult.overlongFiltered === undefined ? {} : { overlongFiltered: stepResult.overlongFiltered.length }),
      ...(rolloutServer === undefined ? {} : weightSyncRecord(step - 1, stepResult.weightVersions ?? [], sync)),
      ...(m.rolloutCorrection === undefined
        ? {}
        : {
            rolloutCorrection: {
              ...m.rolloutCorrection.verl,
              rejectedTokenCount: m.rolloutCorrection.rejectedTokenCount,
            },
          }),
      throughput: {
        tokensPerSecond: generated / Math.max(1e-9, stepSeconds),
        rolloutTokensPerSecond: generated / Math.max(1e-9, rolloutSeconds),
        trainedTokensPerSecond: m.tokenCount / Math.max(1e-9, trainSeconds),
      },
      rolloutSeconds,
      trainSeconds,
      stepSeconds,
    };
    metrics.write(trainRecord);
    for (const alarm of health?.observe(trainRecord) ?? []) {
      const { kind: alarmKind, message, value, threshold } = alarm;
      metrics.write({ kind: 'alarm', step: alarm.step, alarm: alarmKind, message, value, threshold });
      log(`health alarm at step ${alarm.step}: ${alarmKind}: ${message}`);
    }
    // a few trajectories per step for `research-ts report`: the first group
    for (const [index, sample] of samples.entries()) {
      if (sample.promptIndex !== 0) break;
      const score = scored[index]!;
      rollouts.write({
        kind: 'train',
        step,
        group: sample.promptIndex,
        sample: sample.sampleIndex,
        question: questions[0]!.question,
        goldenAnswers: questions[0]!.goldenAnswers,
        reward: score.reward,
        reason: score.reason,
        prediction: score.prediction,
        components: { f1: score.f1, format: score.formatOk ? 1 : 0 },
        finishReason: sample.trajectory.finishReason,
        segments: sample.trajectory.segments.map((segment) => ({ kind: segment.kind, text: segment.text })),
      });
    }
    rewardCurve.push({ step, reward, searches });
    const activeAlarms = health?.activeAlarms() ?? [];
    progress.update(
      step,
      `reward ${reward.toFixed(3)} searches ${searches.toFixed(2)}${stepSearches.failed === 0 ? '' : ` failed searches ${stepSearches.failed}`}${activeAlarms.length === 0 ? '' : ` alarms ${activeAlarms.join(',')}`}`,
    );
    if (step % config.checkpoint.every === 0 || step === config.training.steps)
      await checkpointAt(step, { warmupDone: true });
    if (
      config.evaluation.every > 0 &&
      step % config.evaluation.every === 0 &&
      step !== config.training.steps &&
      evaluationQuestions.length > 0
    ) {
      const { summary } = await evaluate(retriever, 'eval');
      metrics.write({ kind: 'eval', step, ...evaluationRecord(summary) });
    }
  }
  progress.stop();
  const trainingSeconds = (performance.now() - trainingStarted) / 1000;

  // 3. The final model and evaluations (a run resumed after them writes them again, once).
  metrics.removeWhere((record) => record.kind.startsWith('eval') && record.step >= config.training.steps);
  const modelDirectory = join(output, 'model');
  await onnx.save(modelDirectory, { copyTokenizerFrom: config.modelDirectory, overwrite: true });
  const final =
    evaluationQuestions.length > 0
      ? await evaluate(retriever, 'eval')
      : { predictions: [], summary: summarizePredictions([]) };
  const hopsById = new Map(
    dataset.world === undefined
      ? []
      : [...dataset.world.questions.train, ...dataset.world.questions.heldOut].map((question) => [
          question.id,
          question.metadata.hops,
        ]),
  );
  const heldOutByHops = hopsById.size === 0 ? undefined : summarizeByHops(final.predictions, (id) => hopsById.get(id));
  metrics.write({
    kind: 'eval',
    step: config.training.steps,
    retriever: retriever.name,
    ...evaluationRecord(final.summary),
    ...(heldOutByHops === undefined ? {} : { byHops: heldOutByHops }),
  });
  await writeFile(
    join(output, 'predictions.jsonl'),
    final.predictions.map((prediction) => JSON.stringify(prediction)).join('\n') +
      (final.predictions.length > 0 ? '\n' : ''),
  );
  let heldOutWithoutRetrieval: EvaluationSummary | undefined;
  if ((options.ablateRetriever ?? true) && evaluationQuestions.length > 0) {
    heldOutWithoutRetrieval = (await evaluate(emptyRetriever, 'eval (no retrieval)')).summary;
    metrics.write({
      kind: 'eval-ablation',
      step: config.training.steps,
      retriever: 'empty',
      ...evaluationRecord(heldOutWithoutRetrieval),
    });
  }
  // Reading or recall? The same questions against a corpus whose names are permuted (not the warm-up's permutation).
  let heldOutWithDecoyCorpus: DecoyEvaluation | undefined;
  const world = dataset.world;
  if ((options.ablateRetriever ?? true) && world !== undefined && evaluationQuestions.length > 0) {
    const corpus = createDecoyCorpus(world, SeededRandom.fromSeed(config.seed + 104_729));
    const decoyAnswer = decoyAnswers(world, corpus);
    const metadataOf = new Map(
      [...world.questions.train, ...world.questions.heldOut].map((question) => [question.id, question.metadata]),
    );
    const asked = evaluationQuestions.flatMap((question) => {
      const metadata = metadataOf.get(question.id);
      const answer = metadata === undefined ? undefined : decoyAnswer(metadata.searchQueries[0]!, metadata.relations);
      return answer === undefined
        ? []
        : [{ ...question, goldenAnswers: [answer], realAnswers: question.goldenAnswers }];
    });
    if (asked.length > 0) {
      const decoyRetriever = await openRetriever({ kind: 'world', world: { ...world, passages: corpus.passages } });
      const { predictions, summary } = await evaluate(decoyRetriever, 'eval (names permuted)', asked);
      const realExactMatch = mean(
        predictions.map((prediction, index) => exactMatch(prediction.prediction, asked[index]!.realAnswers)),
      );
      heldOutWithDecoyCorpus = {
        count: summary.count,
        followsCorpus: summary.exactMatch,
        exactMatch: realExactMatch,
        searches: summary.searches,
      };
      metrics.write({ kind: 'eval-decoy', step: config.training.steps, retriever: 'decoy', ...heldOutWithDecoyCorpus });
    }
  }
  await Promise.all([onnx.release(), reference?.release(), closeRetriever(retriever)]);
  await refreshRunReport(output, log);
  return {
    outputDirectory: output,
    steps: config.training.steps,
    resumedFrom: startStep,
    rewardCurve,
    heldOut: final.summary,
    ...(heldOutByHops === undefined ? {} : { heldOutByHops }),
    ...(heldOutWithoutRetrieval === undefined ? {} : { heldOutWithoutRetrieval }),
    ...(heldOutWithDecoyCorpus === undefined ? {} : { heldOutWithDecoyCorpus }),
    modelDirectory,
    failedSearches: readMetrics(metrics.path).reduce(
      (sum, record) => sum + (record.kind === 'train' ? Number(record.failedSearches ?? 0) : 0),
      0,
    ),
    warmupSeconds,
    trainingSeconds,
  };
}
