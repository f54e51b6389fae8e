import { relationCatalog } from '@research-ts/datasets';
import {
  actorLossSettingRules,
  advantageEstimators,
  aggregationModes,
  klEstimators,
  learningRateSchedules,
  policyLosses,
  researchActorLossDefaults,
  rolloutCorrectionModes,
  type AggregationMode,
} from '@research-ts/grpo';
import { executionProviders, loraTargetModules } from '@research-ts/policy-onnx';
import { promptTemplates } from '@research-ts/rollout';
import { thinkingModes } from '@research-ts/tags';
import {
  healthAlarmKinds,
  healthAlarmSettings,
  healthThresholdRules,
  type HealthAlarmKind,
  type HealthThresholdRule,
} from '@research-ts/training';
import { invalidConfigOf } from '@research-ts/spec';
import { posix } from 'node:path';
import { z } from 'zod';
import { algorithmNames } from './algorithm-recipes';
import { embeddingConventions, retrieverApis, retrieverUrlProblem } from './open-retriever';

const positiveInteger = () => z.number().int().min(1);
/** A zod enum of a record's keys: the values a knob may take come from the record that defines them. */
const keysOf = <Key extends string>(record: Readonly<Record<Key, unknown>>) =>
  z.enum(Object.keys(record) as [Key, ...Key[]]);
/** The aggregation modes a config can select by name alone (the others need options only code can give). */
const namedAggregations = (Object.keys(aggregationModes) as AggregationMode[]).filter(
  (mode) => aggregationModes[mode].requires.length === 0,
);
const nonNegativeInteger = () => z.number().int().min(0);

/** Where the questions come from: a generated world, or FlashRAG / `{question, answer}` files. */
const dataSchema = z
  .strictObject({
    world: z
      .strictObject({
        seed: nonNegativeInteger()
          .default(7)
          .describe('The world generator seed: a seed names one world on every platform.'),
        people: nonNegativeInteger().default(200).describe('People in the world (most questions start from a person).'),
        places: nonNegativeInteger().default(40).describe('Places (cities): birthplaces and headquarters.'),
        organisations: nonNegativeInteger()
          .default(40)
          .describe('Organisations (companies): employers with a founder and a headquarters.'),
        countries: nonNegativeInteger().default(8).describe('Countries; every place lies in one.'),
        personNameWords: z
          .union([z.literal(1), z.literal(2)])
          .default(2)
          .describe('Words per person name; 1 keeps names single tokens for a word-level tokenizer.'),
        organisationSuffixes: z
          .array(z.string())
          .default(['Group', 'Guild', 'Foundry'])
          .describe('Suffixes of organisation names; [] names them by one word.'),
        relations: z
          .array(keysOf(relationCatalog))
          .optional()
          .describe('Relations the world states (default: the generator’s). Fewer relations, an easier world.'),
        sentenceTemplates: z
          .record(z.string(), z.array(z.string()).min(1))
          .optional()
          .describe(
            'Per relation, the sentences that state a fact (`{subject} was born in {object}.`); one template per relation is the easiest world.',
          ),
        spouseFraction: z
          .number()
          .min(0)
          .max(1)
          .default(0.5)
          .describe('With the `spouse` relation: the share of people who are married (in pairs).'),
        objectSpread: z
          .enum(['uniform', 'balanced'])
          .default('uniform')
          .describe(
            '`balanced`: birthplaces, employers and headquarters dealt out evenly, so that no answer is much more frequent than another and a constant guess earns little; `uniform`: drawn independently.',
          ),
        questionTemplates: z
          .record(z.string(), z.array(z.string()).min(1))
          .optional()
          .describe(
            'Question templates per relation chain (`works_for>headquartered_in`) with `{subject}`; replaces the generator’s defaults as a whole.',
          ),
        questionsPerHop: z
          .strictObject({
            1: nonNegativeInteger().default(200).describe('Questions answered by one fact.'),
            2: nonNegativeInteger().default(200).describe('Questions answered by a chain of two facts.'),
            3: nonNegativeInteger().default(200).describe('Questions answered by a chain of three facts.'),
          })
          .prefault({})
          .describe('Questions per hop count, train and held-out together.'),
        heldOutFraction: z
          .number()
          .min(0)
          .max(1)
          .default(0.2)
          .describe('Share of each hop count’s questions held out for evaluation.'),
        split: z
          .enum(['entity', 'question'])
          .default('entity')
          .describe('`entity`: held-out questions are about entities no train question is about.'),
      })
      .optional()
      .describe(
        'Generate a fictional world (passages + multi-hop questions no model can know). Used when `trainFile` is not set.',
      ),
    trainFile: z
      .string()
      .optional()
      .describe(
        'Training questions: FlashRAG JSONL (`question`, `golden_answers`) or a `{question, answer}` JSON/JSONL file.',
      ),
    heldOutFile: z.string().optional().describe('Held-out questions for validation, same formats as `trainFile`.'),
  })
  .prefault({})
  .describe('The questions to train and validate on.');

