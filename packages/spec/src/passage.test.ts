import { describe, expect, it } from 'vitest';
import { splitPassageContents } from './passage';

describe('splitPassageContents', () => {
  it.each([
    ['"Evan Morris"\nEvan L. Morris was a lobbyist.', 'Evan Morris', 'Evan L. Morris was a lobbyist.'],
    ['"A "quoted" title"\ntext\nmore', 'A "quoted" title', 'text\nmore'],
    ['Bare title\ntext', 'Bare title', 'text'],
    ['no newline at all', '', 'no newline at all'],
    ['""\ntext', '', 'text'],
  ])('%j', (contents, title, text) => {
    expect(splitPassageContents(contents)).toEqual({ title, text });
  });
});
