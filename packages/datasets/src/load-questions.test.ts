import { gzipSync } from 'node:zlib';
import { InvalidInputError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { researchDataPath } from './__fixtures__/research-data';
import { temporaryFolder } from './__fixtures__/temporary-files';
import { detectQuestionFormat, loadQuestions } from './load-questions';

const files = temporaryFolder('load');
const jsonl = '{"id":"1","question":"q?","golden_answers":["a"]}\n';
const array = '[{"question":"q?","answer":"a"}]';

describe('detectQuestionFormat', () => {
  it.each([
    ['dev.jsonl', jsonl, 'flashrag-jsonl'],
    ['dev.JSONL', jsonl, 'flashrag-jsonl'],
    ['dev.ndjson', jsonl, 'flashrag-jsonl'],
    ['dev.json', array, 'question-array'],
    ['dev-lines.json', jsonl, 'flashrag-jsonl'],
    ['dev.txt', `\uFEFF \r\n\t${array}`, 'question-array'],
    ['blank-then-jsonl.json', `\n\n   \n${jsonl}`, 'flashrag-jsonl'],
    ['empty.json', '', 'flashrag-jsonl'],
    // The extension wins for .jsonl: a line holding an array is then a bad record, not an array file.
    ['array.jsonl', array, 'flashrag-jsonl'],
  ])('%s → %s', async (name, content, format) => {
    expect(await detectQuestionFormat(files.write(name, content))).toBe(format);
  });

  it('detects inside gzip', async () => {
    expect(await detectQuestionFormat(files.write('dev.json.gz', gzipSync(array)))).toBe('question-array');
    expect(await detectQuestionFormat(files.write('dev.jsonl.gz', gzipSync(jsonl)))).toBe('flashrag-jsonl');
  });

  it('refuses a file that starts with neither { nor [', async () => {
    const csv = files.write('dev.csv', 'question,answer\n');
    await expect(detectQuestionFormat(csv)).rejects.toThrow(
      `${csv}: cannot tell the question format: the file starts with "q", expected "{" (FlashRAG JSONL) or "[" (a {question, answer} array)`,
    );
    const binary = files.write('dev.bin', Buffer.from([0xff, 0x00]));
    await expect(detectQuestionFormat(binary)).rejects.toThrow('the file starts with byte 0xff');
    await expect(detectQuestionFormat(files.path('missing.json'))).rejects.toBeInstanceOf(InvalidInputError);
  });
});

describe('loadQuestions', () => {
  it('loads both shared layouts', async () => {
    const bamboogle = await loadQuestions(researchDataPath('qa-dev', 'bamboogle_test.json'));
    expect(bamboogle.format).toBe('question-array');
    expect(bamboogle.examples).toHaveLength(125);
    expect(bamboogle.stats).toMatchObject({ records: 125, done: true });
    const nq = await loadQuestions(researchDataPath('flashrag-sample', 'nq_test.jsonl'));
    expect(nq.format).toBe('flashrag-jsonl');
    expect(nq.examples).toHaveLength(17);
  });

  it('passes the error policy on', async () => {
    const path = files.write('mixed.json', `${jsonl}not json\n${jsonl}`);
    await expect(loadQuestions(path)).rejects.toThrow(`${path}, line 2: invalid JSON`);
    const loaded = await loadQuestions(path, { onError: 'skip' });
    expect(loaded.examples).toHaveLength(2);
    expect(loaded.stats).toMatchObject({ entries: 3, records: 2, skipped: 1 });
  });
});