const retrieverSchema = z
  .strictObject({
    kind: z
      .enum(['world', 'index', 'flexsearch', 'http'])
      .default('world')
      .describe(
        '`world`: index the generated world in memory; `index`: a saved index folder — lexical (`research-ts index`) or dense (`research-ts index --embedding-model`, or retriever-dense’s `save`), told apart by its manifest; `flexsearch`: the older name of `index`; `http`: a FlashRAG / Search-R1 retrieval server.',
      ),
    indexDirectory: z.string().optional().describe('With `index`: the index folder.'),
    embeddingModel: z
      .strictObject({
        directory: z
          .string()
          .describe('An ONNX export of the model (`model.onnx` or `onnx/model.onnx`, `tokenizer.json`).'),
        conventions: keysOf(embeddingConventions)
          .optional()
          .describe(
            '`e5`: `query: ` / `passage: ` prefixes, mean pooling (FlashRAG’s and Search-R1’s e5-base-v2); `bge`: BGE v1.5’s query instruction, [CLS] pooling. Default: what the index records, else `e5`.',
          ),
        maxLength: positiveInteger()
          .optional()
          .describe('Longest passage in tokens. Default: what the index records, else 512.'),
        queryMaxLength: positiveInteger()
          .optional()
          .describe(
            'Longest query in tokens (FlashRAG uses 128 for E5 queries). Default: what the index records, else `maxLength`.',
          ),
      })
      .optional()
      .describe(
        'With `index` on a dense index: the embedding model that encodes the queries. It is loaded with the settings the index records (conventions, lengths), and the index refuses a model whose fingerprint differs from the one its passages were encoded with.',
      ),
    url: z
      .string()
      .url()
      .optional()
      .describe('With `http`: the server’s base URL (`http://127.0.0.1:8000`); the client adds the endpoint of `api`.'),
    api: z
      .enum(retrieverApis)
      .default('flashrag')
      .describe(
        'With `http`: the server’s API. `flashrag`: FlashRAG’s `POST /batch_search` with `top_n` (the server ReSearch trains against); `search-r1`: Search-R1’s `POST /retrieve` with `topk` (its wiki-18 E5 / BM25 `retrieval_server.py`). Both are asked for `topK` passages with their scores.',
      ),
    topK: positiveInteger().default(5).describe('Passages per search (ReSearch: top-5 in training and evaluation).'),
    maxFailedSearchShare: z
      .number()
      .min(0)
      .max(1)
      .default(0)
      .describe(
        'The share of one step’s searches (or one evaluation batch’s) that may still fail after their retries before the run stops with an error naming the retriever. 0: any such search stops the run; a failed search would otherwise end its rollout with reward 0 and train on a broken environment.',
      ),
  })
  .prefault({})
  .superRefine((value, context) => {
    if ((value.kind === 'index' || value.kind === 'flexsearch') && value.indexDirectory === undefined)
      context.addIssue({
        code: 'custom',
        path: ['indexDirectory'],
        message: `is required when kind is "${value.kind}"`,
      });
    if (value.embeddingModel !== undefined && value.kind !== 'index' && value.kind !== 'flexsearch')
      context.addIssue({
        code: 'custom',
        path: ['embeddingModel'],
        message: 'applies to kind "index" (a dense index)',
      });
    if (value.kind === 'http' && value.url === undefined)
      context.addIssue({ code: 'custom', path: ['url'], message: 'is required when kind is "http"' });
    const urlProblem = value.kind === 'http' && value.url !== undefined ? retrieverUrlProblem(value.url) : undefined;
    if (urlProblem !== undefined) context.addIssue({ code: 'custom', path: ['url'], message: urlProblem });
  })
  .describe('Where searches go.');

