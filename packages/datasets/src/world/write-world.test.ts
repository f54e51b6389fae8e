import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { temporaryFolder } from '../__fixtures__/temporary-files';
import { readCorpusJsonl } from '../read-corpus-jsonl';
import { readQuestionsJsonl } from '../read-questions-jsonl';
import { generateWorld } from './generate-world';
import { writeWorld } from './write-world';

const files = temporaryFolder('write-world');

describe('writeWorld', () => {
  const world = generateWorld({
    seed: 12,
    people: 40,
    places: 10,
    organisations: 8,
    countries: 3,
    questionsPerHop: { 1: 20, 2: 15, 3: 10 },
  });

  it('writes corpus.jsonl, train.jsonl and heldout.jsonl that the readers return as the world', async () => {
    const folder = files.path('nested/world');
    const result = await writeWorld(folder, world);
    expect(result.corpus).toMatchObject({ path: `${folder}/corpus.jsonl`, records: world.passages.length });
    expect(result.train).toMatchObject({ path: `${folder}/train.jsonl`, records: world.questions.train.length });
    expect(result.heldOut).toMatchObject({ path: `${folder}/heldout.jsonl`, records: world.questions.heldOut.length });
    expect(result.corpus.bytes).toBe(Buffer.byteLength(readFileSync(result.corpus.path)));

    expect(await readCorpusJsonl(result.corpus.path).toArray()).toEqual(world.passages);
    expect(await readQuestionsJsonl(result.train.path).toArray()).toEqual(world.questions.train);
    expect(await readQuestionsJsonl(result.heldOut.path).toArray()).toEqual(world.questions.heldOut);
  });

  it('writes FlashRAG records, id first and the metadata beside golden_answers', async () => {
    const result = await writeWorld(files.path('layout'), world);
    const [firstLine] = readFileSync(result.heldOut.path, 'utf8').split('\n');
    const question = world.questions.heldOut[0]!;
    const record = JSON.parse(firstLine!) as Record<string, unknown>;
    expect(Object.keys(record)).toEqual([
      'id',
      'question',
      'golden_answers',
      'hops',
      'relations',
      'entityIds',
      'factIds',
      'supportingPassageIds',
      'searchQueries',
      'template',
    ]);
    expect(record).toEqual({
      id: 'heldout-0',
      question: question.question,
      golden_answers: question.goldenAnswers,
      ...question.metadata,
    });
    const [firstPassage] = readFileSync(result.corpus.path, 'utf8').split('\n');
    expect(JSON.parse(firstPassage!)).toEqual({ id: 'person-0:0', contents: world.passages[0]!.contents });
  });
});
