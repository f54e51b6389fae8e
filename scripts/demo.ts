/**
 * `npm run demo` (until the trainer lands): the whole ReSearch data path on a generated world, with
 * scripted agents in place of a trained model.
 *
 * 1. Generates a fictional world (people, cities, companies, countries) whose facts no model can know,
 *    with 1-, 2- and 3-hop questions, and indexes its passages with the BM25 retriever.
 * 2. Builds a byte-level BPE tokenizer from the world's text, with the tags as single tokens.
 * 3. Runs the real ReSearch rollout loop (generate until `</search>` or EOS, batched search, `<result>`
 *    insertion with loss mask 0, token budget) for four scripted agents over the held-out questions.
 * 4. Scores every rollout with the exact ReSearch reward and prints what each behaviour earns.
 *
 * The table shows what GRPO will be rewarding: only well-formed rollouts that search and answer from
 * the results reach a reward near 1; a guess earns 0.1, a format error 0.
 */
import { generateWorld, type WorldQuestion } from '@research-ts/datasets';
import { exactMatch, f1Score, reSearchReward } from '@research-ts/evaluators';
import { createFlexsearchRetriever } from '@research-ts/retriever-flexsearch';
import { rollout, type RolloutSample } from '@research-ts/rollout';
import { extractAnswer } from '@research-ts/tags';
import { buildBpeTokenizer, loadTokenizerFromJson } from '@research-ts/tokenizer';
import { createScriptedPolicy, type AgentScript } from './demo/scripted-policy';

const started = performance.now();
const world = generateWorld({ seed: 7 });
const questions = world.questions.heldOut as WorldQuestion[];
const retriever = createFlexsearchRetriever(world.passages);
const corpusText = [...world.passages.map((passage) => passage.contents), ...world.questions.train.map((q) => q.question)];
const tokenizer = loadTokenizerFromJson({
  tokenizerJson: buildBpeTokenizer(corpusText, { vocabSize: 2000, tagTokens: true }),
  tokenizerConfig: { eos_token: '<|im_end|>', pad_token: '<|endoftext|>' },
});
console.log(
  `world: ${world.entities.length} entities, ${world.passages.length} passages, ` +
    `${world.questions.train.length} train / ${questions.length} held-out questions; tokenizer: ${tokenizer.vocabSize} ids`,
);
const example = questions.find((question) => question.metadata.hops === 2) ?? questions[0]!;
console.log(`example ${example.metadata.hops}-hop question: ${example.question} -> ${example.goldenAnswers.join(' | ')}\n`);

const byQuestion = new Map(questions.map((question) => [question.question, question]));
const answerOf = (text: string) => `<think> I have what I need. </think> <answer> The final answer is \\[ \\boxed{${text}} \\] </answer>`;
/** The first name of the given passage's text that is another entity's name: what "reading" a result means here. */
const namesIn = (text: string) => world.entities.filter((entity) => text.includes(entity.name)).map((entity) => entity.name);

const agents: Record<string, AgentScript> = {
  // Searches each hop's entity (the queries a perfect searcher would ask), then answers with the gold answer
  // only if the retrieved text contains it: the ceiling the retriever allows.
  'search, then answer from results': (question, results) => {
    const meta = byQuestion.get(question)!.metadata;
    if (results.length < meta.hops) return `<think> I need to look up ${meta.searchQueries[results.length]}. </think> <search> ${meta.searchQueries[results.length]} </search>`;
    const gold = byQuestion.get(question)!.goldenAnswers[0]!;
    return answerOf(results.join('\n').includes(gold) ? gold : (namesIn(results.at(-1)!)[0] ?? 'unknown'));
  },
  // Never searches; names a random city of the world.
  'answer without searching': (question) => {
    const places = world.entities.filter((entity) => entity.type === 'place');
    return answerOf(places[question.length % places.length]!.name);
  },
  // Searches but never closes its think tag: a format failure, reward 0 whatever the answer.
  'malformed tags': (question, results) =>
    results.length === 0 ? `<think> Let me search. <search> ${question} </search>` : `<answer> \\boxed{${byQuestion.get(question)!.goldenAnswers[0]}} </answer>`,
  // Answers correctly but keeps writing past the token budget: no EOS, reward 0 ('over-length').
  'never stops writing': (question) => `${answerOf(byQuestion.get(question)!.goldenAnswers[0]!)} ${'And more. '.repeat(400)}`,
};

const questionOf = (context: string) => {
  const match = /User: ([\s\S]*?)\. Assistant:/.exec(context);
  return match?.[1] ?? '';
};

const rows: string[][] = [];
for (const [name, script] of Object.entries(agents)) {
  const policy = createScriptedPolicy({ tokenizer, questionOf, script });
  const samples: RolloutSample[] = await rollout({
    policy,
    retriever,
    tokenizer,
    questions: questions.map((question) => question.question),
    template: 'base',
    responseBudget: 512,
    topK: 5,
  });
  let reward = 0;
  let em = 0;
  let f1 = 0;
  let searches = 0;
  let masked = 0;
  let tokens = 0;
  const reasons = new Map<string, number>();
  samples.forEach((sample, index) => {
    const question = questions[index]!;
    const { trajectory } = sample;
    const result = reSearchReward.score({
      response: trajectory.text,
      goldenAnswers: question.goldenAnswers,
      endedWithEos: trajectory.finishReason === 'eos',
    });
    const extracted = extractAnswer(trajectory.text);
    const prediction = extracted.ok ? extracted.answer : '';
    reward += result.score;
    em += exactMatch(prediction, question.goldenAnswers) ? 1 : 0;
    f1 += f1Score(prediction, question.goldenAnswers).f1;
    searches += trajectory.searches.length;
    tokens += trajectory.lossMask.length;
    masked += trajectory.lossMask.reduce((sum, bit) => sum + (bit === 0 ? 1 : 0), 0);
    reasons.set(result.reason, (reasons.get(result.reason) ?? 0) + 1);
  });
  const n = samples.length;
  rows.push([
    name,
    (reward / n).toFixed(3),
    (em / n).toFixed(3),
    (f1 / n).toFixed(3),
    (searches / n).toFixed(2),
    `${((100 * masked) / Math.max(1, tokens)).toFixed(1)}%`,
    [...reasons].map(([reason, count]) => `${reason} ${count}`).join(', '),
  ]);
}

const header = ['agent', 'reward', 'EM', 'F1', 'searches', 'masked', 'reward reasons'];
const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ');
console.log(line(header));
console.log(widths.map((width) => '-'.repeat(width)).join('  '));
for (const row of rows) console.log(line(row));
console.log(
  `\n${questions.length} held-out questions per agent, real rollout loop, BM25 top-5, ReSearch reward; ` +
    `"masked" = share of response tokens inserted by the environment (loss mask 0). ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
