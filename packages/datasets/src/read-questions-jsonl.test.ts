import { InvalidInputError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { researchDataPath } from './__fixtures__/research-data';
import { temporaryFolder } from './__fixtures__/temporary-files';
import { readQuestionsJsonl } from './read-questions-jsonl';

const files = temporaryFolder('questions');

async function firstError(lines: string[]): Promise<InvalidInputError> {
  const path = files.write(`case-${Math.random().toString(36).slice(2)}.jsonl`, `${lines.join('\n')}\n`);
  try {
    await readQuestionsJsonl(path).toArray();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    const found = error as InvalidInputError;
    expect(found.source).toBe(path);
    expect(found.message).toBe(
      `${path}, line ${found.line}${found.field ? `, field "${found.field}"` : ''}: ${found.problem}`,
    );
    return found;
  }
  throw new Error('expected an error');
}

const good = '{"id":"ok","question":"q?","golden_answers":["a"]}';

describe('readQuestionsJsonl', () => {
  it('reads every question of FlashRAG nq_test.jsonl, including the last line that has no newline', async () => {
    // The file has 17 records (test_0 … test_16); `wc -l` says 16 because its last line has no line break.
    const stream = readQuestionsJsonl(researchDataPath('flashrag-sample', 'nq_test.jsonl'));
    const examples = await stream.toArray();
    expect(examples).toHaveLength(17);
    expect(examples.map((example) => example.id)).toEqual(Array.from({ length: 17 }, (_, index) => `test_${index}`));
    expect(examples[0]).toEqual({
      id: 'test_0',
      question: 'who got the first nobel prize in physics',
      goldenAnswers: ['Wilhelm Conrad Röntgen'],
    });
    expect(examples[2]!.goldenAnswers).toEqual(['Olivia', 'MFSK']);
    expect(examples.at(-1)).toEqual({
      id: 'test_16',
      question: 'where is the tv show the curse of oak island filmed',
      goldenAnswers: ['Oak Island'],
    });
    expect(stream.stats).toMatchObject({ entries: 17, records: 17, blankLines: 0, skipped: 0, done: true });
  });

  it.each([
    ['missing golden_answers', '{"id":"x","question":"q?"}', 'golden_answers', 'missing'],
    [
      'golden_answers with a number',
      '{"id":"x","question":"q?","golden_answers":["a",2]}',
      'golden_answers.1',
      'expected a string, got a number (2)',
    ],
    [
      'golden_answers as a string',
      '{"id":"x","question":"q?","golden_answers":"a"}',
      'golden_answers',
      'expected an array of strings, got a string ("a")',
    ],
    [
      'empty golden_answers',
      '{"id":"x","question":"q?","golden_answers":[]}',
      'golden_answers',
      'must list at least one answer',
    ],
    [
      'an empty answer',
      '{"id":"x","question":"q?","golden_answers":["a"," "]}',
      'golden_answers.1',
      'must not be empty',
    ],
    ['empty question', '{"id":"x","question":"","golden_answers":["a"]}', 'question', 'must not be empty'],
    ['whitespace question', '{"id":"x","question":" \\t ","golden_answers":["a"]}', 'question', 'must not be empty'],
    [
      'question as a number',
      '{"id":"x","question":7,"golden_answers":["a"]}',
      'question',
      'expected a string, got a number (7)',
    ],
    ['missing id', '{"question":"q?","golden_answers":["a"]}', 'id', 'missing'],
    [
      'boolean id',
      '{"id":true,"question":"q?","golden_answers":["a"]}',
      'id',
      'expected a string or a number, got a boolean (true)',
    ],
    ['empty id', '{"id":"","question":"q?","golden_answers":["a"]}', 'id', 'must not be empty'],
    ['an array line', '["x","q?",["a"]]', '', 'expected an object, got an array'],
    ['a null line', 'null', '', 'expected an object, got null'],
    [
      'two problems',
      '{"id":"x","question":"","golden_answers":[3]}',
      'question',
      'must not be empty (and 1 more problem)',
    ],
  ])('%s on line 3', async (_name, line, field, problem) => {
    const error = await firstError([good, good, line, good]);
    expect(error.line).toBe(3);
    expect(error.field).toBe(field === '' ? '' : field);
    expect(error.problem).toBe(problem);
  });

  it('turns numeric ids into strings and keeps extra fields in metadata', async () => {
    const path = files.write(
      'extras.jsonl',
      [
        '{"id":12,"question":"q1","golden_answers":["a","b"],"metadata":{"type":"comparison"},"level":"hard"}',
        '{"id":"s","question":"q2","golden_answers":["c"]}',
      ].join('\n'),
    );
    expect(await readQuestionsJsonl(path).toArray()).toEqual([
      {
        id: '12',
        question: 'q1',
        goldenAnswers: ['a', 'b'],
        metadata: { metadata: { type: 'comparison' }, level: 'hard' },
      },
      { id: 's', question: 'q2', goldenAnswers: ['c'] },
    ]);
  });

  it('keeps a __proto__ field as plain metadata', async () => {
    const path = files.write(
      'proto.jsonl',
      '{"id":"x","question":"q","golden_answers":["a"],"__proto__":{"polluted":true}}',
    );
    const [example] = await readQuestionsJsonl(path).toArray();
    expect(Object.getPrototypeOf(example!.metadata)).toBe(Object.prototype);
    expect(Object.keys(example!.metadata!)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reads an empty file as no questions', async () => {
    const stream = readQuestionsJsonl(files.write('empty.jsonl', ''));
    expect(await stream.toArray()).toEqual([]);
    expect(stream.stats).toMatchObject({ entries: 0, records: 0, done: true });
  });

  it('keeps the question text exactly as written (no trimming)', async () => {
    const path = files.write('spaces.jsonl', '{"id":"x","question":"  who?\\n ","golden_answers":[" A "]}');
    expect(await readQuestionsJsonl(path).toArray()).toEqual([
      { id: 'x', question: '  who?\n ', goldenAnswers: [' A '] },
    ]);
  });
});
