/**
 * `npm run demo`: proof that GRPO learns to search, on CPU, from a randomly initialised model.
 *
 * 1. Generates a fictional world (the `tiny` preset: 300 people, 30 cities and 100 companies with one-word
 *    names) whose facts no model can know, with 1-hop questions ("Which city is Vorshuk based in?") and 2-hop
 *    bridge questions ("Which city is the company Grahek works for based in?": search the person, then the
 *    company found, then answer its city), split by entity into train and held-out (a held-out question is
 *    about an entity no training question is about), and writes it as FlashRAG files under runs/demo/world/.
 * 2. Builds a word-level tokenizer from the world's text and a randomly initialised tiny Qwen2-family
 *    policy (runs/demo/initial-model/).
 * 3. Indexes the corpus with the lexical (BM25) retriever (runs/demo/index/).
 * 4. Trains with `research-ts train --preset tiny`: a short warm-up that teaches the tag format only, on
 *    transcripts that make 1–3 searches at random, whose first query is a name of the question and whose later
 *    queries and answer are names drawn at random from the latest result (searching a decoy copy of the corpus
 *    with the names permuted, so that it teaches no fact), then GRPO through the full ReSearch loop (generate →
 *    search → insert `<result>` with loss mask 0 → reward) on CPU. Which name of a result to search next, when
 *    to stop searching and which name to answer come from RL.
 * 5. Prints the training reward at step 1 (before any update) and over the first and last 5 steps, the
 *    held-out exact match in all and per question type (1-hop, 2-hop), the held-out exact match of the same policy with a retriever that returns nothing,
 *    and its answers against a corpus whose names are permuted (does it read or recall?); metrics.jsonl,
 *    rollouts.jsonl, checkpoints/ and the final model are under runs/demo/run/.
 *
 * 6. Writes runs/demo/run/report.html: training curves and a rollout viewer (opening on a learned 2-hop
 *    rollout), one self-contained file.
 *
 * `DEMO_STEPS=40 npm run demo` shortens the GRPO phase (the default is the preset's).
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeWorld } from '@research-ts/datasets';
import { writeRunReport } from '@research-ts/report';
import { buildIndex, buildWorld, formatTrainSummary, initModel, resolveConfig, train } from '@research-ts/trainer';

const started = performance.now();
const root = join(process.cwd(), 'runs', 'demo');
await rm(root, { recursive: true, force: true });
const overrides = process.env.DEMO_STEPS === undefined ? [] : [`training.steps=${process.env.DEMO_STEPS}`];
const preset = await resolveConfig({ preset: 'tiny', overrides });

const world = buildWorld(preset.data.world!);
const files = await writeWorld(join(root, 'world'), world);
console.log(
  `world: ${world.entities.length} entities, ${world.passages.length} passages, ${world.questions.train.length} train / ` +
    `${world.questions.heldOut.length} held-out questions (${files.corpus.path})`,
);
const example = world.questions.heldOut.find((question) => question.metadata.hops === 2) ?? world.questions.heldOut[0]!;
console.log(`e.g. ${example.metadata.hops}-hop: ${example.question} -> ${example.goldenAnswers.join(' | ')}`);

const modelDirectory = join(root, 'initial-model');
const model = await initModel({ directory: modelDirectory, size: 'tiny', seed: preset.seed, tokenizer: 'word', world });
console.log(
  `policy: ${model.parameterCount.toLocaleString('en-US')} parameters, random init; word-level tokenizer of ${model.vocabSize} ids`,
);

const indexDirectory = join(root, 'index');
const index = await buildIndex({ corpusFile: files.corpus.path, directory: indexDirectory, progress: false });
console.log(`index: ${index.passages} passages (BM25, flexsearch)\n`);

const config = await resolveConfig({
  preset: 'tiny',
  overrides,
  fields: { modelDirectory, outputDirectory: join(root, 'run'), retriever: { kind: 'index', indexDirectory } },
});
const summary = await train({ config, overwrite: true });
console.log(`\n${formatTrainSummary(summary)}`);
// the viewer opens on a learned 2-hop rollout: the latest right answer to a 2-hop question that searched twice or more
const twoHop = new Set(world.questions.train.filter((question) => question.metadata.hops === 2).map((q) => q.question));
const report = await writeRunReport({
  runDirectory: config.outputDirectory,
  featured: (rollout) =>
    rollout.reward === 1 &&
    twoHop.has(rollout.question ?? '') &&
    rollout.segments.filter((segment) => segment.kind === 'result').length >= 2,
});
console.log(
  `\ntotal wall time ${((performance.now() - started) / 1000).toFixed(0)} s; metrics: ${join(config.outputDirectory, 'metrics.jsonl')}; ` +
    `report: ${report.outputFile} (open it in a browser: training curves and a rollout viewer)`,
);
