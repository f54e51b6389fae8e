// Test helper: a tiny random BERT-like encoder built with onnx-graph, written with a tiny word-level
// tokenizer into a directory in the layout of a Hugging Face ONNX export (`model.onnx` +
// `tokenizer.json` + `tokenizer_config.json`).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GraphBuilder, tensor, type Value } from '@research-ts/onnx-graph';
import { buildWordLevelTokenizer, writeTokenizerDirectory, type TokenizerJson } from '@research-ts/tokenizer';

/** Seeded PRNG (mulberry32) with standard normal draws (Box–Muller). */
export function createRandom(seed: number): { uniform: () => number; normal: () => number } {
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = (): number => {
    const u = 1 - uniform();
    const v = uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  return { uniform, normal };
}

/** Lowercased words and single punctuation marks, as BERT's uncased pre-tokenization splits them. */
export function bertWords(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu) ?? [];
}

/**
 * A word-level tokenizer in the BERT style: lowercase normalizer, `BertPreTokenizer` (splits on
 * whitespace and punctuation), `[CLS] … [SEP]` added by a `TemplateProcessing` post-processor, `[PAD]`
 * for padding. The vocabulary is every word of `corpus`.
 */
export function buildTinyBertTokenizer(corpus: Iterable<string>): TokenizerJson {
  const split = [...corpus].map((text) => bertWords(text).join(' '));
  const json = buildWordLevelTokenizer(split, { specialTokens: ['[PAD]', '[CLS]', '[SEP]'], unknownToken: '[UNK]' });
  const id = (token: string): number => json.added_tokens.find((added) => added.content === token)!.id;
  return {
    ...json,
    normalizer: { type: 'Lowercase' },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [id('[CLS]')], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [id('[SEP]')], tokens: ['[SEP]'] },
      },
    },
  };
}

export interface TinyEncoderOptions {
  vocabSize: number;
  hidden: number;
  /** Largest sequence length the position table covers. */
  maxPositions: number;
  seed: number;
  /** Add a `token_type_ids` input (as BERT exports have). Default true. */
  tokenTypeIds?: boolean;
  /** Which outputs the model has. Default `['last_hidden_state']`. */
  outputs?: ReadonlyArray<'last_hidden_state' | 'sentence_embedding'>;
  /** Scale of the attention and MLP residual branches. Default 0.3. */
  branchScale?: number;
}

function randomMatrix(
  random: ReturnType<typeof createRandom>,
  rows: number,
  columns: number,
  scale: number,
): Float32Array {
  const values = new Float32Array(rows * columns);
  for (let index = 0; index < values.length; index += 1) values[index] = random.normal() * scale;
  return values;
}

/**
 * One-layer encoder: word + position (+ token type) embeddings, single-head self-attention that masks
 * padded keys with the attention mask, a tanh MLP, both as residual branches. Inputs `input_ids`,
 * `attention_mask` (and `token_type_ids`), int64 `[batch, sequence]`; output `last_hidden_state`
 * float32 `[batch, sequence, hidden]` and/or `sentence_embedding` (masked mean) `[batch, hidden]`.
 */
