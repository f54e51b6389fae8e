import { describe, expect, it } from 'vitest';
import { formatSkippedLines } from './format-skipped-lines';

describe('formatSkippedLines', () => {
  const line = (number: number, field = '') => ({
    source: '/data/corpus.jsonl',
    line: number,
    field,
    reason: 'expected a string, got 42',
  });

  it('names the file, line and field of each skipped line', () => {
    expect(formatSkippedLines([line(2), line(5, 'contents')], 2)).toEqual([
      '/data/corpus.jsonl, line 2: expected a string, got 42',
      '/data/corpus.jsonl, line 5, field "contents": expected a string, got 42',
    ]);
  });

  it('shows the first `limit`, then counts the rest, also those the library did not keep', () => {
    const skipped = Array.from({ length: 25 }, (_, index) => line(index + 1));
    const messages = formatSkippedLines(skipped, 1500);
    expect(messages).toHaveLength(21);
    expect(messages[19]).toBe('/data/corpus.jsonl, line 20: expected a string, got 42');
    expect(messages[20]).toBe('… and 1480 more malformed lines');
    expect(formatSkippedLines(skipped.slice(0, 3), 4, 3).at(-1)).toBe('… and 1 more malformed line');
    expect(formatSkippedLines([], 0)).toEqual([]);
  });
});
