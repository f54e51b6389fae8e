import type { TrainerConfigInput } from './trainer-config';

/**
 * Named starting points for a config. `research` is the schema's defaults (ReSearch's recipe);
 * `tiny` is the CPU demo: a small generated world of one-word names, the compact prompt, one passage
 * per search, short responses, a format warm-up and a learning rate fit for a randomly initialised
 * model of a few hundred thousand parameters (see apps/trainer/EXPERIMENTS.md for how it was found).
 */
export const configPresets = {
  research: {},
  tiny: {
    seed: 1,
    outputDirectory: 'runs/tiny',
    data: {
      world: {
        seed: 7,
        people: 120,
        places: 20,
        organisations: 20,
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
        questionsPerHop: { 1: 100, 2: 100, 3: 0 },
        split: 'entity',
      },
    },
    retriever: { kind: 'world', topK: 1 },
    prompt: { template: 'compact' },
    rollout: { groupSize: 5, promptsPerStep: 16, temperature: 1, responseBudget: 160 },
    optimizer: { learningRate: 2e-3, weightDecay: 0 },
    loss: { klCoefficient: 0.01, entropyCoefficient: 0 },
    training: { steps: 400, maxTokensPerMicroBatch: 4096 },
    warmup: { steps: 500, batchSize: 16, learningRate: 3e-3, maxSearches: 2, questions: 'synthetic' },
    checkpoint: { every: 10, keep: 2 },
    evaluation: { every: 50, questions: 60 },
    runtime: { threads: 1 },
  },
} satisfies Record<string, TrainerConfigInput>;

export type ConfigPresetName = keyof typeof configPresets;
