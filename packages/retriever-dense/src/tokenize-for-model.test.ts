import { loadTokenizerFromJson } from '@research-ts/tokenizer';
import { describe, expect, it } from 'vitest';
import { buildTinyBertTokenizer } from '../test/tiny-encoder';
import { padBatch, tokenizeForModel } from './tokenize-for-model';

const tokenizer = loadTokenizerFromJson({ tokenizerJson: buildTinyBertTokenizer(['one two three four five six']) });
const id = (token: string) => tokenizer.tokenToId(token)!;
const [cls, sep] = [id('[CLS]'), id('[SEP]')];
const words = ['one', 'two', 'three', 'four', 'five', 'six'].map(id);

describe('tokenizeForModel', () => {
  it('keeps a text that fits as the tokenizer encodes it, special tokens included', () => {
    expect(tokenizeForModel(tokenizer, 'one two three', 5)).toEqual([cls, words[0], words[1], words[2], sep]);
  });

  it('cuts the text tokens from the end and keeps [CLS] and [SEP] around them', () => {
    expect(tokenizeForModel(tokenizer, 'one two three four five six', 5)).toEqual([
      cls,
      words[0],
      words[1],
      words[2],
      sep,
    ]);
    expect(tokenizeForModel(tokenizer, 'one two three four five six', 3)).toEqual([cls, words[0], sep]);
  });

  it('cuts plainly when maxLength leaves no room for the text', () => {
    expect(tokenizeForModel(tokenizer, 'one two', 2)).toEqual([cls, words[0]]);
  });

  it('cuts plainly for a tokenizer that adds no special tokens', () => {
    const bare = { encode: (text: string) => text.split(' ').map((word) => word.length) };
    expect(tokenizeForModel(bare, 'a bb ccc dddd', 3)).toEqual([1, 2, 3]);
  });
});

describe('padBatch', () => {
  it('pads on the right to the longest sequence with the pad id and masks the padding', () => {
    const batch = padBatch([[5, 6, 7], [8]], 0);
    expect(batch).toMatchObject({ batch: 2, sequence: 3 });
    expect(Array.from(batch.inputIds, Number)).toEqual([5, 6, 7, 8, 0, 0]);
    expect(Array.from(batch.attentionMask, Number)).toEqual([1, 1, 1, 1, 0, 0]);
  });

  it('gives empty sequences one masked position', () => {
    const batch = padBatch([[]], 3);
    expect(batch.sequence).toBe(1);
    expect(Array.from(batch.inputIds, Number)).toEqual([3]);
    expect(Array.from(batch.attentionMask, Number)).toEqual([0]);
  });
});
