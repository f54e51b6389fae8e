import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { InvalidInputError } from '@research-ts/spec';
import { isGzipPath } from './read-text-lines';

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

/**
 * Writes records as JSONL (one `JSON.stringify` per line, each ending in `\n`, UTF-8, gzip when the path ends
 * in `.gz`), atomically: the lines go to a temporary file beside `path`, which is flushed to disk and then
 * renamed over `path`. A reader never sees a half-written file; on failure `path` is left as it was and the
 * temporary file is removed. A record that JSON cannot represent (`undefined`, a function, a BigInt, a
 * cycle) is an `InvalidInputError` naming its 0-based index.
 *
 * `JSON.stringify` escapes line breaks inside strings, so every record is exactly one line.
 */
export async function writeJsonl(
  path: string,
  records: Iterable<unknown> | AsyncIterable<unknown>,
): Promise<WriteJsonlResult> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
  const result: WriteJsonlResult = { records: 0, bytes: 0 };
  try {
    const source = Readable.from(jsonlBatches(records, path, result));
    const target = createWriteStream(temporary, { flags: 'wx' });
    if (isGzipPath(path)) {
      const gzip: Transform = createGzip();
      await pipeline(source, gzip, target);
    } else {
      await pipeline(source, target);
    }
    const handle = await open(temporary, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  return result;
}
