import { isUtf8 } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { crc32 } from 'node:zlib';
import { InvalidInputError } from '@research-ts/spec';
import {
  PassageOffsetTableBuilder,
  fileReadError,
  isBlankLine,
  jsonLineError,
  parseJsonLine,
  startsWithByteOrderMark,
} from '@research-ts/spec/node';

const lineFeed = 0x0a;

/**
 * Builds the offset table of a `passages.jsonl` saved without one (format version 1) in one streaming pass, and
 * checks what loading such a file always checked: `count` passages, each line `{"id": string, "contents":
 * string}`, ids unique and ascending; a failure is an `InvalidInputError` naming the file and the line. Held in
 * memory: the table (12 bytes a passage) and one line, never the texts. Lines end with `\n` (or `\r\n`); a
 * byte-order mark at the start is skipped; a blank line belongs to the passage before it (to the first one when
 * it comes first), so each passage's bytes run to the next passage's line.
 */
export async function scanPassageLines(path: string, count: number): Promise<Uint8Array> {
  const table = new PassageOffsetTableBuilder(count);
  let lineNumber = 0;
  let passages = 0;
  let previousId: string | undefined;
  /** The open passage: where its bytes start, their CRC-32 so far, and whether its line came yet (or only blanks). */
  let passageStart = 0;
  let passageCrc = 0;
  let passageSeen = false;

  const line = (bytes: Buffer, start: number, terminated: boolean): void => {
    lineNumber += 1;
    if (lineNumber === 1 && startsWithByteOrderMark(bytes)) {
      bytes = bytes.subarray(3);
      passageStart = start + 3;
    }
    const body = terminated ? bytes.subarray(0, bytes.length - 1) : bytes;
    const utf8 = isUtf8(body);
    const text = body.toString('utf8');
    if (utf8 && isBlankLine(text)) {
      passageCrc = crc32(bytes, passageCrc);
      return;
    }
    if (passageSeen) {
      table.add(passageStart, passageCrc);
      passageStart = start;
      passageCrc = 0;
    }
    passageSeen = true;
    passageCrc = crc32(bytes, passageCrc);
    passages += 1;
    const parsed = parseJsonLine({
      number: lineNumber,
      text,
      terminated,
      ...(utf8 ? {} : { invalidUtf8: 'invalid UTF-8 (the line is not text)' }),
    });
    if (!parsed.ok) throw jsonLineError(path, parsed);
    const record = parsed.value as Record<string, unknown> | null;
    if (
      typeof record !== 'object' ||
      record === null ||
      typeof record.id !== 'string' ||
      typeof record.contents !== 'string'
    )
      throw new InvalidInputError('must be {"id": string, "contents": string}', { source: path, line: lineNumber });
    if (previousId !== undefined && !(previousId < record.id)) {
      throw new InvalidInputError(
        `ids must be unique and ascending; ${JSON.stringify(record.id)} follows ${JSON.stringify(previousId)}`,
        { source: path, line: lineNumber },
      );
    }
    previousId = record.id;
  };

  let consumed = 0;
  let lineStart = 0;
  let parts: Buffer[] = [];
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      let start = 0;
      for (let feed = chunk.indexOf(lineFeed); feed >= 0; feed = chunk.indexOf(lineFeed, start)) {
        const piece = chunk.subarray(start, feed + 1);
        line(parts.length === 0 ? piece : Buffer.concat([...parts, piece]), lineStart, true);
        parts = [];
        start = feed + 1;
        lineStart = consumed + start;
      }
      if (start < chunk.length) parts.push(chunk.subarray(start));
      consumed += chunk.length;
    }
  } catch (error) {
    throw fileReadError(error, path);
  }
  if (parts.length > 0) line(Buffer.concat(parts), lineStart, false);
  if (passages !== count)
    throw new InvalidInputError(`has ${passages} passages, the manifest says ${count}`, { source: path });
  if (passageSeen) table.add(passageStart, passageCrc);
  return table.finish(consumed);
}