const promptSchema = z
  .strictObject({
    template: keysOf(promptTemplates)
      .default('base')
      .describe(
        '`base`: ReSearch’s raw template ending in `Assistant:`; `instruct`: its system prompt through the chat template; `compact`: `User: {question} Assistant:` for tiny models whose context is short.',
      ),
    thinking: keysOf(thinkingModes)
      .optional()
      .describe(
        'With `instruct`: how ReSearch’s `<think>` meets the model’s own thinking (Qwen3’s `enable_thinking`): `native` — the model opens its own `<think>`, which is ReSearch’s tag; `closed` — the prompt ends with an empty think block and the model writes ReSearch’s tags as plain output. Unset: the chat template’s default (Qwen3: native); templates without the switch ignore it.',
      ),
  })
  .prefault({})
  .describe('How a question becomes the prompt.');

/** The kinds of `rollout.server`, and the weight sync each uses (policy-openai's `weightSyncKinds`). */
export const rolloutServerKinds = { vllm: 'vllm-lora', sglang: 'sglang-full' } as const;

const absolutePosixPath = () =>
  z.string().refine((value) => posix.isAbsolute(value), { error: 'must be an absolute POSIX path' });

const rolloutServerSchema = z
  .strictObject({
    url: z
      .string()
      .url()
      .describe('The server’s OpenAI API root, ending in `/v1` (`--rollout-server`): `http://gpu-box:8000/v1`.'),
    kind: keysOf(rolloutServerKinds).describe(
      '`vllm`: LoRA adapters loaded per step with `/v1/load_lora_adapter` (needs `lora`; start vLLM with `--enable-lora` and `VLLM_ALLOW_RUNTIME_LORA_UPDATING=True`); `sglang`: full weights reloaded per step with `/update_weights_from_disk` (`--rollout-server-kind`).',
    ),
    model: z
      .string()
      .min(1)
      .describe('The base model’s served name (`--served-model-name`), requested until the first weight sync.'),
    localRoot: absolutePosixPath().describe(
      'Where the trainer writes each step’s weights (`<localRoot>/v<step>`): a directory the server can read, on the same machine or a shared filesystem.',
    ),
    serverRoot: absolutePosixPath()
      .optional()
      .describe('The same directory as the server sees it, when its mount differs (default: `localRoot`).'),
  })
  .optional()
  .describe(
    'Rollouts from an external inference engine (vLLM or SGLang) instead of the local policy: the local policy computes the old log-probabilities and trains, and its weights go to the server after every optimizer step. Unset: rollouts from the local policy.',
  );

const rolloutSchema = z
  .strictObject({
    groupSize: positiveInteger().default(5).describe('Rollouts per prompt: the GRPO group (ReSearch `rollout.n` = 5).'),
    promptsPerStep: positiveInteger()
      .default(256)
      .describe('Prompts per training step (ReSearch `train_batch_size` = 256; one optimizer update per batch).'),
    temperature: z.number().min(0).default(1.0).describe('Sampling temperature of training rollouts (ReSearch: 1.0).'),
    topP: z.number().gt(0).max(1).default(1).describe('Nucleus sampling of training rollouts (ReSearch: 1, off).'),
    responseBudget: positiveInteger()
      .default(8192)
      .describe('Generated plus inserted tokens per response (ReSearch `max_response_length` = 8192).'),
    maxTurns: positiveInteger()
      .optional()
      .describe('Generations per rollout; unset as in ReSearch (only the token budget bounds searches).'),
    dynamicSampling: z
      .strictObject({
        maxRounds: positiveInteger()
          .default(10)
          .describe('The most rollout rounds of one step (verl `max_num_gen_batches` = 10 in its DAPO recipe).'),
      })
      .optional()
      .describe(
        'DAPO’s dynamic sampling: groups whose rewards are all equal (no learning signal under GRPO) are dropped and more questions rolled out until `promptsPerStep` groups remain or `maxRounds` is reached. Unset: off (ReSearch).',
      ),
    server: rolloutServerSchema,
  })
  .prefault({})
  .describe('The ReSearch rollout loop of training.');

