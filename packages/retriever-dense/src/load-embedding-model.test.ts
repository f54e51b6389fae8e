import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidConfigError, InvalidInputError } from '@research-ts/spec';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { temporaryDirectory } from '../test/temporary-directory';
import { prefixVocabulary, writeTinyModelDirectory } from '../test/tiny-encoder';
import { bgeConventions, e5Conventions } from './embedding-conventions';
import { loadEmbeddingModel } from './load-embedding-model';

const corpus = [
  'The aurora glows green over the northern sky in winter.',
  'A volcano erupts molten rock, ash and gas from a magma chamber.',
  'A glacier is a slow river of ice carving valleys.',
  'short text',
  ...prefixVocabulary,
];
const texts = [
  'The aurora glows green over the northern sky in winter.',
  'short text',
  'A glacier is a slow river of ice carving valleys.',
  'ice',
];

let root: Awaited<ReturnType<typeof temporaryDirectory>>;
let directory: string;
let hidden: number;

beforeAll(async () => {
  root = await temporaryDirectory('model');
  directory = join(root.path, 'tiny-e5');
  hidden = (await writeTinyModelDirectory(directory, { corpus, hidden: 32, seed: 11 })).hidden;
});
afterAll(async () => {
  await root.remove();
});

/** The model's raw `last_hidden_state` for one text's ids (no padding), straight from onnxruntime. */
async function rawHiddenStates(ids: readonly number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(join(directory, 'model.onnx'));
  const dims = [1, ids.length];
  const result = await session.run({
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), dims),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(ids.length).fill(1n), dims),
    token_type_ids: new ort.Tensor('int64', new BigInt64Array(ids.length), dims),
  });
  await session.release();
  return result.last_hidden_state!.data as Float32Array;
}

function expectClose(actual: Float32Array, expected: ArrayLike<number>, atol: number, label: string): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  let worst = 0;
  for (let index = 0; index < actual.length; index += 1)
    worst = Math.max(worst, Math.abs(actual[index]! - expected[index]!));
  expect(worst, `${label}: max |difference| ${worst} exceeds ${atol}`).toBeLessThanOrEqual(atol);
}

function row(matrix: Float32Array, index: number, dimension: number): Float32Array {
  return matrix.subarray(index * dimension, (index + 1) * dimension);
}

