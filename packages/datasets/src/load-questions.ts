import { InvalidInputError } from '@research-ts/spec';
import { fileReadError, isGzipPath, openByteStream } from '@research-ts/spec/node';
import type { QaExample } from './qa-example';
import type { ReadOptions, ReadStats } from './read-stats';
import { readQuestionArray } from './read-question-array';
import { readQuestionsJsonl } from './read-questions-jsonl';

/** The two question layouts `loadQuestions` knows. */
export type QuestionFileFormat = 'flashrag-jsonl' | 'question-array';

export interface LoadedQuestions {
  format: QuestionFileFormat;
  examples: QaExample[];
  stats: ReadStats;
}

/** The first byte that is not JSON whitespace (a byte-order mark skipped), or undefined for an empty file. */
async function firstSignificantByte(path: string): Promise<number | undefined> {
  const bytes = openByteStream(path);
  try {
    let atStart = true;
    for await (const chunk of bytes as AsyncIterable<Buffer>) {
      let index = 0;
      if (atStart && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) index = 3;
      atStart = false;
      for (; index < chunk.length; index += 1) {
        const byte = chunk[index]!;
        if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) return byte;
      }
    }
    return undefined;
  } catch (error) {
    throw fileReadError(error, path);
  } finally {
    bytes.destroy();
  }
}

/**
 * Decides a question file's layout. `.jsonl` / `.ndjson` (optionally `.gz`) are FlashRAG JSONL. Otherwise the
 * first significant character decides: `[` is a `{question, answer}` array, `{` is JSONL (FlashRAG files
 * are sometimes named `.json`). An empty file counts as JSONL (and holds no questions).
 */
export async function detectQuestionFormat(path: string): Promise<QuestionFileFormat> {
  const name = (isGzipPath(path) ? path.slice(0, -'.gz'.length) : path).toLowerCase();
  if (name.endsWith('.jsonl') || name.endsWith('.ndjson')) return 'flashrag-jsonl';
  const first = await firstSignificantByte(path);
  if (first === undefined || first === 0x7b) return 'flashrag-jsonl'; // {
  if (first === 0x5b) return 'question-array'; // [
  const found = first < 0x80 ? JSON.stringify(String.fromCharCode(first)) : `byte 0x${first.toString(16)}`;
  throw new InvalidInputError(
    `cannot tell the question format: the file starts with ${found}, expected "{" (FlashRAG JSONL) or "[" (a {question, answer} array)`,
    { source: path },
  );
}

/**
 * Loads a whole question file of either layout (see `detectQuestionFormat`) into memory, with the read's
 * counters. Use `readQuestionsJsonl` / `readQuestionArray` directly to stream.
 */
export async function loadQuestions(path: string, options: ReadOptions = {}): Promise<LoadedQuestions> {
  const format = await detectQuestionFormat(path);
  const stream = format === 'question-array' ? readQuestionArray(path, options) : readQuestionsJsonl(path, options);
  const examples = await stream.toArray();
  return { format, examples, stats: stream.stats };
}
