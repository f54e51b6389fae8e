import { stat } from 'node:fs/promises';
import { InvalidInputError } from '@research-ts/spec';
import { isBlankLine, parseJsonLine, readTextLines } from '@research-ts/spec/node';
import { checkPassageRecord } from './create-flexsearch-retriever';

/** A corpus line that was not indexed. */
export interface SkippedLine {
  /** The corpus file. */
  source: string;
  /** 1-based line number. */
  line: number;
  /** The record field at fault (`id`, `contents`), or '' for the whole line. */
  field: string;
  reason: string;
}

/** Where indexing of a corpus file stands. */
export interface IndexProgress {
  /** Passages indexed so far. */
  passages: number;
  /** Lines read so far (blank lines included). */
  lines: number;
  /** Malformed lines skipped so far. */
  skipped: number;
  /** Bytes of the file read so far (compressed bytes for `.gz`); reaches `totalBytes` at the end. */
  bytesRead: number;
  totalBytes: number;
  /** True on the last call, after the whole file was read. */
  done: boolean;
}

/** How a corpus file is read: what a malformed line does, progress, cancellation. */
export interface ReadCorpusFileOptions {
  /** What a malformed line does: `'skip'` (default) counts it and reports it to `onSkip`; `'throw'` stops with an `InvalidInputError` naming the file and line. */
  onError?: 'skip' | 'throw';
  /** Called for each skipped line. */
  onSkip?: (skipped: SkippedLine) => void;
  /** Called every `progressInterval` passages and once at the end (`done: true`). */
  onProgress?: (progress: IndexProgress) => void;
  /** Passages between two progress calls (default 10 000). */
  progressInterval?: number;
  signal?: AbortSignal;
}

/** Where the passages of a corpus file go: an index being built. */
export interface CorpusSink {
  /** Passages added so far. */
  readonly size: number;
  /** The 0-based position of the passage already added with this id, if any. */
  positionOf(id: string): number | undefined;
  add(id: string, contents: string): void | Promise<void>;
}

const keptSkippedLines = 1000;

/**
 * Streams a JSONL corpus in the FlashRAG format (`{"id": "0", "contents": "\"Title\"\ntext"}` per line;
 * `.gz` files are decompressed) into `sink`, by spec's `readTextLines`. Blank lines are ignored. A line that
 * is not UTF-8, or not a JSON object with a string-or-number `id` and a string `contents`, or that repeats an
 * earlier id, is malformed: skipped and counted (default) or thrown.
 */
export async function readCorpusFile(
  path: string,
  options: ReadCorpusFileOptions,
  sink: CorpusSink,
): Promise<{ lines: number; skipped: number; skippedLines: SkippedLine[] }> {
  const onError = options.onError ?? 'skip';
  if (onError !== 'skip' && onError !== 'throw') {
    throw new InvalidInputError(`expected 'skip' or 'throw', got ${JSON.stringify(onError)}`, { field: 'onError' });
  }
  const progressInterval = Math.max(1, Math.floor(options.progressInterval ?? 10_000));
  options.signal?.throwIfAborted();

  let totalBytes: number;
  try {
    totalBytes = (await stat(path)).size;
  } catch (error) {
    throw new InvalidInputError(
      `cannot read the corpus file: ${(error as Error).message}`,
      { source: path },
      { cause: error },
    );
  }
  let bytesRead = 0;
  let lines = 0;
  let skipped = 0;
  const skippedLines: SkippedLine[] = [];
  const progress = (done: boolean): void =>
    options.onProgress?.({ passages: sink.size, lines, skipped, bytesRead, totalBytes, done });
  const skip = (field: string, reason: string): void => {
    if (onError === 'throw') throw new InvalidInputError(reason, { source: path, line: lines, field });
    skipped += 1;
    const entry: SkippedLine = { source: path, line: lines, field, reason };
    if (skippedLines.length < keptSkippedLines) skippedLines.push(entry);
    options.onSkip?.(entry);
  };

  try {
    for await (const line of readTextLines(path, { onRead: (bytes) => (bytesRead += bytes) })) {
      lines = line.number;
      if (lines % 1024 === 0) options.signal?.throwIfAborted();
      if (isBlankLine(line.text)) continue;
      const parsed = parseJsonLine(line);
      if (!parsed.ok) {
        skip('', parsed.reason);
        continue;
      }
      const checked = checkPassageRecord(parsed.value);
      if (!checked.ok) {
        skip(checked.field, checked.reason);
        continue;
      }
      const earlier = await sink.positionOf(checked.id);
      if (earlier !== undefined) {
        skip('id', `duplicate id ${JSON.stringify(checked.id)} (already used by indexed passage ${earlier + 1})`);
        continue;
      }
      await sink.add(checked.id, checked.contents);
      if (sink.size % progressInterval === 0) progress(false);
    }
  } catch (error) {
    if (InvalidInputError.isInstance(error) || (options.signal?.aborted && error === options.signal.reason))
      throw error;
    throw new InvalidInputError(
      `cannot read the corpus file: ${(error as Error).message}`,
      { source: path, line: lines + 1 },
      { cause: error },
    );
  }
  bytesRead = totalBytes;
  progress(true);
  return { lines, skipped, skippedLines };
}