const rewardSchema = z
  .strictObject({
    overlongBuffer: z
      .strictObject({
        fraction: z
          .number()
          .gt(0)
          .max(1)
          .default(0.2)
          .describe(
            'The buffer as a share of `rollout.responseBudget` (verl’s DAPO recipe: 4096 of 20480 tokens = 0.2).',
          ),
        penaltyFactor: z.number().min(0).default(1).describe('The penalty at the budget (DAPO: 1).'),
      })
      .optional()
      .describe(
        'DAPO’s soft overlong punishment (eq. 13): a penalty growing linearly from 0 to `penaltyFactor` over the last `fraction` of the response budget, added to the ReSearch reward. Unset: off (ReSearch).',
      ),
  })
  .prefault({})
  .describe('What is added to the ReSearch rule reward.');

const optimizerSchema = z
  .strictObject({
    learningRate: z
      .number()
      .gt(0)
      .default(1e-6)
      .describe('AdamW learning rate (ReSearch: 1e-6, constant). Tiny random models need far more.'),
    betas: z
      .tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)])
      .default([0.9, 0.999])
      .describe('AdamW betas (PyTorch defaults).'),
    eps: z.number().gt(0).default(1e-8).describe('AdamW epsilon (PyTorch default).'),
    weightDecay: z
      .number()
      .min(0)
      .default(0.01)
      .describe('Decoupled weight decay (PyTorch’s AdamW default, which verl keeps).'),
    gradClip: z.number().gt(0).default(1.0).describe('Global gradient-norm clip (ReSearch `grad_clip` = 1.0).'),
    warmupSteps: nonNegativeInteger()
      .default(0)
      .describe('Linear learning-rate warm-up steps (ReSearch: 0, constant).'),
    schedule: keysOf(learningRateSchedules)
      .default('constant')
      .describe(
        "Learning rate after the warm-up steps, over `training.steps`: `constant` (ReSearch), `linear` decay to 0, or `cosine` decay to `minLearningRateRatio` × the rate (verl's and transformers' schedules).",
      ),
    minLearningRateRatio: z
      .number()
      .min(0)
      .max(1)
      .default(0)
      .describe('The floor of the `cosine` schedule, as a fraction of `learningRate`.'),
  })
  .prefault({})
  .describe('The AdamW optimizer.');

const clipBound = (bound: 'clipLow' | 'clipHigh') =>
  z.number().refine((value) => actorLossSettingRules[bound].holds(value), {
    error: (issue) => `${actorLossSettingRules[bound].rule}, got ${String(issue.input)}`,
  });

const lossSchema = z
  .strictObject({
    policyLoss: keysOf(policyLosses)
      .default(researchActorLossDefaults.policyLoss)
      .describe(
        'The surrogate (grpo’s `policyLosses`, each as verl computes it): `vanilla` (PPO clip, ReSearch), `dapo` (vanilla with its clip-higher default), `gspo` (sequence ratio), `cispo`, `sapo`, `geo-mean` (GMPO), `clip-cov`, `kl-cov`.',
      ),
    clipRatio: clipBound('clipLow')
      .default(researchActorLossDefaults.clipLow)
      .describe(
        'PPO clip ε of the ratio, below and above (verl `clip_ratio`; ReSearch 0.2): the ratio is clipped to [1 − ε, 1 + ε], so ε < 1. As in verl it does not follow `policyLoss`: the gspo and dapo recipes set their own bounds.',
      ),
    clipRatioLow: clipBound('clipLow').optional().describe('ε below (verl `clip_ratio_low`); default `clipRatio`.'),
    clipRatioHigh: clipBound('clipHigh')
      .optional()
      .describe('ε above (verl `clip_ratio_high`, DAPO’s clip-higher 0.28); default `clipRatio`.'),
    dualClip: z
      .number()
      .refine((value) => actorLossSettingRules.dualClip.holds(value), { error: actorLossSettingRules.dualClip.rule })
      .optional()
      .describe('Dual clip c > 1 for negative advantages (verl `clip_ratio_c` = 3); unset: off, as ReSearch’s verl.'),
    klCoefficient: z
      .number()
      .min(0)
      .default(researchActorLossDefaults.klCoefficient)
      .describe('KL-to-reference loss weight (ReSearch `kl_loss_coef` = 0.001); 0 drops the reference model.'),
    klEstimator: keysOf(klEstimators)
      .default(researchActorLossDefaults.klEstimator)
      .describe('KL estimator (ReSearch `low_var_kl` = k3; k2 is verl’s `mse`).'),
    entropyCoefficient: z
      .number()
      .min(0)
      .default(researchActorLossDefaults.entropyCoefficient)
      .describe('Entropy bonus weight (verl `entropy_coeff` = 0.001).'),
    aggregation: z
      .enum(namedAggregations as [AggregationMode, ...AggregationMode[]])
      .default(researchActorLossDefaults.aggregation.mode)
      .describe(
        'How per-token losses become one scalar: verl’s modes (token-mean, ReSearch’s) or TRL’s `trl-grpo` / `trl-bnpo` (grpo’s `aggregationModes`).',
      ),
  })
  .prefault({})
  .describe('The GRPO actor loss.');

