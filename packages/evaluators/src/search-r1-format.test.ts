import { describe, expect, it } from 'vitest';
import { findTaggedSpans, validateSearchR1Format } from './search-r1-format';

const information = '\n\n<information>Doc 1(Title: Beijing) Beijing is the capital of China.\n</information>\n\n';
const valid = `<think> I should search. </think>\n<search> capital of China </search>${information}<think> Found it. </think>\n<answer> Beijing </answer>`;

describe('validateSearchR1Format', () => {
  it.each([
    ['think then answer', '<think> a </think> <answer> b </answer>'],
    ['one search round', valid],
    [
      'two search rounds',
      `<think>a</think><search>q</search><information>d</information><think>b</think><search>q2</search><information>d2</information><think>c</think><answer>x</answer>`,
    ],
    ['whitespace around tags', '\n <think>a</think>\n\t<answer>x</answer>\n'],
  ])('%s is valid', (_label, response) => {
    expect(validateSearchR1Format(response)).toEqual({ ok: true });
  });

  it.each([
    ['unbalanced think', '<think> a <answer> b </answer>', 'tag-count-mismatch', 'think: 1 opening vs 0 closing tags'],
    [
      'answer before think',
      '<answer> b </answer><think> a </think>',
      'unexpected-tag',
      'unexpected tag <answer> in state start',
    ],
    [
      'answer right after information',
      '<think>a</think><search>q</search><information>d</information><answer>x</answer>',
      'unexpected-tag',
      'unexpected tag <answer> in state after-information',
    ],
    [
      'text between tags',
      '<think> a </think> so <answer> b </answer>',
      'unexpected-content',
      'unexpected content "so" in state after-think',
    ],
    [
      'text before the first tag',
      'Sure. <think> a </think><answer> b </answer>',
      'unexpected-content',
      'unexpected content "Sure." in state start',
    ],
    [
      'text after the answer (an EOS left in)',
      '<think> a </think><answer> b </answer><|im_end|>',
      'unexpected-content',
      'unexpected content "<|im_end|>" in state end',
    ],
    ['no answer', '<think> a </think>', 'incomplete', 'the response ends in state after-think'],
    ['empty', '', 'incomplete', 'the response ends in state start'],
  ])('%s → %s', (_label, response, reason, message) => {
    expect(validateSearchR1Format(response)).toEqual({ ok: false, reason, message });
  });
});

describe('findTaggedSpans', () => {
  it.each([
    ['<a>1</a> x <a>2</a>', ['1', '2']],
    ['<a>1 <a>2</a> 3</a>', ['1 <a>2']],
    ['<a>open', []],
    ['</a><a>x</a>', ['x']],
    ['<a></a>', ['']],
  ])('%j', (text, expected) => {
    expect(findTaggedSpans(text, '<a>', '</a>')).toEqual(expected);
  });
});
