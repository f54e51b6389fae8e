import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InvalidInputError, ResearchError } from '../research-error';

/** True when `path` names a gzip file (by its `.gz` extension, in any case). */
export function isGzipPath(path: string): boolean {
  return path.toLowerCase().endsWith('.gz');
}

export interface ByteStreamOptions {
  /** Called with the size of each chunk read from the file (compressed bytes for a `.gz` file). */
  onRead?: (bytes: number) => void;
}

/** The bytes of a file, gunzipped when the path ends in `.gz`. */
export function openByteStream(path: string, options: ByteStreamOptions = {}): Readable {
  const file = createReadStream(path, { highWaterMark: 256 * 1024 });
  const onRead = options.onRead;
  if (onRead !== undefined) file.on('data', (chunk) => onRead(chunk.length));
  if (!isGzipPath(path)) return file;
  const gunzip = createGunzip();
  file.on('error', (error) => gunzip.destroy(error));
  gunzip.on('close', () => file.destroy());
  return file.pipe(gunzip);
}

/** A failure to read a file (missing, no permission, broken gzip) as an `InvalidInputError` naming it. */
export function fileReadError(error: unknown, source: string): ResearchError {
  if (ResearchError.isInstance(error)) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new InvalidInputError(`cannot read the file: ${detail}`, { source }, { cause: error });
}
