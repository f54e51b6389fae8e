import { InvalidInputError } from '@research-ts/spec';
import { isBlankLine, jsonLineError, parseJsonLine, readTextLines } from '@research-ts/spec/node';
import type { z } from 'zod';
import { describeZodError } from './describe-value';
import { createRecordStream, type RecordStream } from './record-stream';
import { handleInvalidEntry, type ReadOptions } from './read-stats';

/**
 * Streams a JSONL file (UTF-8, optionally gzip when the path ends in `.gz`), one JSON value per line, each
 * validated by `schema`. A malformed line (bad JSON, or a value the schema rejects) is an
 * `InvalidInputError` naming the file, the 1-based line and the dotted field path; `options.onError` says
 * whether it ends the read (`'throw'`, the default) or is skipped and counted in `stats`.
 *
 * Blank lines are skipped and counted. A byte-order mark at the start is ignored. Line breaks may be
 * `\n`, `\r\n` or a lone `\r`. A last line without a line break is read like any other (spec's `readTextLines`
 * and `parseJsonLine`). Bytes that are not UTF-8 end the read whatever `onError` says: the file is not text.
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
      if (isBlankLine(line.text)) {
        stats.blankLines += 1;
        continue;
      }
      const parsed = parseJsonLine(line);
      if (!parsed.ok) {
        if (parsed.invalidUtf8) throw jsonLineError(path, parsed);
        handleInvalidEntry(jsonLineError(path, parsed), stats, options);
        continue;
      }
      const value = parsed.value;
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