describe('loadEmbeddingModel', () => {
  it('discovers inputs, output and dimension of a Hugging Face style export', async () => {
    const model = await loadEmbeddingModel(directory);
    expect(model.inputNames).toEqual(['input_ids', 'attention_mask', 'token_type_ids']);
    expect(model.output).toEqual({ name: 'last_hidden_state', pooled: false });
    expect(model.dimension).toBe(hidden);
    expect(model.name).toBe('tiny-e5');
    expect(model.conventions).toEqual({ pooling: 'mean', normalize: true, queryPrefix: '', passagePrefix: '' });
    expect(model).toMatchObject({ maxLength: 512, queryMaxLength: 512, batchSize: 32, executionProvider: 'cpu' });
    expect(model.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    await model.dispose();
  });

  it.each(['mean', 'cls', 'last'] as const)(
    '%s pooling equals a JS reference over the raw hidden states',
    async (pooling) => {
      const model = await loadEmbeddingModel(directory, { pooling, normalize: false });
      const embeddings = await model.embedPassages(texts);
      for (const [index, text] of texts.entries()) {
        const ids = model.tokenizePassage(text);
        const states = await rawHiddenStates(ids);
        const expected = new Float64Array(hidden);
        if (pooling === 'mean') {
          for (let position = 0; position < ids.length; position += 1)
            for (let unit = 0; unit < hidden; unit += 1)
              expected[unit]! += states[position * hidden + unit]! / ids.length;
        } else {
          const position = pooling === 'cls' ? 0 : ids.length - 1;
          for (let unit = 0; unit < hidden; unit += 1) expected[unit] = states[position * hidden + unit]!;
        }
        expectClose(row(embeddings, index, hidden), expected, 1e-5, `${pooling} pooling of ${JSON.stringify(text)}`);
      }
      await model.dispose();
    },
  );

  it('normalizes to unit L2 norm, and the normalized vector is the pooled one scaled', async () => {
    const raw = await loadEmbeddingModel(directory, { normalize: false });
    const normalized = await loadEmbeddingModel(directory);
    const [rawVectors, unitVectors] = [await raw.embedPassages(texts), await normalized.embedPassages(texts)];
    for (let index = 0; index < texts.length; index += 1) {
      const vector = row(unitVectors, index, hidden);
      const norm = Math.hypot(...vector);
      expect(Math.abs(norm - 1)).toBeLessThan(1e-6);
      const rawVector = row(rawVectors, index, hidden);
      const rawNorm = Math.hypot(...rawVector);
      expect(rawNorm).toBeGreaterThan(1.5); // the raw pooled states are far from unit length
      expectClose(
        vector,
        Array.from(rawVector, (value) => value / rawNorm),
        1e-6,
        `normalized ${index}`,
      );
    }
    await Promise.all([raw.dispose(), normalized.dispose()]);
  });

  it('applies the E5 prefixes: the encoded ids include "query:" / "passage:" and the vectors differ', async () => {
    const model = await loadEmbeddingModel(directory, { ...e5Conventions });
    const tokenizer = model.tokenizer;
    const id = (token: string) => tokenizer.tokenToId(token)!;
    expect(model.tokenizeQuery('ice')).toEqual([id('[CLS]'), id('query'), id(':'), id('ice'), id('[SEP]')]);
    expect(model.tokenizePassage('ice')).toEqual([id('[CLS]'), id('passage'), id(':'), id('ice'), id('[SEP]')]);
    const [query, passage] = [await model.embedQueries(['ice']), await model.embedPassages(['ice'])];
    expect(query).not.toEqual(passage);

    const plain = await loadEmbeddingModel(directory);
    // With no prefixes, queries and passages embed identically.
    expect(await plain.embedQueries(['ice'])).toEqual(await plain.embedPassages(['ice']));
    // The E5 passage vector is the plain vector of the prefixed text.
    expectClose(passage, await plain.embedPassages(['passage: ice']), 1e-6, 'E5 passage = plain "passage: ice"');
    await Promise.all([model.dispose(), plain.dispose()]);
  });

  it('applies the BGE instruction to queries only, with CLS pooling', async () => {
    const model = await loadEmbeddingModel(directory, { ...bgeConventions });
    expect(model.conventions.pooling).toBe('cls');
    const words = model.tokenizeQuery('ice').map((id) => model.tokenizer.idToToken(id));
    expect(words).toEqual([
      '[CLS]',
      'represent',
      'this',
      'sentence',
      'for',
      'searching',
      'relevant',
      'passages',
      ':',
      'ice',
      '[SEP]',
    ]);
    expect(model.tokenizePassage('ice').map((id) => model.tokenizer.idToToken(id))).toEqual(['[CLS]', 'ice', '[SEP]']);
    await model.dispose();
  });

  it('gives a passage the same vector alone and inside a padded batch (atol 1e-5)', async () => {
    const model = await loadEmbeddingModel(directory, { batchSize: 4 });
    const shortest = 'ice';
    const alone = await model.embedPassages([shortest]);
    // In a batch with longer texts it is padded to their length; the mask must hide the padding.
    const batched = await model.embedPassages([...texts.slice(0, 3), shortest]);
    expectClose(row(batched, 3, hidden), alone, 1e-5, 'padded vs alone');
    // Batch size 1 (no padding at all) and batch size 2 give the same rows as batch size 4.
    const one = await loadEmbeddingModel(directory, { batchSize: 1 });
    const two = await loadEmbeddingModel(directory, { batchSize: 2 });
    expectClose(await one.embedPassages(texts), await model.embedPassages(texts), 1e-5, 'batch 1 vs 4');
    expectClose(await two.embedPassages(texts), await model.embedPassages(texts), 1e-5, 'batch 2 vs 4');
    await Promise.all([model.dispose(), one.dispose(), two.dispose()]);
  });

  it('truncates to maxLength (queries to queryMaxLength), keeping [CLS] and [SEP]', async () => {
    const model = await loadEmbeddingModel(directory, { maxLength: 6, queryMaxLength: 4 });
    const ids = model.tokenizePassage(texts[0]!);
    expect(ids.map((id) => model.tokenizer.idToToken(id))).toEqual([
      '[CLS]',
      'the',
      'aurora',
      'glows',
      'green',
      '[SEP]',
    ]);
    expect(model.tokenizeQuery(texts[0]!).map((id) => model.tokenizer.idToToken(id))).toEqual([
      '[CLS]',
      'the',
      'aurora',
      '[SEP]',
    ]);
    // The long text embeds as its first four words do.
    expectClose(
      await model.embedPassages([texts[0]!]),
      await model.embedPassages(['the aurora glows green']),
      1e-6,
      'truncated',
    );
    await model.dispose();
  });

  it('reports progress after each batch and keeps the input order', async () => {
    const model = await loadEmbeddingModel(directory, { batchSize: 3 });
    const progress: Array<{ done: number; total: number }> = [];
    const many = Array.from({ length: 7 }, (_, index) => texts[index % texts.length]!);
    const vectors = await model.embedPassages(many, { onProgress: (event) => progress.push(event) });
    expect(progress).toEqual([
      { done: 3, total: 7 },
      { done: 6, total: 7 },
      { done: 7, total: 7 },
    ]);
    const single = await model.embedPassages(texts);
    for (let index = 0; index < many.length; index += 1)
      expectClose(row(vectors, index, hidden), row(single, index % texts.length, hidden), 1e-5, `row ${index}`);
    expect(await model.embedPassages([])).toEqual(new Float32Array(0));
    await model.dispose();
  });

  it('stops between batches when the signal aborts', async () => {
    const model = await loadEmbeddingModel(directory, { batchSize: 1 });
    const controller = new AbortController();
    const seen: number[] = [];
    const run = model.embedPassages(texts, {
      signal: controller.signal,
      onProgress: ({ done }) => {
        seen.push(done);
        if (done === 2) controller.abort(new Error('stop here'));
      },
    });
    await expect(run).rejects.toThrow('stop here');
    expect(seen).toEqual([1, 2]);
    await model.dispose();
  });

  it('has a fingerprint that follows the weights and the conventions, not the batch size', async () => {
    const fingerprint = async (options: Parameters<typeof loadEmbeddingModel>[1], path = directory) => {
      const model = await loadEmbeddingModel(path, options);
      await model.dispose();
      return model.fingerprint;
    };
    const base = await fingerprint({});
    expect(await fingerprint({ batchSize: 2, queryMaxLength: 64 })).toBe(base);
    expect(await fingerprint({ pooling: 'cls' })).not.toBe(base);
    expect(await fingerprint({ normalize: false })).not.toBe(base);
    expect(await fingerprint({ passagePrefix: 'passage: ' })).not.toBe(base);
    expect(await fingerprint({ maxLength: 128 })).not.toBe(base);
    const other = join(root.path, 'other-seed');
    await writeTinyModelDirectory(other, { corpus, hidden: 32, seed: 12 });
    expect(await fingerprint({}, other)).not.toBe(base);
  });
});

describe('loadEmbeddingModel: other export layouts', () => {
  it('finds onnx/model.onnx (Optimum layout) and a model without token_type_ids', async () => {
    const path = join(root.path, 'optimum');
    await writeTinyModelDirectory(path, { corpus, hidden: 32, seed: 11, optimumLayout: true, tokenTypeIds: false });
    const model = await loadEmbeddingModel(path);
    expect(model.inputNames).toEqual(['input_ids', 'attention_mask']);
    expect(model.dimension).toBe(32);
    expect((await model.embedPassages(['ice'])).length).toBe(32);
    await model.dispose();
  });

  it('uses a pooled sentence_embedding output as it is', async () => {
    const pooledPath = join(root.path, 'pooled');
    // Same seed and size: the same weights, with the masked mean computed inside the graph.
    await writeTinyModelDirectory(pooledPath, { corpus, hidden: 32, seed: 11, outputs: ['sentence_embedding'] });
    const pooled = await loadEmbeddingModel(pooledPath, { pooling: 'cls' });
    expect(pooled.output).toEqual({ name: 'sentence_embedding', pooled: true });
    const reference = await loadEmbeddingModel(directory, { pooling: 'mean' });
    expectClose(
      await pooled.embedPassages(texts),
      await reference.embedPassages(texts),
      1e-5,
      'in-graph mean vs JS mean',
    );
    await Promise.all([pooled.dispose(), reference.dispose()]);
  });

  it('prefers last_hidden_state when both outputs exist, and honours outputName', async () => {
    const path = join(root.path, 'both');
    await writeTinyModelDirectory(path, {
      corpus,
      hidden: 32,
      seed: 11,
      outputs: ['last_hidden_state', 'sentence_embedding'],
    });
    const byDefault = await loadEmbeddingModel(path);
    expect(byDefault.output.name).toBe('last_hidden_state');
    const chosen = await loadEmbeddingModel(path, { outputName: 'sentence_embedding' });
    expect(chosen.output).toEqual({ name: 'sentence_embedding', pooled: true });
    await expect(loadEmbeddingModel(path, { outputName: 'pooler_output' })).rejects.toThrow(
      /config field "outputName": the model has no output "pooler_output" \(outputs: /,
    );
    await Promise.all([byDefault.dispose(), chosen.dispose()]);
  });
});

describe('loadEmbeddingModel: errors name the file', () => {
  it('missing model.onnx', async () => {
    const path = join(root.path, 'missing');
    await expect(loadEmbeddingModel(path)).rejects.toThrow(InvalidInputError);
    await expect(loadEmbeddingModel(path)).rejects.toThrow(
      `${join(path, 'model.onnx')}: is missing (also looked for ${join(path, 'onnx', 'model.onnx')})`,
    );
  });

  it('missing tokenizer.json', async () => {
    const path = join(root.path, 'no-tokenizer');
    await writeTinyModelDirectory(path, { corpus, hidden: 32 });
    await rm(join(path, 'tokenizer.json'));
    await expect(loadEmbeddingModel(path)).rejects.toThrow(`${join(path, 'tokenizer.json')}: is missing`);
  });

  it('a model.onnx that is not an ONNX model', async () => {
    const path = join(root.path, 'garbage');
    await writeTinyModelDirectory(path, { corpus, hidden: 32 });
    await writeFile(join(path, 'model.onnx'), 'not a model');
    const error = await loadEmbeddingModel(path).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).source).toBe(join(path, 'model.onnx'));
    expect((error as Error).message).toMatch(/onnxruntime rejected the model/);
  });

  it('a tokenizer.json that is not JSON', async () => {
    const path = join(root.path, 'bad-tokenizer');
    await writeTinyModelDirectory(path, { corpus, hidden: 32 });
    await writeFile(join(path, 'tokenizer.json'), '{ nope');
    await expect(loadEmbeddingModel(path)).rejects.toThrow(`${join(path, 'tokenizer.json')}: is not valid JSON`);
  });

  it('a model whose inputs it cannot feed', async () => {
    const { writeOnnxModel } = await import('./write-onnx-model');
    const path = join(root.path, 'odd-inputs');
    await writeTinyModelDirectory(path, { corpus, hidden: 32 });
    await mkdir(path, { recursive: true });
    await writeFile(
      join(path, 'model.onnx'),
      writeOnnxModel({
        opset: 17,
        graphName: 'odd',
        inputs: [{ name: 'pixel_values', elementType: 'float32', shape: ['batch', 4] }],
        outputs: [{ name: 'last_hidden_state', elementType: 'float32', shape: ['batch', 4] }],
        nodes: [{ opType: 'Identity', inputs: ['pixel_values'], outputs: ['last_hidden_state'] }],
      }),
    );
    await expect(loadEmbeddingModel(path)).rejects.toThrow(
      `${join(path, 'model.onnx')}: has no input_ids input (inputs: pixel_values)`,
    );
  });

  it('bad options are InvalidConfigError naming the field', async () => {
    await expect(loadEmbeddingModel(directory, { pooling: 'max' as never })).rejects.toThrow(InvalidConfigError);
    await expect(loadEmbeddingModel(directory, { pooling: 'max' as never })).rejects.toThrow(
      'config field "pooling": must be one of mean, cls, last, got "max"',
    );
    await expect(loadEmbeddingModel(directory, { maxLength: 0 })).rejects.toThrow(
      'config field "maxLength": must be a positive integer, got 0',
    );
    await expect(loadEmbeddingModel(directory, { batchSize: 2.5 })).rejects.toThrow('config field "batchSize"');
  });

  it('bad texts are InvalidInputError naming the position', async () => {
    const model = await loadEmbeddingModel(directory);
    await expect(model.embedPassages(['ok', 5 as unknown as string])).rejects.toThrow(
      'field "passages.1": expected a string, got number',
    );
    await expect(model.embedQueries('text' as unknown as string[])).rejects.toThrow(
      'field "queries": expected an array of strings',
    );
    await model.dispose();
  });
});
