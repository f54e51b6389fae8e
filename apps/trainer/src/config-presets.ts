import type { TrainerConfigInput } from './trainer-config';

/**
 * Named starting points for a config. `research` is the schema's defaults (ReSearch's recipe);
 * `tiny` is the CPU demo: a small generated world of one-word names and 1-hop questions that ask for a city,
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
        // 1-hop questions that ask for a city: where a person was born ("X was born in P.", the first fact of a
        // person's passage) and where a company is based ("O is based in Z.", the second fact of a company's);
        // each question ends with the word that precedes the answer in the passage. (Asking for a person's
        // employer as well left GRPO on a plateau that answers one fact for both questions; asking who founded a
        // company, 9 % of the questions, was never learned: apps/trainer/EXPERIMENTS.md.)
        questionTemplates: {
          born_in: ['Which city was {subject} born in?'],
          headquartered_in: ['Which city is {subject} based in?'],
        },
        questionsPerHop: { 1: 330, 2: 0, 3: 0 },
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
      answerContextRate: 0.25,
    },
    checkpoint: { every: 10, keep: 2 },
    evaluation: { every: 100, questions: 66 },
    runtime: { threads: 1 },
  },
} satisfies Record<string, TrainerConfigInput>;

export type ConfigPresetName = keyof typeof configPresets;
