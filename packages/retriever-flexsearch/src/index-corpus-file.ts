import { createAnalyzer } from './analyzer';
import { resolveBm25Parameters } from './bm25';
import type { FlexsearchRetrieverOptions } from './create-flexsearch-retriever';
import { FlexsearchRetriever } from './flexsearch-retriever';
import { IndexBuilder } from './index-builder';
import { readCorpusFile, type ReadCorpusFileOptions, type SkippedLine } from './read-corpus-file';

export type { IndexProgress, SkippedLine } from './read-corpus-file';

export interface IndexCorpusFileOptions extends FlexsearchRetrieverOptions, ReadCorpusFileOptions {}

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

/**
 * Streams a JSONL corpus in the FlashRAG format (`{"id": "0", "contents": "\"Title\"\ntext"}` per line;
 * `.gz` files are decompressed) from disk into a new in-memory retriever (see `readCorpusFile` for the
 * handling of malformed lines: skipped and counted by default, or thrown).
 */
export async function indexCorpusFile(
  path: string,
  options: IndexCorpusFileOptions = {},
): Promise<IndexCorpusFileResult> {
  const builder = new IndexBuilder(createAnalyzer(options.analyzer), resolveBm25Parameters(options.bm25));
  const read = await readCorpusFile(path, options, builder);
  return { retriever: new FlexsearchRetriever(builder.finish(), options.name), passages: builder.size, ...read };
}
