import { InvalidConfigError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { buildWordLevelTokenizer } from './build-word-level-tokenizer';
import { loadTokenizerFromJson } from './load-tokenizer';

const corpus = ['the cat sat on the mat', 'the dog sat', 'a cat<|im_end|>'];
// Counts: the 3, cat 2, sat 2, a 1, dog 1, mat 1, on 1 (ties in code-unit order).

describe('buildWordLevelTokenizer', () => {
  it('numbers added tokens first, then words by count, ties in code-unit order', () => {
    const json = buildWordLevelTokenizer(corpus);
    expect(json.model.vocab).toEqual({
      '<|endoftext|>': 0,
      '<|im_start|>': 1,
      '<|im_end|>': 2,
      '<unk>': 3,
      the: 4,
      cat: 5,
      sat: 6,
      a: 7,
      dog: 8,
      mat: 9,
      on: 10,
    });
    expect(json.model.unk_token).toBe('<unk>');
    expect(json.added_tokens.map((token) => [token.id, token.content, token.special])).toEqual([
      [0, '<|endoftext|>', true],
      [1, '<|im_start|>', true],
      [2, '<|im_end|>', true],
      [3, '<unk>', true],
    ]);
  });

  it('applies minFrequency and maxVocab', () => {
    expect(Object.keys(buildWordLevelTokenizer(corpus, { minFrequency: 2 }).model.vocab).slice(4)).toEqual([
      'the',
      'cat',
      'sat',
    ]);
    expect(Object.keys(buildWordLevelTokenizer(corpus, { maxVocab: 6 }).model.vocab)).toEqual([
      '<|endoftext|>',
      '<|im_start|>',
      '<|im_end|>',
      '<unk>',
      'the',
      'cat',
    ]);
  });

  it('puts the tags after the unknown token and never counts added tokens as words', () => {
    const json = buildWordLevelTokenizer(['<think> x </think> <answer>y</answer>'], {
      tagTokens: true,
      unknownToken: '[UNK]',
    });
    expect(Object.entries(json.model.vocab).slice(3, 6)).toEqual([
      ['[UNK]', 3],
      ['<think>', 4],
      ['</think>', 5],
    ]);
    expect(Object.keys(json.model.vocab).slice(-2)).toEqual(['x', 'y']);
  });

  it('round-trips whitespace-normalized text and maps unknown words to the unknown token', () => {
    const tokenizer = loadTokenizerFromJson({ tokenizerJson: buildWordLevelTokenizer(corpus) });
    expect(tokenizer.encode('the  cat\tsat')).toEqual([4, 5, 6]);
    expect(tokenizer.decode(tokenizer.encode('the  cat\tsat\n'))).toBe('the cat sat');
    expect(tokenizer.encode('the zebra')).toEqual([4, 3]);
    expect(tokenizer.decode([4, 3])).toBe('the <unk>');
    expect(tokenizer.encode('on<|im_end|>')).toEqual([10, 2]);
    expect(tokenizer.decode([10, 2], { skipSpecialTokens: true })).toBe('on');
    expect(tokenizer.vocabSize).toBe(11);
  });

  it.each([
    [{ minFrequency: 0 }, 'config field "minFrequency": must be an integer >= 1, got 0'],
    [{ maxVocab: 3 }, 'config field "maxVocab": must be an integer >= 4 (the added tokens), got 3'],
    [
      { unknownToken: 'un known' },
      'config field "unknownToken": must be a non-empty string without whitespace, got "un known"',
    ],
  ])('rejects %j', (options, message) => {
    expect(() => buildWordLevelTokenizer(corpus, options)).toThrow(InvalidConfigError);
    expect(() => buildWordLevelTokenizer(corpus, options)).toThrow(message);
  });
});
