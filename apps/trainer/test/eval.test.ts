import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadQuestions } from '@research-ts/datasets';
import { PAPER_TABLE_2 } from '@research-ts/evaluators';
import { loadFlexsearchRetriever } from '@research-ts/retriever-flexsearch';
import { createRetrieverServer } from '@research-ts/retriever-http';
import { loadTokenizer } from '@research-ts/tokenizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIndex } from '../src/build-index';
import { initModel } from '../src/init-model';
import { runEvaluation } from '../src/run-evaluation';
import { serveRetriever } from '../src/serve-retriever';
import { repositoryRoot, runCli } from './cli-helpers';
import { startFakeOpenAIServer, type FakeOpenAIServer } from './fake-openai-server';

const sample = join(repositoryRoot, '..', 'shared', 'research-data', 'flashrag-sample');
const corpusFile = join(sample, 'corpus.jsonl');
const questionsFile = join(sample, 'nq_test.jsonl');
const bamboogleFile = join(repositoryRoot, '..', 'shared', 'research-data', 'qa-dev', 'bamboogle_test.json');
// CI keeps a copy of `shared/` beside the clone: missing data fails the suite rather than skipping it
for (const file of [corpusFile, questionsFile, bamboogleFile])
  if (!existsSync(file)) throw new Error(`the shared FlashRAG sample is missing: expected ${file}`);