const advantageSchema = z
  .strictObject({
    estimator: keysOf(advantageEstimators)
      .default('grpo')
      .describe(
        'How advantages come from the rewards (grpo’s `advantageEstimators`, each as verl computes it): `grpo` (ReSearch), `dr-grpo`, `rloo`, `opo`, `gpg`, `reinforce-plus-plus`, `reinforce-plus-plus-baseline`, and TRL’s `trl-group` / `trl-batch` / `trl-none`.',
      ),
    epsilon: z
      .number()
      .gt(0)
      .optional()
      .describe('The ε of `(r − mean) / (std + ε)`; unset: the estimator’s own (1e-6 for verl’s).'),
    gamma: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe(
        'The discount of REINFORCE++’s token returns; unset: verl’s `gamma` = 1.0. Read by the REINFORCE++ estimators only.',
      ),
  })
  .prefault({})
  .superRefine((value, context) => {
    // a knob the estimator does not read is a mistake, named now rather than when the trainer starts
    const reads = Object.keys(advantageEstimators[value.estimator].defaults);
    for (const knob of ['epsilon', 'gamma'] as const) {
      if (value[knob] === undefined || reads.includes(knob)) continue;
      const readers = Object.entries(advantageEstimators)
        .filter(([, rule]) => knob in rule.defaults)
        .map(([name]) => name);
      context.addIssue({
        code: 'custom',
        path: [knob],
        message: `is not read by the ${value.estimator} estimator (only by ${readers.join(', ')})`,
      });
    }
  })
  .describe('Advantages from rewards.');

const trainingSchema = z
  .strictObject({
    steps: positiveInteger()
      .default(100)
      .describe('Training steps (each: rollouts for `promptsPerStep` prompts, one GRPO update).'),
    ppoEpochs: positiveInteger().default(1).describe('Updates per batch (ReSearch `ppo_epochs` = 1).'),
    maxTokensPerMicroBatch: z
      .number()
      .int()
      .min(2)
      .default(2 * (512 + 8192))
      .describe('Padded tokens per forward/backward call (ReSearch `ppo_max_token_len_per_gpu` = 2·(512+8192)).'),
    frozenParameters: z
      .array(z.string())
      .default([])
      .describe(
        'Parameters RL leaves as they are (e.g. `model.embed_tokens.weight`: the warm-up’s word embeddings); [] trains all, as ReSearch.',
      ),
    curriculum: z
      .array(
        z.strictObject({
          steps: positiveInteger().describe('How many steps this phase lasts.'),
          hops: z
            .array(z.union([z.literal(1), z.literal(2), z.literal(3)]))
            .min(1)
            .describe('The hop counts of the questions drawn in this phase.'),
        }),
      )
      .default([])
      .describe(
        'A curriculum over question types (generated worlds): phases in order, each drawing its questions only from the listed hop counts; after the last phase every training question is drawn. [] (default): all from the start.',
      ),
    rescoreFirstEpoch: z
      .boolean()
      .default(true)
      .describe(
        'Score the batch again for the first epoch’s loss, as verl does; false reuses the rollout-time scores (same numbers on a deterministic CPU policy, one forward pass less).',
      ),
    overlongFiltering: z
      .boolean()
      .default(false)
      .describe(
        'DAPO’s overlong filtering: rollouts cut by the response budget leave the loss (their reward says nothing about their answer).',
      ),
    rolloutCorrection: z
      .strictObject({
        mode: keysOf(rolloutCorrectionModes)
          .default('token-tis')
          .describe(
            'grpo’s `rolloutCorrectionModes` (verl’s `rollout_is` / `rollout_rs` presets): `token-tis` (per-token ratios truncated at 2), `sequence-tis`, `sequence-tis-rejection`, `sequence-mis`, `token-rejection`, `sequence-rejection`, `geometric-rejection`, `metrics-only`.',
          ),
        threshold: z
          .number()
          .gt(0)
          .optional()
          .describe('Truncation (and rejection upper) threshold; default: the mode’s (2; 1.001 for geometric).'),
      })
      .optional()
      .describe(
        'Correct for rollouts sampled by another engine (the server’s logprobs against the trainer’s own old logprobs). Default with `rollout.server`: `{ mode: token-tis }`; without a server the rollouts are the trainer’s own and it is refused.',
      ),
  })
  .prefault({})
  .describe('The GRPO loop.');

