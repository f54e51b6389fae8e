import type { TrainerConfigInput } from './trainer-config';

/**
 * Named starting points for a config. `research` is the schema's defaults (ReSearch's recipe);
 * `tiny` is the CPU demo: a small generated world of one-word names and 1-hop questions about people,
 * the compact prompt, one passage per search, short responses, a format warm-up on a decoy corpus (so it
 * teaches no fact), word embeddings that RL leaves as the warm-up made them, and a learning rate fit for a
 * randomly initialised model of a few hundred thousand parameters, decayed along a cosine so that late
 * updates do not break the format (see apps/trainer/EXPERIMENTS.md for how it was found).
 */
export const configPresets = {
  research: {},
  tiny: {
    seed: 1,
    outputDirectory: 'runs/tiny',
    data: {
      world: {
        seed: 7,
        people: 300,
        places: 30,
        organisations: 30,
        countries: 5,
        personNameWords: 1,
        organisationSuffixes: [],
        relations: ['born_in', 'works_for', 'founded_by', 'headquartered_in'],
        sentenceTemplates: {
          born_in: ['{subject} was born in {object}.'],
          works_for: ['{subject} works for {object}.'],
          founded_by: ['{subject} was founded by {object}.'],
          headquartered_in: ['{subject} is based in {object}.'],
        },
        // 1-hop questions about people that end with the preposition that precedes the answer in the passage
        questionTemplates: {
          born_in: ['Which city was {subject} born in?'],
          works_for: ['Which company does {subject} work for?'],
        },
        questionsPerHop: { 1: 600, 2: 0, 3: 0 },
        split: 'entity',
      },
    },
    retriever: { kind: 'world', topK: 1 },
    prompt: { template: 'compact' },
    rollout: { groupSize: 5, promptsPerStep: 16, temperature: 1, responseBudget: 160 },
    optimizer: { learningRate: 2e-3, weightDecay: 0, schedule: 'cosine', minLearningRateRatio: 0.1 },
    loss: { klCoefficient: 0.01, entropyCoefficient: 0 },
    training: { steps: 320, maxTokensPerMicroBatch: 4096, frozenParameters: ['model.embed_tokens.weight'], rescoreFirstEpoch: false },
    warmup: { steps: 800, batchSize: 16, learningRate: 3e-3, maxSearches: 3, questions: 'synthetic', corpus: 'decoy' },
    checkpoint: { every: 10, keep: 2 },
    evaluation: { every: 100, questions: 120 },
    runtime: { threads: 1 },
  },
} satisfies Record<string, TrainerConfigInput>;

export type ConfigPresetName = keyof typeof configPresets;
