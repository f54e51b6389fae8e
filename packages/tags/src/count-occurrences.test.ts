import { describe, expect, it } from 'vitest';
import { countOccurrences } from './count-occurrences';

describe('countOccurrences', () => {
  it.each([
    ['<think>a</think><think>', '<think>', 2],
    ['<think>a</think><think>', '</think>', 1],
    ['', '<think>', 0],
    ['aaaa', 'aa', 2], // non-overlapping, as Python 'aaaa'.count('aa') == 2
    ['aaa', 'aa', 1],
    ['</answer>', '<answer>', 0],
  ])('%j has %j %i times', (text, needle, expected) => {
    expect(countOccurrences(text, needle)).toBe(expected);
  });
});
