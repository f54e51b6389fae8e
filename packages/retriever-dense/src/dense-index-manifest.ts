import type { HnswParameters, HnswQuantization } from './backend/usearch';
import type { DenseMetric } from './dense-retriever';
import type { EmbeddingConventions } from './embedding-conventions';
import type { RescoreOptions } from './hnsw-quantization';

/** The `loadEmbeddingModel` options a saved index records for its model: conventions and lengths. */
export interface EmbeddingModelSettings extends EmbeddingConventions {
  /** Longest passage in tokens (part of the fingerprint). */
  maxLength: number;
  /** Longest query in tokens (not part of the fingerprint: a server may choose another). */
  queryMaxLength: number;
  /** The model output read (part of the fingerprint). */
  outputName: string;
}

/** The `format` field of every saved dense index's manifest. */
export const denseIndexFormat = 'research-ts/retriever-dense';
/**
 * The layout version this build writes; any change to a data file's layout increments it. Version 2 added
 * `passage-offsets.bin`, so that passages are read by offset; version 1 still loads (its table is built in memory
 * by one pass over `passages.jsonl`).
 */
export const denseIndexFormatVersion = 2;
/** The layout versions this build loads. */
export const denseIndexReadableVersions: readonly number[] = Object.freeze([1, 2]);
export const manifestFileName = 'manifest.json';

/** The data files of a saved index, in checksum order. */
export const denseIndexFiles = Object.freeze({
  /** One `{"id", "contents"}` JSON object per line, in id order (a FlashRAG corpus file). */
  passages: 'passages.jsonl',
  /**
   * `[passages + 1]` × (uint64 LE byte offset of the passage's line in `passages.jsonl`, uint32 LE CRC-32 of the
   * line); the last offset is the size of `passages.jsonl`. The layout of retriever-flexsearch's compact index
   * (`@research-ts/spec/node` `PassageFile`). Since version 2.
   */
  passageOffsets: 'passage-offsets.bin',
  /**
   * float32 little-endian, `[passages, dimension]` row-major, rows in the order of `passages.jsonl`: the
   * exact index's data, and the full-precision vectors HNSW candidates are rescored with (read by offset).
   */
  embeddings: 'embeddings.f32',
  /**
   * usearch's HNSW file (keys are row numbers; vectors stored as `index.quantization`), memory-mapped when
   * loaded; only for `index.kind: 'hnsw'`.
   */
  hnsw: 'index.usearch',
});

export interface DenseIndexFileEntry {
  name: string;
  bytes: number;
  /** Lowercase hex SHA-256 of the file's bytes. */
  sha256: string;
}

/** The HNSW fields of a manifest beyond the graph parameters; both optional, for manifests written before them. */
export interface DenseIndexHnswSettings {
  /** How the graph stores its vectors; absent: `f32`. */
  quantization?: HnswQuantization;
  /** How candidates are rescored; absent: the quantization's default. */
  rescore?: RescoreOptions | false;
}

/** `manifest.json` of a saved dense index. */
export interface DenseIndexManifest {
  format: typeof denseIndexFormat;
  version: number;
  name: string;
  passages: number;
  dimension: number;
  metric: DenseMetric;
  /**
   * The `fingerprint` of the model whose passage embeddings these are, and, for a model loaded by
   * `loadEmbeddingModel`, the settings it was loaded with (absent in indexes saved before them, or built with
   * another embedder), so that the same model can be loaded again from its folder alone.
   */
  model: { fingerprint: string; settings?: EmbeddingModelSettings };
  index: { kind: 'exact' } | ({ kind: 'hnsw' } & HnswParameters & DenseIndexHnswSettings);
  files: DenseIndexFileEntry[];
  /** Lowercase hex SHA-256 of the data files' bytes, concatenated in `files` order. */
  checksum: string;
}
