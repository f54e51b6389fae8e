import { readJsonLines as readValueLines } from '@research-ts/spec/node';

/** One non-blank line of a JSONL file: its object, or why it is not one. `line` is 1-based and counts blank lines. */
export type JsonLine =
  { line: number; ok: true; value: Record<string, unknown> } | { line: number; ok: false; reason: string };

function kindOf(value: unknown): string {
  return Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value;
}

/**
 * Streams the JSON objects of a JSONL file, by spec's `readJsonLines` (UTF-8; `\n`, `\r\n` or `\r` line breaks;
 * a byte-order mark at the start ignored; blank lines skipped). A line that is not valid JSON, or not a JSON
 * object, comes back as `{ ok: false, reason }`, so that the report can list it and go on.
 */
export async function* readJsonLines(path: string): AsyncGenerator<JsonLine> {
  for await (const entry of readValueLines(path)) {
    const { line } = entry;
    if (!entry.ok) yield { line, ok: false, reason: entry.reason };
    else if (typeof entry.value === 'object' && entry.value !== null && !Array.isArray(entry.value))
      yield { line, ok: true, value: entry.value as Record<string, unknown> };
    else yield { line, ok: false, reason: `not a JSON object (${kindOf(entry.value)})` };
  }
}
