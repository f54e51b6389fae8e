import { InvalidConfigError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { planAddedTokens, splitAroundTokens } from './built-added-tokens';

describe('planAddedTokens', () => {
  it('always starts with the three required specials', () => {
    expect(planAddedTokens({})).toEqual([
      { content: '<|endoftext|>', special: true },
      { content: '<|im_start|>', special: true },
      { content: '<|im_end|>', special: true },
    ]);
  });

  it('adds extra specials once and the tags as non-special tokens', () => {
    const planned = planAddedTokens({ specialTokens: ['<|im_end|>', '<pad>', '<pad>'], tagTokens: true });
    expect(planned.map((token) => token.content)).toEqual([
      '<|endoftext|>',
      '<|im_start|>',
      '<|im_end|>',
      '<pad>',
      '<think>',
      '</think>',
      '<search>',
      '</search>',
      '<result>',
      '</result>',
      '<answer>',
      '</answer>',
    ]);
    expect(planned.filter((token) => !token.special)).toHaveLength(8);
  });

  it('rejects an empty special token with the option path', () => {
    expect(() => planAddedTokens({ specialTokens: ['ok', ''] })).toThrow(InvalidConfigError);
    expect(() => planAddedTokens({ specialTokens: ['ok', ''] })).toThrow(
      'config field "specialTokens.1": must be a non-empty string, got ""',
    );
  });
});

describe('splitAroundTokens', () => {
  it.each([
    ['a<|im_end|>b', ['a', 'b']],
    ['<|im_end|><|im_end|>', []],
    ['plain', ['plain']],
    ['x <think>y</think>', ['x ', 'y']],
    ['<thinker>', ['ker>']], // '<think>' does not occur; the shorter token '<thin' does
  ])('%j', (text, expected) => {
    const tokens = ['<|im_end|>', '<think>', '</think>', '<thin'];
    expect(splitAroundTokens(text, tokens)).toEqual(expected);
  });

  it('prefers the longest token at a position', () => {
    expect(splitAroundTokens('a<ab>c', ['<a', '<ab>'])).toEqual(['a', 'c']);
    expect(splitAroundTokens('a<ax', ['<a', '<ab>'])).toEqual(['a', 'x']);
  });
});