export function buildTinyEncoder(options: TinyEncoderOptions): Uint8Array {
  const { vocabSize, hidden, maxPositions } = options;
  const random = createRandom(options.seed);
  const branchScale = options.branchScale ?? 0.3;
  const graph = new GraphBuilder({ opset: 17, name: 'tiny_encoder' });
  const ids = graph.input('input_ids', 'int64', ['batch', 'sequence']);
  const mask = graph.input('attention_mask', 'int64', ['batch', 'sequence']);
  const types =
    options.tokenTypeIds === false ? undefined : graph.input('token_type_ids', 'int64', ['batch', 'sequence']);

  const weight = (name: string, rows: number, columns: number, scale: number): Value =>
    graph.initializer(name, tensor('float32', [rows, columns], randomMatrix(random, rows, columns, scale)));
  const wordEmbeddings = weight('embeddings.word', vocabSize, hidden, 1);
  const positionEmbeddings = weight('embeddings.position', maxPositions, hidden, 0.05);
  const typeEmbeddings = weight('embeddings.token_type', 2, hidden, 0.05);
  const projection = (name: string) => weight(name, hidden, hidden, 1 / Math.sqrt(hidden));
  const [query, key, valueWeight, attentionOut, up, down] = [
    'attention.query',
    'attention.key',
    'attention.value',
    'attention.output',
    'mlp.up',
    'mlp.down',
  ].map(projection) as Value[];

  const sequenceLength = graph.gather(graph.shape(ids), graph.constant(tensor('int64', [], [1])));
  const positions = graph.range(0, sequenceLength);
  let x = graph.add(graph.gather(wordEmbeddings, ids), graph.gather(positionEmbeddings, positions));
  if (types !== undefined) x = graph.add(x, graph.gather(typeEmbeddings, types));

  const maskFloat = graph.cast(mask, 'float32');
  const q = graph.matMul(x, query!);
  const k = graph.matMul(x, key!);
  const v = graph.matMul(x, valueWeight!);
  let scores = graph.mul(graph.matMul(q, graph.transpose(k, [0, 2, 1])), 1 / Math.sqrt(hidden));
  const keyBias = graph.unsqueeze(graph.mul(graph.sub(maskFloat, 1), 1e9), [1]);
  scores = graph.add(scores, keyBias);
  const context = graph.matMul(graph.softmax(scores, -1), v);
  const attended = graph.add(x, graph.mul(graph.matMul(context, attentionOut!), branchScale));
  const hiddenStates = graph.add(
    attended,
    graph.mul(graph.matMul(graph.tanh(graph.matMul(attended, up!)), down!), branchScale),
  );

  const outputs = options.outputs ?? ['last_hidden_state'];
  if (outputs.includes('last_hidden_state')) graph.output(hiddenStates, 'last_hidden_state');
  if (outputs.includes('sentence_embedding')) {
    const maskColumn = graph.unsqueeze(maskFloat, [2]);
    const summed = graph.reduceSum(graph.mul(hiddenStates, maskColumn), [1], { keepDims: false });
    const counts = graph.reduceSum(maskFloat, [1], { keepDims: true });
    graph.output(graph.div(summed, counts), 'sentence_embedding');
  }
  return graph.serialize();
}

export interface TinyModelDirectoryOptions extends Partial<Omit<TinyEncoderOptions, 'vocabSize'>> {
  /** Texts whose words form the vocabulary. */
  corpus: Iterable<string>;
  /** Put the model at `onnx/model.onnx` (HF Optimum layout) instead of `model.onnx`. */
  optimumLayout?: boolean;
}

/** Writes `model.onnx` (or `onnx/model.onnx`), `tokenizer.json` and `tokenizer_config.json` into `directory`. */
export async function writeTinyModelDirectory(
  directory: string,
  options: TinyModelDirectoryOptions,
): Promise<{ tokenizerJson: TokenizerJson; hidden: number }> {
  const tokenizerJson = buildTinyBertTokenizer(options.corpus);
  await writeTokenizerDirectory(directory, {
    tokenizerJson,
    eosToken: '[SEP]',
    padToken: '[PAD]',
    unkToken: '[UNK]',
    chatTemplate: null,
    modelMaxLength: 512,
  });
  const vocabSize = Math.max(...Object.values(tokenizerJson.model.vocab)) + 1;
  const hidden = options.hidden ?? 128;
  const model = buildTinyEncoder({
    vocabSize,
    hidden,
    maxPositions: options.maxPositions ?? 512,
    seed: options.seed ?? 7,
    ...(options.tokenTypeIds === undefined ? {} : { tokenTypeIds: options.tokenTypeIds }),
    ...(options.outputs === undefined ? {} : { outputs: options.outputs }),
    ...(options.branchScale === undefined ? {} : { branchScale: options.branchScale }),
  });
  const modelDirectory = options.optimumLayout === true ? join(directory, 'onnx') : directory;
  await mkdir(modelDirectory, { recursive: true });
  await writeFile(join(modelDirectory, 'model.onnx'), model);
  return { tokenizerJson, hidden };
}

/** Words of the E5 and BGE prefixes, so that prefixed texts tokenize without `[UNK]`. */
export const prefixVocabulary = ['query: passage:', 'Represent this sentence for searching relevant passages:'];
