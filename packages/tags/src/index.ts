export { renderCompactPrompt } from './compact-prompt';
export { extractAnswer, type ExtractAnswerReason, type ExtractAnswerResult } from './extract-answer';
export { extractSearchQuery } from './extract-search-query';
export {
  NOTHING_TO_SEARCH,
  RESULT_BLOCK,
  formatResultBlock,
  formatResultBlockForQuery,
  isNothingToSearch,
  joinPassageContents,
  wrapResultText,
} from './format-result-block';
export { lastBoxedOnlyString } from './last-boxed-only-string';
export { parseTags, type TagSegment } from './parse-tags';
export { isPythonWhitespace, pythonStrip } from './python-strip';
export { removeBoxed } from './remove-boxed';
export {
  RESEARCH_BASE_TEMPLATE,
  RESEARCH_INSTRUCT_SYSTEM_PROMPT,
  renderReSearchBasePrompt,
  researchInstructMessages,
} from './research-prompts';
export { SEARCH_R1_TEMPLATE, renderSearchR1Prompt } from './search-r1-prompt';
export {
  RESEARCH_FORMAT_MESSAGES,
  validateReSearchFormat,
  type ReSearchFormatReason,
  type ReSearchFormatResult,
} from './validate-research-format';
export {
  TAG_NAMES,
  tagEventSourceText,
  type TagDeltaEvent,
  type TagEndEvent,
  type TagErrorEvent,
  type TagErrorReason,
  type TagEvent,
  type TagName,
  type TagStartEvent,
  type TextDeltaEvent,
} from './tag-event';
export { createTagParser, type TagParser } from './tag-parser';
export { thinkingModes, type ThinkingMode } from './thinking-modes';
