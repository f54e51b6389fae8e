/**
 * agentic-rag: the ReSearch rollout loop with a model behind an OpenAI-compatible completions server
 * (vLLM, SGLang) and a BM25 retriever over a corpus, streaming what happens to the console.
 *
 *   npm start -w @research-ts/example-agentic-rag                       # offline: a local fake server
 *   OPENAI_BASE_URL=http://127.0.0.1:8000/v1 MODEL=<served name> TOKENIZER_DIR=<model dir> \
 *     npm start -w @research-ts/example-agentic-rag -- --question "…"   # a real model
 */
import { parseArgs } from 'node:util';
import { readCorpusJsonl } from '@research-ts/datasets';
import { reSearchReward } from '@research-ts/evaluators';
import { createOpenAICompletionsPolicy, type CompletionServer } from '@research-ts/policy-openai';
import { createFlexsearchRetriever } from '@research-ts/retriever-flexsearch';
import { rollout } from '@research-ts/rollout';
import { splitPassageContents, type Passage, type RolloutEvent, type Tokenizer } from '@research-ts/spec';
import { buildBpeTokenizer, chatMlTemplate, loadTokenizer, loadTokenizerFromJson } from '@research-ts/tokenizer';
import { exampleCorpus, exampleGoldenAnswers, exampleQuestion } from './corpus';
import { startFakeCompletionsServer, type FakeCompletionsServer } from './fake-completions-server';

const { values: flags } = parseArgs({
  options: {
    fake: { type: 'boolean', default: false },
    question: { type: 'string' },
    answer: { type: 'string', multiple: true },
    corpus: { type: 'string' },
    template: { type: 'string', default: 'instruct' },
    'top-k': { type: 'string', default: '3' },
    'max-tokens': { type: 'string', default: '2048' },
  },
});
const baseURL = process.env.OPENAI_BASE_URL;
const fake = flags.fake || baseURL === undefined || baseURL === '';
const question = flags.question ?? exampleQuestion;
const goldenAnswers = flags.answer ?? (flags.question === undefined ? exampleGoldenAnswers : []);
const template = flags.template === 'base' ? 'base' : 'instruct';

// 1. The corpus and its BM25 index (your own: --corpus file.jsonl with FlashRAG {"id", "contents"} lines).
const corpus: Passage[] = flags.corpus === undefined ? exampleCorpus : await readCorpusJsonl(flags.corpus).toArray();
const retriever = createFlexsearchRetriever(corpus);
console.log(`corpus: ${corpus.length} passages (${flags.corpus ?? 'built-in'}), retriever: ${retriever.name}`);

// 2. The policy: a real server, or a local fake one that replays what a trained model writes.
const fakeTurns = [
  '<think> The PlayStation is a game console. I need the company that makes it, then its founders. </think> <search> PlayStation console company </search>',
  ' <think> The PlayStation is made by Sony. Now I need who founded Sony. </think> <search> Sony founded by </search>',
  ' <think> Sony was founded by Masaru Ibuka and Akio Morita in 1946. </think> <answer> The final answer is \\[ \\boxed{Masaru Ibuka and Akio Morita} \\] </answer>',
];
let tokenizer: Tokenizer;
let server: FakeCompletionsServer | undefined;
let policyURL: string;
let model: string;
if (fake) {
  if (flags.question !== undefined)
    throw new Error(
      'the fake server only replays the built-in question; set OPENAI_BASE_URL, MODEL and TOKENIZER_DIR for a real model',
    );
  // A small byte-level BPE tokenizer learned from the corpus, with the tags as single tokens.
  tokenizer = loadTokenizerFromJson({
    tokenizerJson: buildBpeTokenizer([...corpus.map((passage) => passage.contents), ...fakeTurns], {
      vocabSize: 700,
      tagTokens: true,
    }),
    tokenizerConfig: { eos_token: '<|im_end|>', pad_token: '<|endoftext|>', chat_template: chatMlTemplate },
  });
  server = await startFakeCompletionsServer({ tokenizer, turns: fakeTurns });
  policyURL = server.baseURL;
  model = 'fake-research-agent';
  console.log(`policy: a local fake vLLM at ${policyURL} (offline; set OPENAI_BASE_URL for a real model)`);
} else {
  const tokenizerDirectory = process.env.TOKENIZER_DIR;
  if (tokenizerDirectory === undefined || process.env.MODEL === undefined) {
    throw new Error(
      'with OPENAI_BASE_URL, also set MODEL (the served model name) and TOKENIZER_DIR (the model folder with tokenizer.json)',
    );
  }
  tokenizer = await loadTokenizer(tokenizerDirectory);
  policyURL = baseURL!;
  model = process.env.MODEL;
  console.log(`policy: ${model} at ${policyURL}`);
}
const policy = createOpenAICompletionsPolicy({
  baseURL: policyURL,
  model,
  tokenizer,
  server: (process.env.SERVER ?? 'vllm') as CompletionServer,
  ...(process.env.OPENAI_API_KEY === undefined ? {} : { apiKey: process.env.OPENAI_API_KEY }),
});

// 3. The loop, printing its events as they stream.
const printEvent = (event: RolloutEvent) => {
  switch (event.type) {
    case 'turn-start':
      process.stdout.write(`\n--- turn ${event.turn} (model)\n`);
      break;
    case 'text-delta':
      process.stdout.write(event.delta);
      break;
    case 'search-start':
      process.stdout.write(`\n--- search ${event.turn}: ${JSON.stringify(event.query)}\n`);
      break;
    case 'search-end':
      for (const passage of event.passages)
        console.log(`    ${passage.id.padStart(3)}  ${splitPassageContents(passage.contents).title}`);
      break;
    case 'search-error':
      console.log(`    search failed: ${event.error}${event.willRetry ? ' (retrying)' : ''}`);
      break;
    case 'result-inserted':
      console.log(`    inserted <result> block: ${event.tokenCount} tokens, loss mask 0`);
      break;
    case 'trajectory-end':
      process.stdout.write('\n');
      break;
  }
};

console.log(`\nquestion: ${question}`);
try {
  const [sample] = await rollout({
    policy,
    retriever,
    tokenizer,
    questions: [question],
    template,
    topK: Number(flags['top-k']),
    responseBudget: Number(flags['max-tokens']),
    sampling: { temperature: 0 },
    onEvent: printEvent,
  });
  const { trajectory } = sample!;
  const generated = trajectory.lossMask.reduce((sum, value) => sum + value, 0);
  console.log(
    `\nfinish: ${trajectory.finishReason}, searches: ${trajectory.searches.length}, response tokens: ${trajectory.responseIds.length} (${generated} generated, ${trajectory.responseIds.length - generated} inserted)`,
  );
  if (goldenAnswers.length > 0) {
    const reward = reSearchReward.score({
      response: trajectory.text,
      goldenAnswers,
      endedWithEos: trajectory.finishReason === 'eos',
      question,
    });
    console.log(
      `reward: ${reward.score} (${reward.reason}), prediction: ${JSON.stringify(reward.prediction ?? null)}, golden: ${goldenAnswers.join(' | ')}`,
    );
  }
} finally {
  await server?.close();
}
