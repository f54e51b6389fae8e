import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

/** One non-blank line of a JSONL file: its object, or why it is not one. `line` is 1-based and counts blank lines. */
export type JsonLine =
  { line: number; ok: true; value: Record<string, unknown> } | { line: number; ok: false; reason: string };

/**
 * Streams the lines of a JSONL file (UTF-8; `\n`, `\r\n` or `\r` line breaks; a byte-order mark at the start
 * is ignored). Blank lines are skipped; a line that is not valid JSON or not a JSON object comes back as
 * `{ ok: false, reason }`, so that the report can list it and go on.
 */
export async function* readJsonLines(path: string): AsyncGenerator<JsonLine> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let line = 0;
  for await (const rawText of lines) {
    line += 1;
    const text = line === 1 ? rawText.replace(/^\uFEFF/, '') : rawText;
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      yield { line, ok: false, reason: `invalid JSON (${error instanceof Error ? error.message : String(error)})` };
      continue;
    }
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      yield { line, ok: true, value: value as Record<string, unknown> };
    else
      yield {
        line,
        ok: false,
        reason: `not a JSON object (${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value})`,
      };
  }
}
