import { InvalidInputError } from '@research-ts/spec';
import type { z } from 'zod';
import { describeZodError } from './describe-value';
import { createRecordStream, type RecordStream } from './record-stream';
import { handleInvalidEntry, type ReadOptions } from './read-stats';
import { readTextLines } from './read-text-lines';

/** A line that holds only JSON whitespace (space, tab, CR, LF) or nothing. */
function isBlank(text: string): boolean {
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code !== 0x20 && code !== 0x09 && code !== 0x0d && code !== 0x0a) return false;
  }
  return true;
}

/**
 * Streams a JSONL file (UTF-8, optionally gzip when the path ends in `.gz`), one JSON value per line, each
 * validated by `schema`. A malformed line (bad JSON, or a value the schema rejects) is an
 * `InvalidInputError` naming the file, the 1-based line and the dotted field path; `options.onError` says
 * whether it ends the read (`'throw'`, the default) or is skipped and counted in `stats`.
 *
 * Blank lines are skipped and counted. A byte-order mark at the start is ignored. Line breaks may be
 * `\n`, `\r\n` or a lone `\r`. A last line without a line break is read like any other.
 */
export function readJsonl<Output>(
  path: string,
  schema: z.ZodType<Output>,
  options: ReadOptions = {},
): RecordStream<Output> {
  return readJsonlWith(path, schema, (record) => record, options);
}

/** `readJsonl`, then `toOutput(record, raw)` with the validated record and the raw `JSON.parse` value. */
export function readJsonlWith<Validated, Output>(
  path: string,
  schema: z.ZodType<Validated>,
  toOutput: (record: Validated, raw: unknown) => Output,
  options: ReadOptions,
): RecordStream<Output> {
  return createRecordStream(path, async function* (stats) {
    for await (const line of readTextLines(path)) {
      stats.entries += 1;
      if (isBlank(line.text)) {
        stats.blankLines += 1;
        continue;
      }
      let value: unknown;
      try {
        value = JSON.parse(line.text);
      } catch (error) {
        const truncated =
          line.isLast && !line.endsWithNewline ? '; the file ends inside this line, so it looks truncated' : '';
        const detail = error instanceof Error ? error.message : String(error);
        handleInvalidEntry(
          new InvalidInputError(
            `invalid JSON (${detail})${truncated}`,
            { source: path, line: line.number },
            { cause: error },
          ),
          stats,
          options,
        );
        continue;
      }
      const result = schema.safeParse(value);
      if (!result.success) {
        const { field, problem } = describeZodError(result.error);
        handleInvalidEntry(new InvalidInputError(problem, { source: path, line: line.number, field }), stats, options);
        continue;
      }
      stats.records += 1;
      yield toOutput(result.data, value);
    }
    stats.done = true;
  });
}
