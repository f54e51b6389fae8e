import type { HuggingFaceTokenizer } from '@research-ts/tokenizer';
import type { ExecutionProvider } from './backend/onnxruntime';
import type { EmbeddingConventions } from './embedding-conventions';

/** Progress of a batched encoding: texts embedded so far, of `total`. */
export interface EmbedProgress {
  done: number;
  total: number;
}

export interface EmbedOptions {
  /** Called after each batch. */
  onProgress?: (progress: EmbedProgress) => void;
  /** Stops between batches. */
  signal?: AbortSignal;
}

/**
 * What a dense retriever needs from an embedding model. Any object of this shape works: an ONNX
 * model from {@link loadEmbeddingModel}, or a function of your own over precomputed vectors.
 */
export interface TextEmbedder {
  /** Length of every embedding. */
  readonly dimension: number;
  /**
   * Identifies the embedding space (weights, tokenizer, conventions). A saved index records it and
   * loading checks it, so an index is never searched with vectors of another model.
   */
  readonly fingerprint: string;
  /** Embeds queries: `[texts.length, dimension]`, row-major. */
  embedQueries(texts: readonly string[], options?: EmbedOptions): Promise<Float32Array>;
  /** Embeds passages; absent for a query-only embedder (then give the retriever `embeddings`). */
  embedPassages?(texts: readonly string[], options?: EmbedOptions): Promise<Float32Array>;
}

/** An ONNX embedding model with its tokenizer and conventions. */
export interface EmbeddingModel extends TextEmbedder {
  /** The directory it was loaded from. */
  readonly name: string;
  readonly conventions: Readonly<EmbeddingConventions>;
  /** Longest passage, in tokens with special tokens; longer ones are truncated. */
  readonly maxLength: number;
  /** Longest query, in tokens with special tokens. */
  readonly queryMaxLength: number;
  /** Texts per onnxruntime run. */
  readonly batchSize: number;
  readonly executionProvider: ExecutionProvider;
  /** The model inputs it feeds, in model order. */
  readonly inputNames: readonly string[];
  /** The model output it reads, and whether that output is already pooled (`[batch, hidden]`). */
  readonly output: { name: string; pooled: boolean };
  readonly tokenizer: HuggingFaceTokenizer;
  /** The ids a query is encoded to (prefix and special tokens included, truncated). */
  tokenizeQuery(text: string): number[];
  /** The ids a passage is encoded to (prefix and special tokens included, truncated). */
  tokenizePassage(text: string): number[];
  embedPassages(texts: readonly string[], options?: EmbedOptions): Promise<Float32Array>;
  /** Frees the onnxruntime session. */
  dispose(): Promise<void>;
}
