export {
  createAnalyzer,
  englishStopwords,
  type Analyzer,
  type AnalyzerOptions,
  type AnalyzerSettings,
} from './analyzer';
export {
  buildCompactIndex,
  writeCompactIndex,
  type BuildCompactIndexOptions,
  type BuildCompactIndexResult,
  type CompactIndexOptions,
} from './build-compact-index';
export { CompactBm25Retriever, queryEvaluations, type QueryEvaluation } from './compact-bm25-retriever';
export {
  compactIndexFiles,
  compactIndexFormat,
  compactIndexFormatVersion,
  type CompactIndexManifest,
} from './compact-index-manifest';
export { bm25InverseDocumentFrequency, defaultBm25Parameters, type Bm25Parameters } from './bm25';
export {
  createFlexsearchRetriever,
  type FlexsearchRetrieverOptions,
  type PassageInput,
} from './create-flexsearch-retriever';
export { FlexsearchRetriever, type FlexsearchRetrieverStats } from './flexsearch-retriever';
export {
  indexCorpusFile,
  type IndexCorpusFileOptions,
  type IndexCorpusFileResult,
  type IndexProgress,
  type SkippedLine,
} from './index-corpus-file';
export { indexFormat, indexFormatVersion, type IndexFileEntry, type IndexManifest } from './index-manifest';
export { lightStem } from './light-stemmer';
export { readCorpusFile, type CorpusSink, type ReadCorpusFileOptions } from './read-corpus-file';
export { openCompactIndex, type OpenCompactIndexOptions } from './open-compact-index';
export { openSavedRetriever } from './open-saved-retriever';
export { loadFlexsearchRetriever, type LoadFlexsearchRetrieverOptions } from './load-flexsearch-retriever';
