import type { TrainerConfigInput } from './trainer-config';

/**
 * Named starting points for a config. `research` is the schema's defaults (ReSearch's recipe);
 * `tiny` is the CPU demo: a small generated world of one-word names with 1-hop and 2-hop questions that ask for a
 * city, the compact prompt, one passage per search, short responses, a format warm-up on a decoy corpus (so it
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
        organisations: 100,
        countries: 5,
        personNameWords: 1,
        organisationSuffixes: [],
        // No `born_in`: a person's passage names only the employer, so one reading rule serves every question —
        // search the question's entity, then the company a person's passage names, then answer the city of the
        // latest result. (With birthplaces in the passages and asked for, the second search went to the
        // birthplace instead of the employer: apps/trainer/EXPERIMENTS.md, runs E7, E8, E11.)
        relations: ['works_for', 'founded_by', 'headquartered_in'],
        objectSpread: 'balanced',
        sentenceTemplates: {
          works_for: ['{subject} works for {object}.'],
          founded_by: ['{subject} was founded by {object}.'],
          headquartered_in: ['{subject} is based in {object}.'],
        },
        // 1-hop: where a company is based; 2-hop: where the company a person works for is based (search the
        // person, then the company found, then answer its city). Each question ends with the word that precedes
        // the answer in the last passage.
        questionTemplates: {
          headquartered_in: ['Which city is {subject} based in?'],
          'works_for>headquartered_in': ['Which city is the company {subject} works for based in?'],
        },
        questionsPerHop: { 1: 100, 2: 300, 3: 0 },
        split: 'entity',
      },
    },
    retriever: { kind: 'world', topK: 1 },
    prompt: { template: 'compact' },
    rollout: { groupSize: 5, promptsPerStep: 16, temperature: 1, responseBudget: 160 },
    optimizer: { learningRate: 2e-3, weightDecay: 0, schedule: 'cosine', minLearningRateRatio: 0.1 },
    loss: { klCoefficient: 0.01, entropyCoefficient: 0 },
    training: {
      steps: 320,
      maxTokensPerMicroBatch: 4096,
      frozenParameters: ['model.embed_tokens.weight'],
      rescoreFirstEpoch: false,
    },
    warmup: {
      steps: 800,
      batchSize: 16,
      learningRate: 3e-3,
      maxSearches: 3,
      questions: 'synthetic',
      corpus: 'decoy',
      answerContextRate: 1,
    },
    checkpoint: { every: 10, keep: 2 },
    evaluation: { every: 100, questions: 80 },
    runtime: { threads: 1 },
  },
} satisfies Record<string, TrainerConfigInput>;

export type ConfigPresetName = keyof typeof configPresets;
