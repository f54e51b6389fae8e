import type { AnalyzerSettings } from './analyzer';
import type { Bm25Parameters } from './bm25';

/** The `format` field of every saved index's manifest. */
export const indexFormat = 'research-ts/retriever-flexsearch';
/** The layout version this build writes and reads; any change to a data file's layout increments it. */
export const indexFormatVersion = 1;
export const manifestFileName = 'manifest.json';

/** The data files of a saved index, in checksum order. */
export const indexDataFiles = Object.freeze({
  /** One `{"id", "contents"}` JSON object per line, in document order (a FlashRAG corpus file). */
  passages: 'passages.jsonl',
  /** One unsigned 32-bit little-endian integer per passage: its analyzed length. */
  documentLengths: 'document-lengths.u32le',
  /** One `[key, data]` JSON array per line: flexsearch's export chunks, then the frequency overflow. */
  postings: 'postings.jsonl',
});

export interface IndexFileEntry {
  name: string;
  bytes: number;
  /** Lowercase hex SHA-256 of the file's bytes. */
  sha256: string;
}

/** `manifest.json` of a saved index. */
export interface IndexManifest {
  format: typeof indexFormat;
  version: number;
  passages: number;
  totalTerms: number;
  analyzer: AnalyzerSettings;
  bm25: Bm25Parameters;
  backend: { engine: 'flexsearch'; frequencySlots: number };
  files: IndexFileEntry[];
  /** Lowercase hex SHA-256 of the data files' bytes, concatenated in `files` order. */
  checksum: string;
}
