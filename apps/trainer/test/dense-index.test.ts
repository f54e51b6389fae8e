import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bgeConventions, createDenseRetriever, e5Conventions, loadEmbeddingModel } from '@research-ts/retriever-dense';
import type { Passage } from '@research-ts/spec';
import { loadTokenizer } from '@research-ts/tokenizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prefixVocabulary, writeTinyModelDirectory } from '../../../packages/retriever-dense/test/tiny-encoder';
import { buildIndex } from '../src/build-index';
import { initModel } from '../src/init-model';
import { closeRetriever, openIndexDirectory, openRetriever } from '../src/open-retriever';
import { serveRetriever } from '../src/serve-retriever';
import { runCli } from './cli-helpers';
import { startFakeOpenAIServer } from './fake-openai-server';

const root = mkdtempSync(join(tmpdir(), 'research-ts-dense-'));
const topics = [
  'the volcano erupts magma and ash over the valley',
  'a glacier carves ice through the northern valley',
  'the lighthouse keeper trims the lamp at night',
  'the orchard grows apples and pears in autumn',
  'a river delta floods the rice fields each spring',
];
const passages: Passage[] = Array.from({ length: 40 }, (_, index) => ({
  id: `p${String(index).padStart(2, '0')}`,
  contents: `"Place ${index}"\n${topics[index % topics.length]} near town ${index}`,
}));
const corpusFile = join(root, 'corpus.jsonl');
const modelDirectory = join(root, 'tiny-e5');
const denseDirectory = join(root, 'dense-index');
const lexicalDirectory = join(root, 'lexical-index');
const queries = ['volcano magma', 'lamp keeper at night', 'apples in autumn', 'town 17'];

