import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { InvalidInputError } from '@research-ts/spec';
import { decodeUtf8Text, fileReadError, isGzipPath } from '@research-ts/spec/node';
import { describeValue, describeZodError } from './describe-value';
import type { QaExample } from './qa-example';
import { createRecordStream, type RecordStream } from './record-stream';
import { handleInvalidEntry, type ReadOptions } from './read-stats';
import { extraFields, questionAnswerFields, questionAnswerSchema } from './schemas';

const gunzipAsync = promisify(gunzip);

/** The file name without its extensions: `qa-dev/musique_dev.json` → `musique_dev`, `x.json.gz` → `x`. */
export function datasetBaseName(path: string): string {
  let name = basename(path);
  if (isGzipPath(name)) name = name.slice(0, -'.gz'.length);
  const extension = extname(name);
  return extension === '' ? name : name.slice(0, -extension.length);
}

/** The 1-based line of a character offset. */
function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let index = text.indexOf('\n'); index >= 0 && index < offset; index = text.indexOf('\n', index + 1)) line += 1;
  return line;
}

/**
 * Reads a JSON array of `{ question, answer }` objects (the layout of the dev sets in
 * `research-data/qa-dev/`). The file is read whole (these sets are at most a few MB) and each element is
 * validated on its own.
 *
 * - ids are generated: `${basename}-${index}` with the 0-based element index (`musique_dev-0`);
 * - `goldenAnswers` is `[answer]`; other fields of an element (an `id` included) are kept in `metadata`;
 * - a bad element is an `InvalidInputError` whose field path starts with its index (`12.answer`), and
 *   `onError: 'skip'` passes over it; a file that is not a JSON array at all always throws.
 */
export function readQuestionArray(path: string, options: ReadOptions = {}): RecordStream<QaExample> {
  const prefix = datasetBaseName(path);
  return createRecordStream(path, async function* (stats) {
    let text: string;
    try {
      const raw = await readFile(path);
      text = decodeUtf8Text(isGzipPath(path) ? await gunzipAsync(raw) : raw, path);
    } catch (error) {
      throw fileReadError(error, path);
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      const position = /at position (\d+)/.exec(detail);
      const line = position === null ? undefined : lineAt(text, Number(position[1]));
      throw new InvalidInputError(`invalid JSON (${detail})`, { source: path, line }, { cause: error });
    }
    if (!Array.isArray(value)) {
      throw new InvalidInputError(`expected a JSON array of {question, answer} objects, got ${describeValue(value)}`, {
        source: path,
      });
    }
    for (let index = 0; index < value.length; index += 1) {
      stats.entries += 1;
      const result = questionAnswerSchema.safeParse(value[index]);
      if (!result.success) {
        const { field, problem } = describeZodError(result.error);
        const fieldPath = field === '' ? String(index) : `${index}.${field}`;
        handleInvalidEntry(
          new InvalidInputError(`element ${index}: ${problem}`, { source: path, field: fieldPath }),
          stats,
          options,
        );
        continue;
      }
      const example: QaExample = {
        id: `${prefix}-${index}`,
        question: result.data.question,
        goldenAnswers: [result.data.answer],
      };
      const metadata = extraFields(value[index], questionAnswerFields);
      if (metadata !== undefined) example.metadata = metadata;
      stats.records += 1;
      yield example;
    }
    stats.done = true;
  });
}