const warmupSchema = z
  .strictObject({
    steps: nonNegativeInteger()
      .default(0)
      .describe(
        'Supervised format warm-up steps before RL (0 = none, as ReSearch). Transcripts have the ReSearch format with queries and answers chosen at random.',
      ),
    batchSize: positiveInteger().default(16).describe('Transcripts per warm-up step.'),
    learningRate: z.number().gt(0).default(3e-3).describe('AdamW learning rate of the warm-up.'),
    maxSearches: positiveInteger()
      .default(3)
      .describe('Each transcript makes minSearches … maxSearches searches, uniformly.'),
    minSearches: nonNegativeInteger()
      .default(1)
      .describe(
        'The fewest searches of a transcript; 0 also teaches answering without a search (from a name of the question), so that whether to search is left to RL too.',
      ),
    queryContextRate: z
      .number()
      .min(0)
      .max(1)
      .default(1)
      .describe(
        "How often the first warm-up query is a name of the question; otherwise it is any name of the world (of the training questions, for a question file), drawn uniformly. Below 1 the warmed-up policy is not even biased towards searching the question's name: RL has to find it.",
      ),
    followUpQueryContextRate: z
      .number()
      .min(0)
      .max(1)
      .default(1)
      .describe(
        'How often a second or later warm-up query is a name of the latest result; otherwise any name, as for queryContextRate.',
      ),
    answerContextRate: z
      .number()
      .min(0)
      .max(1)
      .default(1)
      .describe(
        'How often a warm-up answer is a name of the latest result; otherwise any name, as for queryContextRate.',
      ),
    corpus: z
      .enum(['decoy', 'training'])
      .default('decoy')
      .describe(
        "What the warm-up searches. `decoy` (generated worlds): the world's passages with the names permuted within each type, so results look like real ones but state no true fact (except by chance), and the warm-up cannot teach any fact, of held-out entities or others; `training`: the training retriever (always the case for question files, which have no world to permute).",
      ),
    questions: z
      .enum(['synthetic', 'train'])
      .default('synthetic')
      .describe(
        '`synthetic` (generated worlds): a random question template of the world filled with a random entity of any split, so every name is seen as a copy target; `train`: the training questions.',
      ),
  })
  .prefault({})
  .superRefine((value, context) => {
    if (value.minSearches > value.maxSearches)
      context.addIssue({
        code: 'custom',
        path: ['minSearches'],
        message: `must be ≤ maxSearches (${value.maxSearches}), got ${value.minSearches}`,
      });
  })
  .describe('A format-only warm-up for randomly initialised models, which cannot emit the tags.');

const checkpointSchema = z
  .strictObject({
    every: positiveInteger()
      .default(10)
      .describe('Save a checkpoint every N steps (ReSearch `save_freq` = 10); the last step is always saved.'),
    keep: positiveInteger().default(3).describe('Checkpoints kept on disk (oldest removed first).'),
  })
  .prefault({})
  .describe('Checkpoints: HF model + optimizer + RNG state + step, atomically renamed, with sha256 checksums.');

const evaluationSchema = z
  .strictObject({
    every: nonNegativeInteger()
      .default(10)
      .describe('Evaluate on held-out questions every N steps (ReSearch `test_freq` = 10); 0 = only at the end.'),
    questions: positiveInteger()
      .default(100)
      .describe('Held-out questions per evaluation (ReSearch: 100 MuSiQue dev rows).'),
    responseBudget: positiveInteger()
      .optional()
      .describe('Token budget of evaluation rollouts (default: the training budget).'),
  })
  .prefault({})
  .describe('Greedy evaluation during training.');

/** A health threshold: its rule and description are training's `healthThresholdRules`, its default training's. */
const healthThreshold = (rule: HealthThresholdRule, value: number) =>
  z
    .number()
    .refine(rule.holds, { error: (issue) => `${rule.rule}, got ${String(issue.input)}` })
    .default(value)
    .describe(rule.description);
