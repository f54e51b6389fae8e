import { isUtf8 } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InvalidInputError, ResearchError } from '@research-ts/spec';
import { completeUtf8Length, firstInvalidUtf8Offset } from './utf8';

/** One line of a text file, without its line ending. */
export interface TextLine {
  text: string;
  /** 1-based line number. */
  number: number;
  /** True for the file's last line. */
  isLast: boolean;
  /** For the last line: whether the file ends with a line break after it. */
  endsWithNewline: boolean;
}

const byteOrderMark = [0xef, 0xbb, 0xbf];
const newlineByte = 0x0a;

/** True when `path` names a gzip file (by its `.gz` extension). */
export function isGzipPath(path: string): boolean {
  return path.toLowerCase().endsWith('.gz');
}

/** The raw bytes of a file, gunzipped when the path ends in `.gz`. */
export function openByteStream(path: string): Readable {
  const file = createReadStream(path, { highWaterMark: 256 * 1024 });
  if (!isGzipPath(path)) return file;
  const gunzip = createGunzip();
  file.on('error', (error) => gunzip.destroy(error));
  gunzip.on('close', () => file.destroy());
  return file.pipe(gunzip);
}

/** Wraps a failure of the byte pipeline (missing file, broken gzip) as an `InvalidInputError` naming the file. */
export function asInputError(error: unknown, source: string): ResearchError {
  if (ResearchError.isInstance(error)) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new InvalidInputError(`cannot read the file: ${detail}`, { source }, { cause: error });
}

function countNewlines(bytes: Uint8Array, end: number): number {
  let count = 0;
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, end);
  let index = buffer.indexOf(newlineByte);
  while (index >= 0) {
    count += 1;
    index = buffer.indexOf(newlineByte, index + 1);
  }
  return count;
}

interface DecodeState {
  endsWithNewline: boolean;
}

/**
 * Decodes a byte stream as strict UTF-8: drops a byte-order mark at the start, never cuts a character
 * between chunks, and throws an `InvalidInputError` with the line and byte offset of the first invalid
 * byte (Node's default decoder would silently turn it into U+FFFD).
 */
async function* decodeUtf8(bytes: AsyncIterable<Buffer>, source: string, state: DecodeState): AsyncGenerator<string> {
  let pending: Buffer | undefined;
  let atStart = true;
  let offset = 0; // byte offset (in the decoded stream) of the start of `chunk` below
  let linesBefore = 0;
  for await (const incoming of bytes) {
    let chunk = pending === undefined ? incoming : Buffer.concat([pending, incoming]);
    pending = undefined;
    if (atStart) {
      if (
        chunk.length < byteOrderMark.length &&
        byteOrderMark.slice(0, chunk.length).every((byte, index) => chunk[index] === byte)
      ) {
        pending = chunk;
        continue;
      }
      atStart = false;
      if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) {
        chunk = chunk.subarray(3);
        offset = 3;
      }
    }
    if (chunk.length === 0) continue;
    const complete = completeUtf8Length(chunk);
    const body = chunk.subarray(0, complete);
    if (complete < chunk.length) pending = Buffer.from(chunk.subarray(complete));
    if (!isUtf8(body)) throw invalidUtf8Error(body, offset, linesBefore, source);
    state.endsWithNewline = body[body.length - 1] === newlineByte || body[body.length - 1] === 0x0d;
    linesBefore += countNewlines(body, body.length);
    offset += body.length;
    yield body.toString('utf8');
  }
  if (pending !== undefined) {
    throw invalidUtf8Error(pending, offset, linesBefore, source, 'the file ends inside a multi-byte character');
  }
}

function invalidUtf8Error(
  bytes: Buffer,
  offset: number,
  linesBefore: number,
  source: string,
  reason?: string,
): InvalidInputError {
  const found = firstInvalidUtf8Offset(bytes);
  const at = found < 0 ? 0 : found;
  const byte = bytes[at] ?? 0;
  const problem = reason ?? `invalid UTF-8: byte 0x${byte.toString(16).padStart(2, '0')} at byte offset ${offset + at}`;
  return new InvalidInputError(problem, { source, line: linesBefore + countNewlines(bytes, at) + 1 });
}

/**
 * Reads a UTF-8 text file (gzip when it ends in `.gz`) line by line with node:readline. Line breaks are
 * `\n`, `\r\n` or a lone `\r` (readline's rule). Each line is yielded one step late, so that the last line is
 * known as such. The file is closed when the consumer stops early.
 */
export async function* readTextLines(path: string): AsyncGenerator<TextLine> {
  const state: DecodeState = { endsWithNewline: false };
  const bytes = openByteStream(path);
  const text = Readable.from(decodeUtf8(bytes, path, state));
  const lines = createInterface({ input: text, crlfDelay: Infinity });
  let held: string | undefined;
  let number = 0;
  try {
    for await (const line of lines) {
      if (held !== undefined) yield { text: held, number, isLast: false, endsWithNewline: true };
      held = line;
      number += 1;
    }
  } catch (error) {
    throw asInputError(error, path);
  } finally {
    lines.close();
    text.destroy();
    bytes.destroy();
  }
  if (held !== undefined) yield { text: held, number, isLast: true, endsWithNewline: state.endsWithNewline };
}

/**
 * Decodes a whole file's bytes as strict UTF-8 (a byte-order mark at the start is dropped); an invalid byte is
 * an `InvalidInputError` with its line and byte offset.
 */
export function decodeUtf8File(bytes: Buffer, source: string): string {
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const body = bytes.subarray(start);
  if (!isUtf8(body)) throw invalidUtf8Error(body, start, 0, source);
  return body.toString('utf8');
}