describe('research-ts eval with a fake OpenAI-compatible server and the FlashRAG sample corpus', () => {
  const root = mkdtempSync(join(tmpdir(), 'research-ts-eval-'));
  const index = join(root, 'index');
  const model = join(root, 'model');
  let server: FakeOpenAIServer;
  /** The CLI options that point `eval` at the fake OpenAI-compatible server. */
  const servedFakeModel = () => ['--server', server.baseURL, '--served-model', 'fake', '--tokenizer', model];
  let questions: { question: string; goldenAnswers: string[] }[];

  beforeAll(async () => {
    await buildIndex({ corpusFile, directory: index, progress: false });
    // a BPE tokenizer learned from the corpus; the policy itself is the fake server
    await initModel({ directory: model, size: 'micro', seed: 1, tokenizer: 'bpe', bpeVocabSize: 600, corpusFile });
    const tokenizer = await loadTokenizer(model);
    questions = (await loadQuestions(questionsFile)).examples;
    // The scripted "model": search the question's text, then answer the golden answer for even-numbered
    // questions (by order in the file) and "no idea" for the others.
    server = await startFakeOpenAIServer({
      tokenizer,
      complete(prompt) {
        const question = /User: ([\s\S]*?)\. Assistant:/.exec(prompt)![1]!;
        const response = prompt.slice(prompt.indexOf('. Assistant:'));
        if (!response.includes('<result>'))
          return { text: ` <think> I should look this up. </think> <search> ${question} </search>`, stop: 'search' };
        const position = questions.findIndex((entry) => entry.question === question);
        const answer = position % 2 === 0 ? questions[position]!.goldenAnswers[0]! : 'no idea';
        return {
          text: ` <think> Found it. </think> <answer> The final answer is \\[ \\boxed{${answer}} \\] </answer>`,
          stop: 'eos',
        };
      },
      judge: (prompt) => (prompt.includes('pred_answer: no idea') ? 'incorrect' : 'correct'),
    });
  }, 120_000);

  afterAll(async () => {
    await server?.close();
  });

  it('runs the loop with a local index: one search and one answer per question, EM = the scripted share', async () => {
    const output = join(root, 'predictions.jsonl');
    const result = await runEvaluation({
      questionsFiles: [questionsFile],
      serverUrl: server.baseURL,
      servedModel: 'fake',
      tokenizerDirectory: model,
      retriever: { kind: 'index', indexDirectory: index },
      template: 'base',
      responseBudget: 8192,
      topK: 5,
      outputFile: output,
      progress: false,
    });
    const expectedEm = questions.filter((_, position) => position % 2 === 0).length / questions.length;
    expect(result.summary.count).toBe(questions.length);
    expect(result.summary.exactMatch).toBeCloseTo(expectedEm, 12);
    expect(result.summary.searches).toBe(1);
    expect(result.summary.formatOk).toBe(1);
    // the wrong answers still earn the format reward, the right ones F1 = 1
    expect(result.summary.reward).toBeCloseTo(expectedEm * 1 + (1 - expectedEm) * 0.1, 12);
    const lines = readFileSync(output, 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(questions.length);
    expect(lines[0]).toMatchObject({
      dataset: 'nq_test',
      id: 'test_0',
      prediction: questions[0]!.goldenAnswers[0],
      exactMatch: true,
      searches: 1,
      finishReason: 'eos',
    });
    expect(lines[1]).toMatchObject({ prediction: 'no idea', exactMatch: false, reward: 0.1 });
    // the second call of each question saw the passages the index returns for its query, inserted as ReSearch does
    const retriever = await loadFlexsearchRetriever(index);
    const [passages] = await retriever.search([questions[0]!.question], 5);
    const continuation = server.prompts.find(
      (prompt) => prompt.includes(`<search> ${questions[0]!.question} </search>`) && prompt.includes('<result>'),
    )!;
    expect(continuation).toContain(
      ` <result>\n${passages!
        .map((passage) => passage.contents)
        .join('\n\n')
        .trim()}\n</result>`,
    );
    // the table puts our row under the paper's rows
    expect(result.table).toContain('ReSearch-Qwen-7B-Instruct');
    expect(result.table).toContain(`ours (openai-completions:fake)`.slice(0, 5));
    expect(result.table).toContain((expectedEm * 100).toFixed(2));
  });

  it('through the CLI, with the retriever served over HTTP and a local LLM judge that needs no API key', async () => {
    const served = await serveRetriever({ indexDirectory: index, port: 0 });
    try {
      const output = join(root, 'cli-predictions.jsonl');
      const run = await runCli(
        [
          'eval',
          '-q',
          questionsFile,
          '-r',
          served.url,
          ...servedFakeModel(),
          '--judge-url',
          server.baseURL,
          '--limit',
          '6',
          '-o',
          output,
        ],
        { OPENAI_API_KEY: undefined },
      );
      expect(run.code, run.stderr).toBe(0);
      // EM 50.00 (3 of 6), LJ 50.00: the judge calls "no idea" incorrect
      const ours = run.stdout.split('\n').find((line) => line.startsWith('ours'))!;
      expect(ours).toMatch(/\|\s+50\.00 \|\s+50\.00$/);
      expect(run.stdout).toContain(PAPER_TABLE_2[0]!.label);
      expect(run.stdout).toMatch(/6 questions: reward 0\.550, format ok 100\.0%, 1\.00 searches/);
      expect(server.judgePrompts.some((prompt) => prompt.includes(`question: ${questions[0]!.question}`))).toBe(true);
      expect(server.judgeAuthorizations).toHaveLength(6);
      expect(server.judgeAuthorizations.every((authorization) => authorization === undefined)).toBe(true);
      const lines = readFileSync(output, 'utf8')
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(lines.map((line) => line.judgement)).toEqual([
        'correct',
        'incorrect',
        'correct',
        'incorrect',
        'correct',
        'incorrect',
      ]);
    } finally {
      await served.close();
    }
  });

  it('--retriever-api search-r1 speaks Search-R1’s /retrieve to a server that serves only that API', async () => {
    const searchR1Only = await createRetrieverServer(await loadFlexsearchRetriever(index), {
      port: 0,
      apis: ['search-r1'],
    }).listen();
    try {
      const output = join(root, 'search-r1-predictions.jsonl');
      const base = [
        'eval',
        '-q',
        questionsFile,
        '-r',
        searchR1Only.url,
        ...servedFakeModel(),
        '--limit',
        '2',
        '-o',
        output,
      ];
      const promptsBefore = server.prompts.length;
      const run = await runCli([...base, '--retriever-api', 'search-r1']);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/2 questions: reward 0\.550, format ok 100\.0%, 1\.00 searches/);
      // the passages of the local index came back through /retrieve and were inserted
      const [passages] = await (await loadFlexsearchRetriever(index)).search([questions[1]!.question], 5);
      expect(
        server.prompts.slice(promptsBefore).some((prompt) =>
          prompt.includes(
            ` <result>\n${passages!
              .map((passage) => passage.contents)
              .join('\n\n')
              .trim()}\n</result>`,
          ),
        ),
      ).toBe(true);
      // FlashRAG (the default) against it fails, naming the endpoint it called
      const flashRag = await runCli(base);
      expect(flashRag.code).toBe(1);
      expect(flashRag.stderr).toContain(`${searchR1Only.url}/batch_search`);
    } finally {
      await searchR1Only.close();
    }
  });

  it('several -q files: one table, a row per dataset, the paper’s columns filled for the usual file names', async () => {
    const output = join(root, 'two-datasets.jsonl');
    const run = await runCli([
      'eval',
      '-q',
      questionsFile,
      '-q',
      bamboogleFile,
      '-r',
      index,
      ...servedFakeModel(),
      '--limit',
      '4',
      '-o',
      output,
    ]);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(/^system +\| nq_test EM \| nq_test LJ \| Bamboogle EM \| Bamboogle LJ$/);
    // bamboogle_test.json is the paper's Bamboogle: its rows show the paper's numbers there
    expect(lines.find((line) => line.startsWith('ReSearch-Qwen-7B-Instruct'))).toMatch(
      /\|\s+- \|\s+- \|\s+42\.40 \|\s+54\.40$/,
    );
    // the scripted model answers half of the NQ questions and none of Bamboogle's
    expect(lines.find((line) => line.startsWith('ours'))).toMatch(/\|\s+50\.00 \|\s+- \|\s+0\.00 \|\s+-$/);
    const detail = lines
      .slice(lines.findIndex((line) => line.startsWith('dataset')) + 2)
      .filter((line) => line.includes(' | '));
    expect(detail.map((line) => line.split(' | ')[0]!.trim())).toEqual(['nq_test', 'bamboogle_test']);
    expect(detail.map((line) => line.split(' | ')[1]!.trim())).toEqual(['4', '4']);
    expect(run.stdout).toMatch(/8 questions: /);
    const rows = readFileSync(output, 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { dataset: string });
    expect(rows.map((row) => row.dataset)).toEqual([...Array(4).fill('nq_test'), ...Array(4).fill('bamboogle_test')]);
  });

  it('two -q files of one name, or a --dataset count that does not match, fail before any work', async () => {
    const twice = await runCli(['eval', '-q', questionsFile, '-q', questionsFile, '-r', index, '-m', model]);
    expect(twice.code).toBe(1);
    expect(twice.stderr.trim()).toBe(
      `research-ts: config field "dataset": ${questionsFile} and ${questionsFile} are both named "nq_test": give one --dataset per file to tell them apart`,
    );
    const names = await runCli([
      'eval',
      '-q',
      questionsFile,
      '-q',
      bamboogleFile,
      '--dataset',
      'nq',
      '-r',
      index,
      '-m',
      model,
    ]);
    expect(names.code).toBe(1);
    expect(names.stderr.trim()).toBe(
      'research-ts: config field "dataset": give one name per question file (2 files, 1 name)',
    );
  });

  it('--judge-key-env naming an unset variable fails before any work, naming the option', async () => {
    const run = await runCli(
      [
        'eval',
        '-q',
        questionsFile,
        '-r',
        index,
        '-m',
        model,
        '--judge-url',
        server.baseURL,
        '--judge-key-env',
        'RESEARCH_TS_UNSET_KEY',
      ],
      { RESEARCH_TS_UNSET_KEY: undefined },
    );
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(
      'research-ts: config field "judge-key-env": $RESEARCH_TS_UNSET_KEY is not set (leave --judge-key-env out to call the judge without a key)',
    );
  });

  it('a missing policy or an unreadable question file fails with the field named', async () => {
    await expect(
      runEvaluation({
        questionsFiles: [questionsFile],
        retriever: { kind: 'index', indexDirectory: index },
        template: 'base',
        responseBudget: 10,
        topK: 1,
        outputFile: join(root, 'x.jsonl'),
      }),
    ).rejects.toThrow(/exactly one of --model/);
    const run = await runCli(['eval', '-q', join(root, 'missing.jsonl'), '-r', index, '-m', model]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^research-ts: .*missing\.jsonl/m);
  });
});
