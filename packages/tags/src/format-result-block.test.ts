import { describe, expect, it } from 'vitest';
import {
  NOTHING_TO_SEARCH,
  RESULT_BLOCK,
  formatResultBlock,
  formatResultBlockForQuery,
  isNothingToSearch,
  joinPassageContents,
  wrapResultText,
} from './format-result-block';

const passages = [
  { id: '1', contents: '"Evan Morris"\nEvan L. Morris was a lobbyist.' },
  { id: '2', contents: '"Paris"\nParis is the capital of France.' },
];

describe('formatResultBlock', () => {
  it('joins contents with a blank line between a leading " <result>\\n" and "\\n</result>"', () => {
    expect(formatResultBlock(passages)).toBe(
      ' <result>\n"Evan Morris"\nEvan L. Morris was a lobbyist.\n\n"Paris"\nParis is the capital of France.\n</result>',
    );
  });

  it('strips the joined text with Python whitespace semantics, not the inner passages', () => {
    const padded = [{ contents: '\n  "A"\na text  ' }, { contents: '  "B"\nb text\n\x85' }];
    expect(joinPassageContents(padded)).toBe('"A"\na text  \n\n  "B"\nb text');
    expect(joinPassageContents([{ contents: '\ufeffx\ufeff' }])).toBe('\ufeffx\ufeff');
  });

  it.each([
    [[], ' <result>\n\n</result>'],
    [[{ contents: '' }, { contents: '' }], ' <result>\n\n</result>'],
    [[{ contents: 'only' }], ' <result>\nonly\n</result>'],
  ])('edge case %#', (input, expected) => {
    expect(formatResultBlock(input)).toBe(expected);
  });

  it('exposes the fixed parts', () => {
    expect(RESULT_BLOCK.open).toBe(' <result>\n');
    expect(RESULT_BLOCK.close).toBe('\n</result>');
    expect(wrapResultText('x')).toBe(' <result>\nx\n</result>');
  });
});

describe('empty queries', () => {
  it.each([
    [undefined, true],
    ['', true],
    ['  \n', true],
    ['\x85', true],
    ['\ufeff', false],
    ['q', false],
  ])('isNothingToSearch(%j) is %j', (query, expected) => {
    expect(isNothingToSearch(query)).toBe(expected);
  });

  it("inserts 'nothing to search' for an empty query and ignores passages", () => {
    expect(NOTHING_TO_SEARCH).toBe('nothing to search');
    expect(formatResultBlockForQuery('', passages)).toBe(' <result>\nnothing to search\n</result>');
    expect(formatResultBlockForQuery(undefined, [])).toBe(' <result>\nnothing to search\n</result>');
    expect(formatResultBlockForQuery('Paris', passages)).toBe(formatResultBlock(passages));
  });
});
