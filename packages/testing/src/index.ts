export { MockJudge, exactMatchVerdict, type MockJudgeOptions } from './mock-judge';
export {
  MockPolicy,
  type MockCompletion,
  type MockPolicyCall,
  type MockPolicyOptions,
  type MockPolicyScript,
  type MockPolicyScriptContext,
} from './mock-policy';
export {
  createMockTrainablePolicy,
  type MockTrainablePolicy,
  type MockTrainablePolicyOptions,
} from './mock-trainable-policy';
export { MockRetriever, termsOf, type MockRetrieverCall, type MockRetrieverOptions } from './mock-retriever';
export { MOCK_SPECIAL_TOKENS, MockTokenizer, type MockTokenizerOptions } from './mock-tokenizer';
export {
  judgeConformanceCases,
  judgeConformanceChecks,
  runJudgeConformance,
  type JudgeConformanceCase,
  type JudgeConformanceCheck,
  type JudgeConformanceOptions,
  type JudgeFault,
} from './run-judge-conformance';
export {
  deriveStopString,
  fullPolicyCapabilities,
  policyConformanceChecks,
  runPolicyConformance,
  type PolicyCapabilities,
  type PolicyConformanceCheck,
  type PolicyConformanceContext,
  type PolicyConformanceOptions,
} from './run-policy-conformance';
export {
  retrieverConformanceChecks,
  retrieverConformanceCorpus,
  runRetrieverConformance,
  type RetrieverConformanceCheck,
  type RetrieverConformanceOptions,
} from './run-retriever-conformance';
export {
  runTokenizerConformance,
  tokenizerConformanceChecks,
  tokenizerConformanceSamples,
  tokenizerConformanceTags,
  type TokenizerConformanceCheck,
  type TokenizerConformanceContext,
  type TokenizerConformanceOptions,
} from './run-tokenizer-conformance';
export {
  runTrainablePolicyConformance,
  trainablePolicyConformanceChecks,
  type TrainablePolicyConformanceCheck,
  type TrainablePolicyConformanceContext,
  type TrainablePolicyConformanceOptions,
} from './run-trainable-policy-conformance';
export { expectClose, sameBits, seededRandom, type Tolerance } from './expect-close';
