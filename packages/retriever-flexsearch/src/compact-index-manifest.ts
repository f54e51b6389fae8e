import type { AnalyzerSettings } from './analyzer';
import type { Bm25Parameters } from './bm25';
import type { IndexFileEntry } from './index-manifest';
import type { postingBlockSize } from './posting-blocks';
import type { dictionaryBlockTerms } from './term-dictionary';

/** The `format` field of a compact index's manifest (a layout of its own, versioned on its own). */
export const compactIndexFormat = 'research-ts/retriever-flexsearch-compact';
/**
 * The compact layout version this build writes. Version 2 added the block maxima to `postings.bin` (each
 * block's highest frequency and shortest passage, for block-max pruning); version 1 still opens and answers
 * the same, with less pruning.
 */
export const compactIndexFormatVersion = 2;
/** The compact layout versions this build opens. */
export const compactIndexReadableVersions: readonly number[] = Object.freeze([1, 2]);

/** The data files of a compact index, in manifest order. */
export const compactIndexFiles = Object.freeze({
  /** One `{"id", "contents"}` JSON object per line, in document order (a FlashRAG corpus file), read by offset. */
  passages: 'passages.jsonl',
  /**
   * `[passages + 1]` × (uint64 byte offset of the passage's line in `passages.jsonl`, uint32 CRC-32 of the line):
   * the passage offset table of `@research-ts/spec/node` (`passageOffsetBytes`), encoded and decoded by its codec.
   */
  passageOffsets: 'passage-offsets.bin',
  /** `[passages]` uint32 LE: analyzed length of each passage. */
  documentLengths: 'document-lengths.u32le',
  /** `[passages]` uint32 LE: rank of each passage's id among all ids in JavaScript `<` order (for ties). */
  idRanks: 'id-ranks.u32le',
  /** Front-coded blocks of terms with their statistics (`term-dictionary.ts`). */
  dictionary: 'dictionary.bin',
  /** One entry per dictionary block: its first term, where it lies, its CRC-32. */
  dictionaryIndex: 'dictionary-index.bin',
  /** The posting lists in dictionary order, bit-packed in blocks of 64 with a block directory and block maxima (`posting-blocks.ts`). */
  postings: 'postings.bin',
});

/** `manifest.json` of a compact index. */
export interface CompactIndexManifest {
  format: typeof compactIndexFormat;
  version: number;
  passages: number;
  totalTerms: number;
  /** Distinct terms. */
  terms: number;
  analyzer: AnalyzerSettings;
  bm25: Bm25Parameters;
  codec: {
    postings: 'bit-packed-blocks';
    postingBlockSize: typeof postingBlockSize;
    dictionaryBlockTerms: typeof dictionaryBlockTerms;
  };
  /** The data files with size and SHA-256 (checked whole by `verify()`; at open only the sizes). */
  files: IndexFileEntry[];
}
