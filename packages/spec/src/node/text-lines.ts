import { isUtf8 } from 'node:buffer';
import { InvalidInputError } from '../research-error';
import { fileReadError, openByteStream, type ByteStreamOptions } from './byte-stream';
import { completeUtf8Length, firstInvalidUtf8Offset } from './utf8';

/** One line of a text file, without its line break. */
export interface TextLine {
  /** 1-based line number. */
  number: number;
  /** The text; a byte-order mark at the start of the file is dropped, bytes that are not UTF-8 read as U+FFFD. */
  text: string;
  /** False only for a last line the file ends inside, with no line break after it (a torn or truncated write). */
  terminated: boolean;
  /** Why the line's bytes are not UTF-8 (`invalid UTF-8: byte 0xff at byte offset 40`), when they are not. */
  invalidUtf8?: string;
}

const lineFeed = 0x0a;
const carriageReturn = 0x0d;
const noBytes = Buffer.alloc(0);

/** Whether `bytes` start with the UTF-8 byte-order mark (EF BB BF). */
export function startsWithByteOrderMark(bytes: Uint8Array): boolean {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}

function invalidUtf8Problem(bytes: Uint8Array, at: number, offset: number): string {
  return `invalid UTF-8: byte 0x${(bytes[at] ?? 0).toString(16).padStart(2, '0')} at byte offset ${offset + at}`;
}

function decodeLine(bytes: Buffer, number: number, offset: number, terminated: boolean): TextLine {
  const text = bytes.toString('utf8');
  if (isUtf8(bytes)) return { number, text, terminated };
  const at = Math.max(0, firstInvalidUtf8Offset(bytes));
  const cut = !terminated && at === completeUtf8Length(bytes) && at < bytes.length;
  const invalidUtf8 = cut ? 'the file ends inside a multi-byte character' : invalidUtf8Problem(bytes, at, offset);
  return { number, text, terminated, invalidUtf8 };
}

/**
 * The push/flush state machine that cuts bytes into lines: breaks are `\n`, `\r\n` or a lone `\r` (also when
 * `\r` and `\n` arrive in different chunks), a byte-order mark at the start is dropped, and each line is
 * decoded on its own, so that a character is never cut between chunks.
 */
class LineSplitter {
  private parts: Buffer[] = [];
  /** The last chunk ended with `\r`: a `\n` at the start of the next one belongs to the same break. */
  private skipLineFeed = false;
  private number = 0;
  /** File offset of the current line's first byte, and of the next chunk's first byte. */
  private lineStart = 0;
  private consumed = 0;

  push(chunk: Buffer): TextLine[] {
    const lines: TextLine[] = [];
    let start = 0;
    if (this.skipLineFeed && chunk.length > 0) {
      this.skipLineFeed = false;
      if (chunk[0] === lineFeed) {
        start = 1;
        this.lineStart += 1;
      }
    }
    let feed = chunk.indexOf(lineFeed, start);
    let carriage = chunk.indexOf(carriageReturn, start);
    while (feed >= 0 || carriage >= 0) {
      const end = carriage < 0 || (feed >= 0 && feed < carriage) ? feed : carriage;
      let next = end + 1;
      if (end === carriage) {
        if (next === chunk.length) this.skipLineFeed = true;
        else if (chunk[next] === lineFeed) next += 1;
      }
      lines.push(this.line(chunk.subarray(start, end), true));
      this.lineStart = this.consumed + next;
      start = next;
      if (feed >= 0 && feed < start) feed = chunk.indexOf(lineFeed, start);
      if (carriage >= 0 && carriage < start) carriage = chunk.indexOf(carriageReturn, start);
    }
    if (start < chunk.length) this.parts.push(chunk.subarray(start));
    this.consumed += chunk.length;
    return lines;
  }

  /** The last line, when the input does not end with a line break. */
  end(): TextLine[] {
    const rest = Buffer.concat(this.parts);
    if (rest.length === 0 || (this.number === 0 && rest.length === 3 && startsWithByteOrderMark(rest))) return [];
    return [this.line(noBytes, false)];
  }

  private line(tail: Buffer, terminated: boolean): TextLine {
    let bytes = this.parts.length === 0 ? tail : Buffer.concat([...this.parts, tail]);
    this.parts = [];
    this.number += 1;
    let offset = this.lineStart;
    if (this.number === 1 && startsWithByteOrderMark(bytes)) {
      bytes = bytes.subarray(3);
      offset += 3;
    }
    return decodeLine(bytes, this.number, offset, terminated);
  }
}

const asBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** The lines of a whole file's bytes (the rules of {@link readTextLines}). */
export function splitTextLines(bytes: Uint8Array): TextLine[] {
  const splitter = new LineSplitter();
  return [...splitter.push(asBuffer(bytes)), ...splitter.end()];
}

export type ReadTextLinesOptions = ByteStreamOptions;

/**
 * Streams the lines of a text file (gunzipped when the path ends in `.gz`). Line breaks are `\n`, `\r\n` or a
 * lone `\r`; a byte-order mark at the start is dropped; line numbers are 1-based and count every line; a last
 * line without a line break is read like the others, marked `terminated: false`. Bytes that are not UTF-8 are
 * reported on their line (`invalidUtf8`), never silently replaced. A file that cannot be read (missing, broken
 * gzip) is an `InvalidInputError` naming it. The file is closed when the consumer stops early.
 */
export async function* readTextLines(path: string, options: ReadTextLinesOptions = {}): AsyncGenerator<TextLine> {
  const splitter = new LineSplitter();
  const bytes = openByteStream(path, options);
  try {
    for await (const chunk of bytes as AsyncIterable<Buffer>) yield* splitter.push(chunk);
  } catch (error) {
    throw fileReadError(error, path);
  } finally {
    bytes.destroy();
  }
  yield* splitter.end();
}

/** A line that holds only JSON whitespace (space, tab, CR, LF) or nothing. */
export function isBlankLine(text: string): boolean {
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code !== 0x20 && code !== 0x09 && code !== 0x0d && code !== 0x0a) return false;
  }
  return true;
}

/**
 * Decodes a whole file's bytes as strict UTF-8 (a byte-order mark at the start is dropped); a byte that is not
 * UTF-8 is an `InvalidInputError` naming `source`, the line and the byte offset.
 */
export function decodeUtf8Text(bytes: Uint8Array, source: string): string {
  const start = startsWithByteOrderMark(bytes) ? 3 : 0;
  const body = asBuffer(bytes).subarray(start);
  if (isUtf8(body)) return body.toString('utf8');
  const at = Math.max(0, firstInvalidUtf8Offset(body));
  let line = 1;
  for (let index = body.indexOf(lineFeed); index >= 0 && index < at; index = body.indexOf(lineFeed, index + 1))
    line += 1;
  throw new InvalidInputError(invalidUtf8Problem(body, at, start), { source, line });
}
