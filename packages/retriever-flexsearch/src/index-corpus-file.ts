import { stat } from 'node:fs/promises';
import { InvalidInputError } from '@research-ts/spec';
import { isBlankLine, parseJsonLine, readTextLines } from '@research-ts/spec/node';
import { createAnalyzer } from './analyzer';
import { resolveBm25Parameters } from './bm25';
import { checkPassageRecord, type FlexsearchRetrieverOptions } from './create-flexsearch-retriever';
import { FlexsearchRetriever } from './flexsearch-retriever';
import { IndexBuilder } from './index-builder';

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

export interface IndexCorpusFileOptions extends FlexsearchRetrieverOptions {
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

export interface IndexCorpusFileResult {
  retriever: FlexsearchRetriever;
  /** Passages indexed. */
  passages: number;
  /** Lines read, blank lines included. */
  lines: number;
  /** Number of malformed lines skipped. */
  skipped: number;
  /** The first 1000 skipped lines (every one went to `onSkip`). */
  skippedLines: SkippedLine[];
}

const keptSkippedLines = 1000;

/**
 * Streams a JSONL corpus in the FlashRAG format (`{"id": "0", "contents": "\"Title\"\ntext"}` per line;
 * `.gz` files are decompressed) from disk into a new retriever, by spec's `readTextLines`. Blank lines are
 * ignored. A line that is not UTF-8, or not a JSON object with a string-or-number `id` and a string
 * `contents`, or that repeats an earlier id, is malformed: skipped and counted (default) or thrown.
 */
export async function indexCorpusFile(
  path: string,
  options: IndexCorpusFileOptions = {},
): Promise<IndexCorpusFileResult> {
  const builder = new IndexBuilder(createAnalyzer(options.analyzer), resolveBm25Parameters(options.bm25));
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
    options.onProgress?.({ passages: builder.size, lines, skipped, bytesRead, totalBytes, done });
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
      const earlier = builder.positionOf(checked.id);
      if (earlier !== undefined) {
        skip('id', `duplicate id ${JSON.stringify(checked.id)} (already used by indexed passage ${earlier + 1})`);
        continue;
      }
      builder.add(checked.id, checked.contents);
      if (builder.size % progressInterval === 0) progress(false);
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
  return {
    retriever: new FlexsearchRetriever(builder.finish(), options.name),
    passages: builder.size,
    lines,
    skipped,
    skippedLines,
  };
}
