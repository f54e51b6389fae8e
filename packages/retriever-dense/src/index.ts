export type { ExecutionProvider } from './backend/onnxruntime';
export type { HnswParameters } from './backend/usearch';
export {
  createDenseRetriever,
  defaultHnswParameters,
  type CreateDenseRetrieverOptions,
  type PassageInput,
} from './create-dense-retriever';
export { createHybridRetriever, type HybridRetrieverOptions } from './create-hybrid-retriever';
export {
  denseIndexFiles,
  denseIndexFormat,
  denseIndexFormatVersion,
  type DenseIndexFileEntry,
  type DenseIndexHnswSettings,
  type DenseIndexManifest,
  type EmbeddingModelSettings,
} from './dense-index-manifest';
export { DenseRetriever, type DenseMetric, type DenseRetrieverStats } from './dense-retriever';
export {
  bgeConventions,
  e5Conventions,
  poolings,
  type EmbeddingConventions,
  type Pooling,
} from './embedding-conventions';
export type { EmbedOptions, EmbedProgress, EmbeddingModel, TextEmbedder } from './embedding-model';
export {
  checkQuantizedDimension,
  defaultRescoreOversample,
  hnswQuantizations,
  type HnswQuantization,
  type RescoreOptions,
} from './hnsw-quantization';
export { loadDenseRetriever, readDenseIndexManifest, type LoadDenseRetrieverOptions } from './load-dense-retriever';
export { loadEmbeddingModel, type LoadEmbeddingModelOptions } from './load-embedding-model';
export { normalizeRows, poolHiddenStates } from './pool-hidden-states';
export { competitionRanks, reciprocalRankFusion, type RankedList } from './reciprocal-rank-fusion';
