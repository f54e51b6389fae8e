import { InvalidInputError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { readEosTokenIdField, readSpecialTokenText, readTokenizerConfig, readTokenizerJson } from './tokenizer-files';

describe('readSpecialTokenText', () => {
  it.each([
    ['<|im_end|>', '<|im_end|>'],
    [{ content: '<|im_end|>', lstrip: false, special: true }, '<|im_end|>'],
    [null, undefined],
    [undefined, undefined],
  ])('%j → %j', (value, expected) => {
    expect(readSpecialTokenText(value, 'f.json', 'eos_token')).toBe(expected);
  });

  it.each([[3], [{ text: 'x' }], [['<s>']]])('rejects %j', (value) => {
    expect(() => readSpecialTokenText(value, 'f.json', 'eos_token')).toThrow(InvalidInputError);
    expect(() => readSpecialTokenText(value, 'f.json', 'eos_token')).toThrow(
      /^f\.json, field "eos_token": must be a string or an AddedToken object/,
    );
  });
});

describe('readEosTokenIdField', () => {
  it.each([
    [151645, [151645]],
    [
      [151645, 151643],
      [151645, 151643],
    ],
    [null, undefined],
    [undefined, undefined],
  ])('%j → %j', (value, expected) => {
    expect(readEosTokenIdField(value, 'g.json')).toEqual(expected);
  });

  it.each([
    [1.5, 'g.json, field "eos_token_id": must be a non-negative integer or a list of them, got 1.5'],
    [[1, null], 'g.json, field "eos_token_id.1": must be a non-negative integer or a list of them, got null'],
  ])('rejects %j', (value, message) => {
    expect(() => readEosTokenIdField(value, 'g.json')).toThrow(message);
  });
});

describe('readTokenizerConfig', () => {
  it('reads defaults from an empty config', () => {
    expect(readTokenizerConfig({}, 'c.json')).toEqual({
      bosToken: undefined,
      eosToken: undefined,
      padToken: undefined,
      unkToken: undefined,
      additionalSpecialTokens: [],
      chatTemplate: undefined,
      cleanUpTokenizationSpaces: false,
      addedTokensDecoder: [],
    });
  });

  it('reads added_tokens_decoder entries with their ids', () => {
    const config = readTokenizerConfig(
      {
        added_tokens_decoder: {
          '7': { content: '<x>', special: true, lstrip: false, rstrip: false, normalized: false, single_word: false },
        },
        additional_special_tokens: [{ content: '<x>' }],
      },
      'c.json',
    );
    expect(config.addedTokensDecoder).toEqual([
      { id: 7, content: '<x>', special: true, singleWord: false, lstrip: false, rstrip: false, normalized: false },
    ]);
    expect(config.additionalSpecialTokens).toEqual(['<x>']);
  });

  it.each([
    [
      { clean_up_tokenization_spaces: 'yes' },
      'c.json, field "clean_up_tokenization_spaces": must be a boolean, got a string',
    ],
    [{ additional_special_tokens: 'x' }, 'c.json, field "additional_special_tokens": must be an array, got a string'],
    [{ added_tokens_decoder: { x: {} } }, 'c.json, field "added_tokens_decoder": has a key "x" that is not a token id'],
    [
      { added_tokens_decoder: { '3': { content: '' } } },
      'c.json, field "added_tokens_decoder.3.content": must be a non-empty string',
    ],
    [
      { added_tokens_decoder: { '3': { content: 'a', special: 1 } } },
      'c.json, field "added_tokens_decoder.3.special": must be a boolean, got a number',
    ],
    [{ chat_template: [{ name: 'default' }] }, 'c.json, field "chat_template.0.template": must be a string'],
    ['text', 'c.json: must be a JSON object, got a string'],
  ])('rejects %j', (value, message) => {
    expect(() => readTokenizerConfig(value, 'c.json')).toThrow(message);
  });
});

describe('readTokenizerJson', () => {
  it('fills absent pipeline stages with null, as the Rust crate writes them', () => {
    const file = readTokenizerJson({ model: { type: 'WordLevel', vocab: { a: 0 }, unk_token: 'a' } }, 't.json');
    expect(file.json).toEqual({
      model: { type: 'WordLevel', vocab: { a: 0 }, unk_token: 'a' },
      added_tokens: [],
      normalizer: null,
      pre_tokenizer: null,
      post_processor: null,
      decoder: null,
    });
  });

  it('rejects a pipeline stage that is not an object', () => {
    expect(() => readTokenizerJson({ model: { vocab: {} }, decoder: 'ByteLevel' }, 't.json')).toThrow(
      't.json, field "decoder": must be a JSON object, got a string',
    );
  });
});
