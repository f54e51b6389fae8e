export { buildBpeTokenizer, type BuildBpeTokenizerOptions } from './build-bpe-tokenizer';
export { buildWordLevelTokenizer, type BuildWordLevelTokenizerOptions } from './build-word-level-tokenizer';
export { boxedOpenToken, buildWorldTokenizer } from './build-world-tokenizer';
export { requiredSpecialTokens, tagTokens, type AddedTokenOptions } from './built-added-tokens';
export { chatMlTemplate } from './chatml-template';
export {
  createStreamingDecoder,
  type StreamingDecoder,
  type StreamingDecoderOptions,
} from './create-streaming-decoder';
export {
  loadTokenizer,
  loadTokenizerFromJson,
  type HuggingFaceTokenizer,
  type RenderChatTemplateOptions,
  type TokenizerFiles,
} from './load-tokenizer';
export { resolveEosTokenIds, type EosSources } from './resolve-eos-token-ids';
export type { AddedTokenJson, TokenizerJson } from './tokenizer-json';
export {
  writeTokenizerDirectory,
  type WriteTokenizerDirectoryOptions,
  type WrittenTokenizerDirectory,
} from './write-tokenizer-directory';
