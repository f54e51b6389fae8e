import { InvalidInputError } from '../research-error';
import { isBlankLine, readTextLines, splitTextLines, type ReadTextLinesOptions, type TextLine } from './text-lines';

/** A line of a JSONL file that holds a JSON value. */
export interface ParsedJsonLine {
  /** 1-based line number, counting blank lines. */
  line: number;
  ok: true;
  value: unknown;
}

/** A line of a JSONL file that does not: why, as data, so that a lenient reader can list it and go on. */
export interface FailedJsonLine {
  line: number;
  ok: false;
  /** `invalid JSON (…)`, `invalid UTF-8: byte 0xff at byte offset 40`, … */
  reason: string;
  /** The file ends inside this line (no line break after it): the torn last line of an interrupted append. */
  truncated: boolean;
  /** The line's bytes are not UTF-8 (the file is not text, rather than one bad record). */
  invalidUtf8: boolean;
  /** The `SyntaxError` of `JSON.parse`. */
  cause?: unknown;
}

export type JsonLine = ParsedJsonLine | FailedJsonLine;

const truncatedNote = '; the file ends inside this line, so it looks truncated';

/** Parses one line of a JSONL file (a line that is not blank, see `isBlankLine`). */
export function parseJsonLine(line: TextLine): JsonLine {
  const truncated = !line.terminated;
  if (line.invalidUtf8 !== undefined)
    return { line: line.number, ok: false, reason: line.invalidUtf8, truncated, invalidUtf8: true };
  try {
    return { line: line.number, ok: true, value: JSON.parse(line.text) };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    const reason = `invalid JSON (${detail})${truncated ? truncatedNote : ''}`;
    return { line: line.number, ok: false, reason, truncated, invalidUtf8: false, cause: error };
  }
}

/**
 * Streams the JSON values of a JSONL file, one per line (the line rules of `readTextLines`: `\n`, `\r\n` or `\r`,
 * a byte-order mark dropped, `.gz` gunzipped). Blank lines are skipped but counted in the line numbers. A bad
 * line comes back as `{ ok: false, reason, truncated }`: a lenient reader lists it, a strict one throws
 * `jsonLineError(path, line)`.
 */
export async function* readJsonLines(path: string, options: ReadTextLinesOptions = {}): AsyncGenerator<JsonLine> {
  for await (const line of readTextLines(path, options)) if (!isBlankLine(line.text)) yield parseJsonLine(line);
}

/** The JSON lines of a whole file's bytes (the rules of {@link readJsonLines}). */
export function splitJsonLines(bytes: Uint8Array): JsonLine[] {
  return splitTextLines(bytes)
    .filter((line) => !isBlankLine(line.text))
    .map(parseJsonLine);
}

/** A bad line as an `InvalidInputError` naming the file and the line (`path, line 7: invalid JSON (…)`). */
export function jsonLineError(source: string, failed: FailedJsonLine): InvalidInputError {
  return new InvalidInputError(
    failed.reason,
    { source, line: failed.line },
    failed.cause === undefined ? {} : { cause: failed.cause },
  );
}
