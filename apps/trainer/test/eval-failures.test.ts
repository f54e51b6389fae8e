import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadQuestions } from '@research-ts/datasets';
import { loadFlexsearchRetriever } from '@research-ts/retriever-flexsearch';
import { loadTokenizer } from '@research-ts/tokenizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIndex } from '../src/build-index';
import { initModel } from '../src/init-model';
import { repositoryRoot, runCli } from './cli-helpers';
import { startFakeOpenAIServer, type FakeOpenAIServer } from './fake-openai-server';
import { startFakeRetrieverServer } from './fake-retriever-server';

const sample = join(repositoryRoot, '..', 'shared', 'research-data', 'flashrag-sample');
const corpusFile = join(sample, 'corpus.jsonl');
const questionsFile = join(sample, 'nq_test.jsonl');
for (const file of [corpusFile, questionsFile])
  if (!existsSync(file)) throw new Error(`the shared FlashRAG sample is missing: expected ${file}`);

/**
 * `research-ts eval` when a dependency fails mid-run: a retriever, or the completions server. The
 * scripted model answers odd-numbered questions at once ("no idea") and searches for the even-numbered
 * ones, answering their golden answer once it has read the result, so a failure at the search or at the
 * second turn leaves the odd-numbered predictions finished.
 */
describe('research-ts eval: failing dependencies, and --resume', () => {
  const root = mkdtempSync(join(tmpdir(), 'research-ts-eval-failures-'));
  const index = join(root, 'index');
  const model = join(root, 'model');
  const limit = 6;
  const state = { generationDown: false };
  let server: FakeOpenAIServer;
  let questions: { id: string; question: string; goldenAnswers: string[] }[];

  beforeAll(async () => {
    await buildIndex({ corpusFile, directory: index, progress: false });
    await initModel({ directory: model, size: 'micro', seed: 1, tokenizer: 'bpe', bpeVocabSize: 600, corpusFile });
    questions = (await loadQuestions(questionsFile)).examples.slice(0, limit);
    const positionOf = (prompt: string) => questions.findIndex((entry) => prompt.includes(`User: ${entry.question}.`));
    // the base template's instructions name the tags: look at the response only
    const hasResult = (prompt: string) => prompt.slice(prompt.indexOf('. Assistant:')).includes('<result>');
    server = await startFakeOpenAIServer({
      tokenizer: await loadTokenizer(model),
      complete(prompt) {
        const position = positionOf(prompt);
        if (position % 2 === 1)
          return { text: ' <think> I know this. </think> <answer> \\boxed{no idea} </answer>', stop: 'eos' };
        if (!hasResult(prompt))
          return {
            text: ` <think> I should look this up. </think> <search> ${questions[position]!.question} </search>`,
            stop: 'search',
          };
        return {
          text: ` <think> Found it. </think> <answer> \\boxed{${questions[position]!.goldenAnswers[0]}} </answer>`,
          stop: 'eos',
        };
      },
      fail: (prompt) => (state.generationDown && hasResult(prompt) ? 500 : undefined),
    });
  }, 120_000);

  afterAll(async () => {
    await server?.close();
  });

  const evalArgs = (retriever: string, output: string, ...extra: string[]) => [
    'eval',
    '-q',
    questionsFile,
    '--limit',
    String(limit),
    '-r',
    retriever,
    '--server',
    server.baseURL,
    '--served-model',
    'fake',
    '--tokenizer',
    model,
    '-o',
    output,
    ...extra,
  ];
  const rowsOf = (output: string) =>
    readFileSync(output, 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: string; finishReason: string; prediction: string });
  const askedIn = (prompts: readonly string[]) =>
    questions
      .filter((entry) => prompts.some((prompt) => prompt.includes(`User: ${entry.question}.`)))
      .map((entry) => entry.id);

  it('a retriever URL that speaks another API stops eval at its start with exit 1, naming the retriever; nothing is written', async () => {
    const other = server.baseURL.replace(/\/v1$/, ''); // the completions server: no /batch_search there
    const output = join(root, 'wrong-api.jsonl');
    const started = Date.now();
    const run = await runCli(evalArgs(other, output));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `research-ts: the retriever cannot be used: its test search failed (retriever "http:flashrag:${other}/" failed after 1 try: POST ${other}/batch_search failed with HTTP 404`,
    );
    expect(existsSync(output)).toBe(false);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('a retriever that fails during the run stops eval with exit 1, naming it; the finished predictions stay, and --resume asks only the rest', async () => {
    const retriever = await startFakeRetrieverServer(await loadFlexsearchRetriever(index), { failAfter: 1 }); // the test search passes
    try {
      const output = join(root, 'retriever-down.jsonl');
      const failed = await runCli(evalArgs(retriever.url, output));
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(
        new RegExp(
          `research-ts: retriever "http:flashrag:${retriever.url}/" failed after 1 try: POST ${retriever.url}/batch_search failed with HTTP 422: the index is not loaded \\(3 of 3 searches failed so far in this batch; none may fail`,
        ),
      );
      // the questions that needed no search finished and were written as they finished; the others end in 'error'
      const kept = rowsOf(output);
      expect(
        kept
          .filter((row) => row.finishReason === 'eos')
          .map((row) => row.id)
          .sort(),
      ).toEqual(['test_1', 'test_3', 'test_5']);
      expect(
        kept
          .filter((row) => row.finishReason === 'error')
          .map((row) => row.id)
          .sort(),
      ).toEqual(['test_0', 'test_2', 'test_4']);

      retriever.failing = false;
      const before = server.prompts.length;
      const resumed = await runCli(evalArgs(retriever.url, output, '--resume'));
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stderr).toContain('resuming: 3 of 6 questions already answered');
      expect(askedIn(server.prompts.slice(before))).toEqual(['test_0', 'test_2', 'test_4']);
      const rows = rowsOf(output);
      expect(rows.map((row) => row.id)).toEqual(questions.map((entry) => entry.id));
      expect(rows.every((row) => row.finishReason === 'eos')).toBe(true);
      expect(resumed.stdout).toMatch(/6 questions: reward 0\.550, .* 0 failed searches/);
    } finally {
      await retriever.close();
    }
  });

  it('a completions server that goes down mid-run: the configured retries, exit 1, the finished predictions stay; --resume finishes the rest', async () => {
    const output = join(root, 'server-down.jsonl');
    state.generationDown = true;
    try {
      const failed = await runCli(evalArgs(index, output, '--retries', '2', '--retry-max-wait', '1'));
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(/completions server: .*HTTP 500.*; retry 1 of 2 in \d\.\d s/);
      expect(failed.stderr).toMatch(/retry 2 of 2 in/);
      expect(failed.stderr).toMatch(/^research-ts: .*gave up after 3 attempts/m);
      expect(
        rowsOf(output)
          .map((row) => row.id)
          .sort(),
      ).toEqual(['test_1', 'test_3', 'test_5']);
    } finally {
      state.generationDown = false;
    }
    const before = server.prompts.length;
    const resumed = await runCli(evalArgs(index, output, '--resume'));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(askedIn(server.prompts.slice(before))).toEqual(['test_0', 'test_2', 'test_4']);
    expect(rowsOf(output).map((row) => [row.id, row.finishReason])).toEqual(
      questions.map((entry) => [entry.id, 'eos']),
    );
  });

  it('with --max-failed-search-share 1 the evaluation goes on and counts the failed searches', async () => {
    const retriever = await startFakeRetrieverServer(await loadFlexsearchRetriever(index), { failAfter: 1 });
    try {
      const run = await runCli(evalArgs(retriever.url, join(root, 'tolerant.jsonl'), '--max-failed-search-share', '1'));
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/6 questions: .* 3 failed searches;/);
    } finally {
      await retriever.close();
    }
  });
});
