import type { HnswParameters, HnswQuantization } from './backend/usearch';
import type { DenseMetric } from './dense-retriever';
import type { RescoreOptions } from './hnsw-quantization';

/** The `format` field of every saved dense index's manifest. */
export const denseIndexFormat = 'research-ts/retriever-dense';
/** The layout version this build writes and reads; any change to a data file's layout increments it. */
export const denseIndexFormatVersion = 1;
export const manifestFileName = 'manifest.json';

/** The data files of a saved index, in checksum order. */
export const denseIndexFiles = Object.freeze({
  /** One `{"id", "contents"}` JSON object per line, in id order (a FlashRAG corpus file). */
  passages: 'passages.jsonl',
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
  /** The `fingerprint` of the model whose passage embeddings these are. */
  model: { fingerprint: string };
  index: { kind: 'exact' } | ({ kind: 'hnsw' } & HnswParameters & DenseIndexHnswSettings);
  files: DenseIndexFileEntry[];
  /** Lowercase hex SHA-256 of the data files' bytes, concatenated in `files` order. */
  checksum: string;
}
