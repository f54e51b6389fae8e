/** How token states become one vector: masked mean, the first token (`[CLS]`), or the last real token. */
export type Pooling = 'mean' | 'cls' | 'last';
/** Every {@link Pooling}. */
export const poolings: readonly Pooling[] = Object.freeze(['mean', 'cls', 'last']);

/** The text and pooling conventions of an embedding model family. */
export interface EmbeddingConventions {
  pooling: Pooling;
  /** L2-normalize each embedding (then inner product = cosine similarity). */
  normalize: boolean;
  /** Prepended to every query before tokenization (`'query: '` for E5). */
  queryPrefix: string;
  /** Prepended to every passage before tokenization (`'passage: '` for E5). */
  passagePrefix: string;
}

/**
 * E5 (`intfloat/e5-*`): `query: ` / `passage: ` prefixes, mean pooling over the attention mask, L2
 * normalization — as FlashRAG and Search-R1 encode with `intfloat/e5-base-v2` (research-paper.md §1.7, §2.1).
 */
export const e5Conventions: Readonly<EmbeddingConventions> = Object.freeze({
  pooling: 'mean',
  normalize: true,
  queryPrefix: 'query: ',
  passagePrefix: 'passage: ',
});

/**
 * BGE English v1.5 (`BAAI/bge-*-en-v1.5`): the retrieval instruction before queries only, `[CLS]`
 * pooling, L2 normalization.
 */
export const bgeConventions: Readonly<EmbeddingConventions> = Object.freeze({
  pooling: 'cls',
  normalize: true,
  queryPrefix: 'Represent this sentence for searching relevant passages: ',
  passagePrefix: '',
});
