export { coverExactMatch } from './cover-exact-match';
export { exactMatch } from './exact-match';
export { f1Score, tokenScores, type TokenScores } from './f1-score';
export { formatMetricsTable, type FormatMetricsTableOptions } from './format-metrics-table';
export { renderJudgePrompt } from './judge-prompt';
export { answerTokens, normalizeAnswer } from './normalize-answer';
export { createOpenAIJudge, openAIJudgeOptionsSchema, type OpenAIJudgeOptions } from './openai-judge';
export { paperDatasetOf } from './paper-dataset-of';
export { PAPER_DATASETS, PAPER_TABLE_2, type PaperDataset, type PaperTableRow } from './paper-table-2';
export { pythonListRepr, pythonStringRepr } from './python-list-repr';
export {
  RESEARCH_FORMAT_REWARD,
  reSearchReward,
  scoreReSearchSequence,
  type ReSearchTemplate,
  type ScoreReSearchSequenceInput,
} from './research-reward';
export { scoreRollout, type ScoredRollout } from './score-rollout';
export { validateSearchR1Format, type SearchR1FormatReason, type SearchR1FormatResult } from './search-r1-format';
export {
  createSearchR1EmReward,
  createSearchR1FormatReward,
  extractSearchR1Answer,
  searchR1EmReward,
  type SearchR1EmOptions,
  type SearchR1FormatOptions,
} from './search-r1-reward';
export { summarizeMetrics, type DatasetMetrics, type EvaluationRecord, type JudgeCounts } from './summarize-metrics';
