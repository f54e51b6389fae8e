import type { HnswParameters } from './backend/usearch';
import type { DenseMetric } from './dense-retriever';

/** The `format` field of every saved dense index's manifest. */
export const denseIndexFormat = 'research-ts/retriever-dense';
/** The layout version this build writes and reads; any change to a data file's layout increments it. */
export const denseIndexFormatVersion = 1;
export const manifestFileName = 'manifest.json';

/** The data files of a saved index, in checksum order. */
export const denseIndexFiles = Object.freeze({
  /** One `{"id", "contents"}` JSON object per line, in id order (a FlashRAG corpus file). */
  passages: 'passages.jsonl',
  /** float32 little-endian, `[passages, dimension]` row-major, rows in the order of `passages.jsonl`. */
  embeddings: 'embeddings.f32',
  /** usearch's HNSW file (keys are row numbers); only for `index.kind: 'hnsw'`. */
  hnsw: 'index.usearch',
});

export interface DenseIndexFileEntry {
  name: string;
  bytes: number;
  /** Lowercase hex SHA-256 of the file's bytes. */
  sha256: string;
}

/** `manifest.json` of a saved dense index. */
export interface DenseIndexManifest {
  format: typeof denseIndexFormat;
  version: number;
  name: string;
  passages: number;
  dimension: number;
  metric: DenseMetric;
  /** The `fingerprint` of the model whose passage embeddings these are. */
  model: { fingerprint: string };
  index: { kind: 'exact' } | ({ kind: 'hnsw' } & HnswParameters);
  files: DenseIndexFileEntry[];
  /** Lowercase hex SHA-256 of the data files' bytes, concatenated in `files` order. */
  checksum: string;
}