/** What an alarm catches and where that failure is documented (training's `healthAlarmKinds`). */
const alarmDescription = (kind: HealthAlarmKind) =>
  `${healthAlarmKinds[kind].description} Source: ${healthAlarmKinds[kind].source}`;
/** The thresholds of one alarm: one field per default of training's `healthAlarmKinds[kind]`, with its rule. */
const alarmSchema = (kind: HealthAlarmKind) => {
  const rules = healthThresholdRules[kind] as Record<string, HealthThresholdRule>;
  const defaults = healthAlarmKinds[kind].defaults as Readonly<Record<string, number>>;
  const fields = Object.entries(defaults).map(([field, value]) => [field, healthThreshold(rules[field]!, value)]);
  return z
    .strictObject(Object.fromEntries(fields) as Record<string, ReturnType<typeof healthThreshold>>)
    .prefault({})
    .describe(alarmDescription(kind));
};

const healthSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe(
        'Watch each step’s metrics and record training-health alarms (metrics.jsonl lines of kind "alarm", the run report, the progress line). An alarm never stops the run.',
      ),
    window: healthThreshold(healthThresholdRules.window, healthAlarmSettings.window),
    rearmSteps: healthThreshold(healthThresholdRules.rearmSteps, healthAlarmSettings.rearmSteps),
    baselineSteps: healthThreshold(healthThresholdRules.baselineSteps, healthAlarmSettings.baselineSteps),
    solvedReward: healthThreshold(healthThresholdRules.solvedReward, healthAlarmSettings.solvedReward),
    disabled: z.array(keysOf(healthAlarmKinds)).default([]).describe('Alarms never raised.'),
    'entropy-collapse': alarmSchema('entropy-collapse'),
    'format-failures': alarmSchema('format-failures'),
    'no-searches': alarmSchema('no-searches'),
    'search-runaway': z
      .strictObject({
        budget: z
          .number()
          .refine(healthThresholdRules['search-runaway'].budget.holds, {
            error: healthThresholdRules['search-runaway'].budget.rule,
          })
          .optional()
          .describe(
            'The most searches a rollout can make. Unset: `rollout.maxTurns` − 1 when maxTurns is set (the last turn does not search), else only the growth rule.',
          ),
        budgetShare: healthThreshold(
          healthThresholdRules['search-runaway'].budgetShare,
          healthAlarmKinds['search-runaway'].defaults.budgetShare,
        ),
        growth: healthThreshold(
          healthThresholdRules['search-runaway'].growth,
          healthAlarmKinds['search-runaway'].defaults.growth,
        ),
      })
      .prefault({})
      .describe(alarmDescription('search-runaway')),
    'reward-collapse': alarmSchema('reward-collapse'),
    'grad-norm-spike': alarmSchema('grad-norm-spike'),
    'skipped-steps': alarmSchema('skipped-steps'),
    'no-reward-variance': alarmSchema('no-reward-variance'),
  })
  .prefault({})
  .describe(
    'Training-health alarms (training’s `createHealthMonitor`): entropy collapse, format failures, no searches, search runaway, reward collapse, gradient-norm spikes, skipped steps, no reward variance; each raised once per episode, written to metrics.jsonl and shown in the report and the progress line.',
  );

const loraSchema = z
  .strictObject({
    rank: positiveInteger().default(16).describe('Rank r of every adapter (PEFT `r`).'),
    alpha: z
      .number()
      .gt(0)
      .default(32)
      .describe('PEFT `lora_alpha`: the update is scaled by alpha / r (alpha / √r with `rsLora`).'),
    targets: z
      .array(keysOf(loraTargetModules))
      .min(1)
      .default(Object.keys(loraTargetModules) as (keyof typeof loraTargetModules)[])
      .describe('The adapted projections of every layer (default: all seven, q/k/v/o and gate/up/down).'),
    rsLora: z.boolean().default(false).describe('Rank-stabilised scaling alpha / √r (PEFT `use_rslora`).'),
  })
  .optional()
  .describe(
    'Train LoRA adapters on a frozen base (policy-onnx `createOnnxPolicy({ lora })`): AdamW over the adapters only, the merged model exported at the end. Unset: full fine-tuning.',
  );