beforeAll(async () => {
  writeFileSync(corpusFile, passages.map((passage) => JSON.stringify(passage)).join('\n') + '\n');
  await writeTinyModelDirectory(modelDirectory, {
    corpus: [...passages.map((passage) => passage.contents), ...queries, ...prefixVocabulary],
    hidden: 32,
    seed: 3,
  });
  const built = await runCli([
    'index',
    corpusFile,
    denseDirectory,
    '--embedding-model',
    modelDirectory,
    '--quantization',
    'i8',
    '--no-progress',
  ]);
  expect(built.code, built.stderr).toBe(0);
  expect(built.stdout).toMatch(/^indexed 40 passages from .*corpus\.jsonl into .*dense-index/);
  await buildIndex({ corpusFile, directory: lexicalDirectory, progress: false });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('a dense index built, opened and served by the app', () => {
  it('`index --embedding-model` gives the same results as the library building it in memory', async () => {
    const model = await loadEmbeddingModel(modelDirectory, e5Conventions);
    const inMemory = await createDenseRetriever({ model, passages, index: 'exact' });
    const opened = await openIndexDirectory(denseDirectory, { directory: modelDirectory });
    const saved = await opened.search(queries, 5);
    // the i8 graph's candidates are rescored exactly: with 40 passages every one is a candidate
    expect(saved).toEqual(await inMemory.search(queries, 5));
    expect(saved.every((list) => list.length === 5 && list.every((passage) => typeof passage.score === 'number'))).toBe(
      true,
    );
    await inMemory.dispose();
    await model.dispose();
  });

  it('serve-retriever answers the FlashRAG and Search-R1 APIs with the index’s own results; two servers over one folder answer alike', async () => {
    const direct = await openRetriever({
      kind: 'index',
      indexDirectory: denseDirectory,
      embeddingModel: { directory: modelDirectory },
    });
    const expected = await direct.search(queries, 3);
    const servers = await Promise.all(
      [0, 1].map(() =>
        serveRetriever({ indexDirectory: denseDirectory, embeddingModel: { directory: modelDirectory }, port: 0 }),
      ),
    );
    try {
      for (const server of servers) {
        for (const api of ['flashrag', 'search-r1'] as const) {
          const client = await openRetriever({ kind: 'http', url: server.url, api });
          expect(await client.search(queries, 3)).toEqual(expected);
        }
      }
    } finally {
      await Promise.all(servers.map((server) => server.close()));
    }
  });

  it('a dense index without its embedding model, or a lexical one with a model, is refused naming the folder', async () => {
    await expect(openIndexDirectory(denseDirectory)).rejects.toThrow(
      `${denseDirectory} is a dense index (${join(denseDirectory, 'manifest.json')} names format "research-ts/retriever-dense"): give the embedding model its passages were encoded with`,
    );
    await expect(openIndexDirectory(lexicalDirectory, { directory: modelDirectory })).rejects.toThrow(
      `applies to a dense index, and ${join(lexicalDirectory, 'manifest.json')} does not describe one`,
    );
  });

  it('the model is loaded with the settings the index records; other settings are refused, naming the ones that differ', async () => {
    const bge = join(root, 'dense-bge');
    await buildIndex({
      corpusFile,
      directory: bge,
      embeddingModel: { directory: modelDirectory, conventions: 'bge', maxLength: 64 },
      progress: false,
    });
    const opened = await openIndexDirectory(bge, { directory: modelDirectory });
    const model = await loadEmbeddingModel(modelDirectory, { ...bgeConventions, maxLength: 64 });
    const inMemory = await createDenseRetriever({ model, passages, index: 'exact' });
    expect(await opened.search(queries, 3)).toEqual(await inMemory.search(queries, 3));
    await inMemory.dispose();
    await model.dispose();
    await expect(openIndexDirectory(denseDirectory, { directory: modelDirectory, conventions: 'bge' })).rejects.toThrow(
      /manifest\.json, field "model\.fingerprint": the index was built with model sha256:[0-9a-f]+ \(it was loaded with pooling "mean" \(given "cls"\), queryPrefix "query: " \(given "Represent/,
    );
    await expect(openIndexDirectory(denseDirectory, { directory: modelDirectory, maxLength: 64 })).rejects.toThrow(
      /maxLength 512 \(given 64\)/,
    );
  });

  it('the CLI: serve-retriever on a dense index without --embedding-model exits non-zero with the reason', async () => {
    const run = await runCli(['serve-retriever', denseDirectory, '--port', '0']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${denseDirectory} is a dense index`);
    expect(run.stderr).toContain('give the embedding model');
    const misplaced = await runCli(['index', corpusFile, join(root, 'x'), '--quantization', 'i8', '--no-progress']);
    expect(misplaced.code).toBe(1);
    expect(misplaced.stderr).toBe(
      'research-ts: config field "quantization": applies to a dense index (give embeddingModel)\n',
    );
    const alone = await runCli(['serve-retriever', lexicalDirectory, '--query-max-length', '64', '--port', '0']);
    expect(alone.code).toBe(1);
    expect(alone.stderr).toBe(
      'research-ts: config field "query-max-length": applies with --embedding-model (a dense index)\n',
    );
  });

  it('a wrong model folder fails before the corpus is read; a failed build leaves nothing behind', async () => {
    const missing = join(root, 'no-model');
    const target = join(root, 'never-built');
    await expect(
      buildIndex({
        corpusFile: join(root, 'no-corpus.jsonl'),
        directory: target,
        embeddingModel: { directory: missing },
      }),
    ).rejects.toThrow(join(missing, 'model.onnx'));
    // b1 needs a dimension divisible by 8: refused at the door, before reading (the corpus file does not exist)
    await writeTinyModelDirectory(join(root, 'odd-model'), { corpus: ['odd width'], hidden: 12, seed: 1 });
    await expect(
      buildIndex({
        corpusFile: join(root, 'no-corpus.jsonl'),
        directory: target,
        embeddingModel: { directory: join(root, 'odd-model') },
        quantization: 'b1',
      }),
    ).rejects.toThrow('config field "quantization": b1 quantization needs a dimension divisible by 8, got 12');
    expect(readdirSync(root).filter((name) => name.includes('never-built'))).toEqual([]);
  });

  it('`eval -r <dense folder> --embedding-model` searches the dense index: the scripted model answers the top passage it was shown', async () => {
    // a BPE tokenizer for the fake completions server; the "model" searches the question, then answers the title
    // of the first passage the search returned
    const tokenizerDirectory = join(root, 'policy-tokenizer');
    await initModel({
      directory: tokenizerDirectory,
      size: 'micro',
      seed: 1,
      tokenizer: 'bpe',
      bpeVocabSize: 300,
      corpusFile,
    });
    const server = await startFakeOpenAIServer({
      tokenizer: await loadTokenizer(tokenizerDirectory),
      complete(prompt) {
        const question = /User: ([\s\S]*?)\. Assistant:/.exec(prompt)![1]!;
        const response = prompt.slice(prompt.indexOf('. Assistant:'));
        if (!response.includes('<result>'))
          return { text: ` <think> look </think> <search> ${question} </search>`, stop: 'search' };
        const title = /<result>[\s\S]*?"(Place \d+)"/.exec(response)![1]!;
        return { text: ` <think> found </think> <answer> \\boxed{${title}} </answer>`, stop: 'eos' };
      },
    });
    try {
      // golden answers: the title of the dense index's own top passage for each question
      const dense = await openIndexDirectory(denseDirectory, { directory: modelDirectory });
      const top = await dense.search(queries, 1);
      await closeRetriever(dense);
      const questionsFile = join(root, 'dense-questions.jsonl');
      writeFileSync(
        questionsFile,
        queries
          .map((question, index) =>
            JSON.stringify({
              id: `q${index}`,
              question,
              golden_answers: [/"(Place \d+)"/.exec(top[index]![0]!.contents)![1]],
            }),
          )
          .join('\n') + '\n',
      );
      const output = join(root, 'dense-predictions.jsonl');
      const run = await runCli([
        'eval',
        '-q',
        questionsFile,
        '-r',
        denseDirectory,
        '--embedding-model',
        modelDirectory,
        '--server',
        server.baseURL,
        '--served-model',
        'fake',
        '--tokenizer',
        tokenizerDirectory,
        '--top-k',
        '3',
        '-o',
        output,
        '--no-progress',
      ]);
      expect(run.code, run.stderr).toBe(0);
      const predictions = readFileSync(output, 'utf8')
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as { exactMatch: boolean; searches: number });
      expect(predictions.map((prediction) => [prediction.exactMatch, prediction.searches])).toEqual(
        queries.map(() => [true, 1]),
      );
    } finally {
      await server.close();
    }
  });

  it('a folder without a readable manifest is named as such, with or without an embedding model', async () => {
    const empty = join(root, 'empty-folder');
    mkdirSync(empty);
    for (const model of [undefined, { directory: modelDirectory }]) {
      await expect(openIndexDirectory(empty, model)).rejects.toThrow(join(empty, 'manifest.json'));
      await expect(openIndexDirectory(empty, model)).rejects.toThrow(/no readable manifest\.json/);
    }
  });
});
