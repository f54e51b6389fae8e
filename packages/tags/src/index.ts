export { extractAnswer, type ExtractAnswerReason, type ExtractAnswerResult } from './extract-answer';
export { lastBoxedOnlyString } from './last-boxed-only-string';
export { isPythonWhitespace, pythonStrip } from './python-strip';
export { removeBoxed } from './remove-boxed';
export {
  RESEARCH_FORMAT_MESSAGES,
  validateReSearchFormat,
  type ReSearchFormatReason,
  type ReSearchFormatResult,
} from './validate-research-format';
