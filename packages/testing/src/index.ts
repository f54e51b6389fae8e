export { MockRetriever, termsOf, type MockRetrieverCall, type MockRetrieverOptions } from './mock-retriever';
export {
  retrieverConformanceChecks,
  retrieverConformanceCorpus,
  runRetrieverConformance,
  type RetrieverConformanceCheck,
  type RetrieverConformanceOptions,
} from './run-retriever-conformance';