const runtimeSchema = z
  .strictObject({
    executionProvider: keysOf(executionProviders)
      .default('cpu')
      .describe('onnxruntime execution provider of the policy.'),
    threads: positiveInteger().optional().describe('Threads per onnxruntime operator (default: onnxruntime’s choice).'),
    maxCacheBytes: positiveInteger()
      .optional()
      .describe('KV-cache bytes kept between generate calls for prefix reuse.'),
  })
  .prefault({})
  .describe('Where the policy runs.');

/**
 * The one configuration of `research-ts train` (and the parts `eval` shares). The defaults are
 * ReSearch's recipe (research-paper §1.5): group size 5, 256 prompts per step, lr 1e-6 constant,
 * clip 0.2, k3 KL loss 0.001, entropy 0.001, grad clip 1.0, temperature 1.0, top-5 passages, a
 * response budget of 8192 tokens.
 */
export const trainerConfigSchema = z
  .strictObject({
    algorithm: z
      .enum(algorithmNames)
      .default('grpo')
      .describe(
        'The recipe applied over the preset (`--algorithm`): `grpo` (ReSearch), `dr-grpo`, `dapo`, `gspo`, `rloo`, `reinforce-pp`; each sets the loss, advantage, reward and sampling knobs of its reference run, and explicit values win over it.',
      ),
    seed: nonNegativeInteger()
      .default(1)
      .describe('Seeds question order, rollout sampling and the warm-up: the same seed and config give the same run.'),
    modelDirectory: z
      .string()
      .optional()
      .describe(
        'The policy: a Hugging Face model directory (config.json + safetensors + tokenizer), e.g. from `research-ts init-model`.',
      ),
    outputDirectory: z
      .string()
      .default('runs/research')
      .describe('Where metrics.jsonl, checkpoints/ and the final model go.'),
    data: dataSchema,
    retriever: retrieverSchema,
    prompt: promptSchema,
    rollout: rolloutSchema,
    optimizer: optimizerSchema,
    reward: rewardSchema,
    advantage: advantageSchema,
    loss: lossSchema,
    training: trainingSchema,
    warmup: warmupSchema,
    checkpoint: checkpointSchema,
    evaluation: evaluationSchema,
    health: healthSchema,
    runtime: runtimeSchema,
    lora: loraSchema,
  })
  .superRefine((value, context) => {
    // the combinations no single field can check, named now rather than at the first weight sync
    const server = value.rollout.server;
    if (server?.kind === 'vllm' && value.lora === undefined)
      context.addIssue({
        code: 'custom',
        path: ['lora'],
        message:
          'is required with rollout.server.kind "vllm": vLLM’s runtime update (/v1/load_lora_adapter) loads LoRA adapters, not full weights; set lora, or use kind "sglang" for full weights',
      });
    if (server?.kind === 'sglang' && value.lora !== undefined)
      context.addIssue({
        code: 'custom',
        path: ['lora'],
        message:
          'is not supported with rollout.server.kind "sglang": SGLang documents /load_lora_adapter, but the weight sync implements only its /update_weights_from_disk (full weights); drop lora, or use kind "vllm" for adapters',
      });
    if (server === undefined && value.training.rolloutCorrection !== undefined)
      context.addIssue({
        code: 'custom',
        path: ['training', 'rolloutCorrection'],
        message:
          'needs rollout.server: without one the rollouts come from the policy being trained, with no sampler logprobs',
      });
    if (server !== undefined && value.warmup.steps > 0)
      context.addIssue({
        code: 'custom',
        path: ['warmup', 'steps'],
        message:
          'must be 0 with rollout.server: the server starts from the model directory’s weights, not the warm-up’s',
      });
  })
  .describe('research-ts train: GRPO with the ReSearch rollout loop.');

/** A fully resolved configuration (every default filled in). */
export type TrainerConfig = z.output<typeof trainerConfigSchema>;
/** What a user writes: every field optional. */
export type TrainerConfigInput = z.input<typeof trainerConfigSchema>;

/**
 * Validates a configuration and fills in the defaults. Throws one `InvalidConfigError` naming EVERY bad
 * field by its dotted path (`optimizer.learningRate`), before any work starts.
 */
export function parseTrainerConfig(input: unknown): TrainerConfig {
  const parsed = trainerConfigSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw invalidConfigOf(parsed.error.issues, 'config');
}
