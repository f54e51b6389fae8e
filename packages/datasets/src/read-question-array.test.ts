import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { researchDataPath } from './__fixtures__/research-data';
import { rejectionOf, temporaryFolder } from './__fixtures__/temporary-files';
import { datasetBaseName, readQuestionArray } from './read-question-array';

const files = temporaryFolder('question-array');

describe('readQuestionArray over the shared dev sets', () => {
  it.each([
    ['hotpotqa_dev.json', 7405, 'hotpotqa_dev'],
    ['2wikimultihopqa_dev.json', 12576, '2wikimultihopqa_dev'],
    ['musique_dev.json', 2417, 'musique_dev'],
    ['bamboogle_test.json', 125, 'bamboogle_test'],
  ])('%s holds %i questions', async (name, count, prefix) => {
    const stream = readQuestionArray(researchDataPath('qa-dev', name));
    const examples = await stream.toArray();
    expect(examples).toHaveLength(count);
    expect(stream.stats).toMatchObject({
      entries: count,
      records: count,
      blankLines: 0,
      skipped: 0,
      errors: [],
      done: true,
    });
    expect(examples[0]!.id).toBe(`${prefix}-0`);
    expect(examples.at(-1)!.id).toBe(`${prefix}-${count - 1}`);
    expect(examples.every((example) => example.goldenAnswers.length === 1 && example.metadata === undefined)).toBe(
      true,
    );
  });

  it('keeps question and answer as written (first MuSiQue row)', async () => {
    const [first] = await readQuestionArray(researchDataPath('qa-dev', 'musique_dev.json')).toArray();
    expect(first).toEqual({
      id: 'musique_dev-0',
      question: 'Who is the spouse of the Green performer?',
      goldenAnswers: ['Miquette Giraudy'],
    });
  });
});

describe('readQuestionArray errors', () => {
  const elements = [
    { question: 'q0', answer: 'a0' },
    { question: 'q1', answer: 3 },
    { question: '', answer: 'a2' },
    { answer: 'a3' },
    'not an object',
    { question: 'q5', answer: 'a5', id: 'own-id', source: 'x' },
  ];
  const path = files.write('bad.json', JSON.stringify(elements));

  it('throws at the first bad element, naming its index in the field path', async () => {
    const error = await rejectionOf(readQuestionArray(path).toArray());
    expect(error.message).toBe(`${path}, field "1.answer": element 1: expected a string, got a number (3)`);
  });

  it("with onError 'skip' yields the good elements and counts the rest", async () => {
    const stream = readQuestionArray(path, { onError: 'skip' });
    expect(await stream.toArray()).toEqual([
      { id: 'bad-0', question: 'q0', goldenAnswers: ['a0'] },
      { id: 'bad-5', question: 'q5', goldenAnswers: ['a5'], metadata: { id: 'own-id', source: 'x' } },
    ]);
    expect(stream.stats).toMatchObject({ entries: 6, records: 2, skipped: 4, done: true });
    expect(stream.stats.errors.map((error) => [error.field, error.problem])).toEqual([
      ['1.answer', 'element 1: expected a string, got a number (3)'],
      ['2.question', 'element 2: must not be empty'],
      ['3.question', 'element 3: missing'],
      ['4', 'element 4: expected an object, got a string ("not an object")'],
    ]);
  });

  it('a file that is not a JSON array always throws, even when skipping', async () => {
    const object = files.write('object.json', '{"question":"q","answer":"a"}');
    await expect(readQuestionArray(object, { onError: 'skip' }).toArray()).rejects.toThrow(
      `${object}: expected a JSON array of {question, answer} objects, got an object`,
    );
    // When V8 reports a position, the error names its line.
    const broken = files.write(
      'broken.json',
      '[\n {"question": "q", "answer": "a"},\n {"question": "q" "answer": "a"}\n]',
    );
    const error = await rejectionOf(readQuestionArray(broken, { onError: 'skip' }).toArray());
    expect(error.line).toBe(3);
    expect(error.problem).toMatch(/^invalid JSON \(Expected ',' or '}' after property value in JSON at position 55\)$/);
    const unquoted = files.write('unquoted.json', '[{"question": oops}]');
    await expect(readQuestionArray(unquoted).toArray()).rejects.toThrow(
      new RegExp(`^${unquoted}: invalid JSON \\(.+\\)$`),
    );
  });

  it('reads a BOM, CRLF pretty-printing and gzip', async () => {
    const text = '\uFEFF[\r\n  {"question": "q", "answer": "a"}\r\n]\r\n';
    expect(await readQuestionArray(files.write('pretty.json', text)).toArray()).toEqual([
      { id: 'pretty-0', question: 'q', goldenAnswers: ['a'] },
    ]);
    expect(await readQuestionArray(files.write('packed.json.gz', gzipSync(text))).toArray()).toEqual([
      { id: 'packed-0', question: 'q', goldenAnswers: ['a'] },
    ]);
  });

  it('rejects invalid UTF-8', async () => {
    const bytes = Buffer.concat([
      Buffer.from('[{"question": "caf'),
      Buffer.from([0xe9]),
      Buffer.from('", "answer": "a"}]'),
    ]);
    await expect(readQuestionArray(files.write('latin1.json', bytes)).toArray()).rejects.toThrow(
      'line 1: invalid UTF-8: byte 0xe9 at byte offset 18',
    );
  });
});

describe('datasetBaseName', () => {
  it.each([
    ['qa-dev/musique_dev.json', 'musique_dev'],
    ['/x/y/bamboogle_test.json.gz', 'bamboogle_test'],
    ['dev.jsonl', 'dev'],
    ['no-extension', 'no-extension'],
    ['v1.2.json', 'v1.2'],
  ])('%s → %s', (path, name) => {
    expect(datasetBaseName(path)).toBe(name);
  });
});
