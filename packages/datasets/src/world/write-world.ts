import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonl, type WriteJsonlResult } from '../write-jsonl';
import type { World, WorldQuestion } from './world-types';

/** What `writeWorld` wrote: each file's path and its `writeJsonl` counts. */
export interface WriteWorldResult {
  corpus: WriteJsonlResult & { path: string };
  train: WriteJsonlResult & { path: string };
  heldOut: WriteJsonlResult & { path: string };
}

/** A world question as a FlashRAG record: `{ id, question, golden_answers, ...metadata }`. */
function questionRecord(question: WorldQuestion): Record<string, unknown> {
  return {
    id: question.id,
    question: question.question,
    golden_answers: [...question.goldenAnswers],
    ...question.metadata,
  };
}

/**
 * Writes a world in FlashRAG's layout to `directory` (created if missing): `corpus.jsonl` (`{ id, contents }`
 * per passage), `train.jsonl` and `heldout.jsonl` (`{ id, question, golden_answers, hops, relations, … }`,
 * the metadata fields beside the core ones). Each file is written atomically by `writeJsonl`.
 * `readCorpusJsonl` reads the passages back as they are, and `readQuestionsJsonl` the questions (metadata included).
 */
export async function writeWorld(directory: string, world: World): Promise<WriteWorldResult> {
  await mkdir(directory, { recursive: true });
  const paths = {
    corpus: join(directory, 'corpus.jsonl'),
    train: join(directory, 'train.jsonl'),
    heldOut: join(directory, 'heldout.jsonl'),
  };
  const corpus = await writeJsonl(
    paths.corpus,
    world.passages.map((passage) => ({ id: passage.id, contents: passage.contents })),
  );
  const train = await writeJsonl(paths.train, world.questions.train.map(questionRecord));
  const heldOut = await writeJsonl(paths.heldOut, world.questions.heldOut.map(questionRecord));
  return {
    corpus: { path: paths.corpus, ...corpus },
    train: { path: paths.train, ...train },
    heldOut: { path: paths.heldOut, ...heldOut },
  };
}
