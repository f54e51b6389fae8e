import { pipeline, Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { InvalidInputError } from '@research-ts/spec';
import { isGzipPath, writeFileAtomically } from '@research-ts/spec/node';

export interface WriteJsonlResult {
  /** Records written (one line each). */
  records: number;
  /** Bytes of JSONL text written (before gzip). */
  bytes: number;
}

const batchBytes = 256 * 1024;

async function* jsonlBatches(
  records: Iterable<unknown> | AsyncIterable<unknown>,
  path: string,
  result: WriteJsonlResult,
): AsyncGenerator<string> {
  let batch = '';
  for await (const record of records as AsyncIterable<unknown>) {
    let line: string | undefined;
    try {
      line = JSON.stringify(record);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new InvalidInputError(
        `record ${result.records} cannot be written as JSON (${detail})`,
        { source: path },
        { cause: error },
      );
    }
    if (line === undefined) {
      throw new InvalidInputError(`record ${result.records} cannot be written as JSON (it is ${typeof record})`, {
        source: path,
      });
    }
    batch += `${line}\n`;
    result.records += 1;
    if (batch.length >= batchBytes) {
      result.bytes += Buffer.byteLength(batch);
      yield batch;
      batch = '';
    }
  }
  if (batch !== '') {
    result.bytes += Buffer.byteLength(batch);
    yield batch;
  }
}

/** `text`, gzipped (started by the first read; an error of `text` ends it with that error). */
async function* gzipped(text: AsyncIterable<string>): AsyncGenerator<Uint8Array> {
  yield* pipeline(Readable.from(text), createGzip(), () => undefined);
}

/**
 * Writes records as JSONL (one `JSON.stringify` per line, each ending in `\n`, UTF-8, gzip when the path ends
 * in `.gz`), atomically (spec's `writeFileAtomically`): the lines go to a temporary file beside `path`, which
 * is flushed to disk and then renamed over `path`. A reader never sees a half-written file; on failure `path`
 * is left as it was and the temporary file is removed. A record that JSON cannot represent (`undefined`, a function, a BigInt, a
 * cycle) is an `InvalidInputError` naming its 0-based index.
 *
 * `JSON.stringify` escapes line breaks inside strings, so every record is exactly one line.
 */
export async function writeJsonl(
  path: string,
  records: Iterable<unknown> | AsyncIterable<unknown>,
): Promise<WriteJsonlResult> {
  const result: WriteJsonlResult = { records: 0, bytes: 0 };
  const lines = jsonlBatches(records, path, result);
  await writeFileAtomically(path, isGzipPath(path) ? gzipped(lines) : lines);
  return result;
}
