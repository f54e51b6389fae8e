import { splitPassageContents } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { researchDataPath } from './__fixtures__/research-data';
import { temporaryFolder } from './__fixtures__/temporary-files';
import { formatPassageContents, parsePassageContents } from './passage-contents';
import { readCorpusJsonl } from './read-corpus-jsonl';

const files = temporaryFolder('corpus');

describe('readCorpusJsonl', () => {
  it('reads the 1000 passages of the FlashRAG sample corpus', async () => {
    const stream = readCorpusJsonl(researchDataPath('flashrag-sample', 'corpus.jsonl'));
    const passages = await stream.toArray();
    expect(passages).toHaveLength(1000);
    expect(stream.stats).toMatchObject({ entries: 1000, records: 1000, skipped: 0, done: true });
    expect(new Set(passages.map((passage) => passage.id)).size).toBe(1000);
    expect(passages[0]!.id).toBe('0');
    expect(parsePassageContents(passages[0]!.contents).title).toBe('Evan Morris');
    expect(parsePassageContents(passages[0]!.contents).text).toMatch(
      /^Evan Morris Evan L\. Morris \(January 26, 1977 \u2013 July 9, 2015\)/,
    );
    expect(Object.keys(passages[0]!).sort()).toEqual(['contents', 'id']);
  });

  it('reads the 10 passages of the Search-R1 example corpus', async () => {
    const passages = await readCorpusJsonl(researchDataPath('search-r1-example', 'corpus.jsonl')).toArray();
    expect(passages).toHaveLength(10);
    expect(passages.every((passage) => passage.contents.startsWith('"') && passage.contents.includes('"\n'))).toBe(
      true,
    );
  });

  it('normalizes numeric ids to strings and drops other fields', async () => {
    const path = files.write(
      'ids.jsonl',
      [
        '{"id": 0, "contents": "\\"A\\"\\ntext a"}',
        '{"id": "17", "contents": "\\"B\\"\\ntext b", "title": "B", "text": "text b"}',
        '{"id": 21015323, "contents": ""}',
      ].join('\n'),
    );
    expect(await readCorpusJsonl(path).toArray()).toEqual([
      { id: '0', contents: '"A"\ntext a' },
      { id: '17', contents: '"B"\ntext b' },
      { id: '21015323', contents: '' },
    ]);
  });

  it.each([
    ['{"id": "1"}', 'contents', 'missing'],
    ['{"id": "1", "contents": ["x"]}', 'contents', 'expected a string, got an array'],
    ['{"id": null, "contents": "x"}', 'id', 'expected a string or a number, got null'],
    ['{"id": " ", "contents": "x"}', 'id', 'must not be empty'],
  ])('%s is an error at its field', async (line, field, problem) => {
    const path = files.write(`bad-${field}-${problem.length}.jsonl`, `{"id": "0", "contents": "x"}\n${line}\n`);
    await expect(readCorpusJsonl(path).toArray()).rejects.toThrow(`${path}, line 2, field "${field}": ${problem}`);
  });
});

describe('passage contents', () => {
  it.each([
    ['Evan Morris', 'Evan L. Morris was a lobbyist.'],
    ['A "quoted" title', 'text\nwith a second line'],
    ['', 'no title'],
  ])('format and parse round-trip: %j', (title, text) => {
    const contents = formatPassageContents(title, text);
    expect(contents).toBe(`"${title}"\n${text}`);
    expect(parsePassageContents(contents)).toEqual({ title, text });
    expect(parsePassageContents(contents)).toEqual(splitPassageContents(contents));
  });
});
