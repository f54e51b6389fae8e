import { countOccurrences } from './count-occurrences';

/**
 * Why a response fails ReSearch's format rules, one literal per rule, checked in this order:
 * - `think-unpaired`: the counts of `<think>` and `</think>` differ;
 * - `think-missing`: there is no `<think>` (and so no `</think>`);
 * - `answer-count`: not exactly one `<answer>` and exactly one `</answer>`;
 * - `search-incomplete`: a `<search>` lacks a later `</search>`, `<result>` or `</result>`;
 * - `search-wrong-order`: those four are not in the order search < /search < result < /result;
 * - `answer-order`: `</answer>` comes before `<answer>`;
 * - `boxed-missing`: the answer span has no `\boxed{` or no `}`.
 */
export type ReSearchFormatReason =
  | 'think-unpaired'
  | 'think-missing'
  | 'answer-count'
  | 'search-incomplete'
  | 'search-wrong-order'
  | 'answer-order'
  | 'boxed-missing';

export type ReSearchFormatResult = { ok: true } | { ok: false; reason: ReSearchFormatReason; message: string };

/**
 * The reason strings ReSearch's `validate_format` returns, keyed by our reason literal. They are read
 * from public forks of `src/verl/utils/reward_score/re_search.py` (identical across the forks seen);
 * ReSearch's `compute_score` logs them as `bad format: <message>`.
 */
export const RESEARCH_FORMAT_MESSAGES: Readonly<Record<ReSearchFormatReason, string>> = {
  'think-unpaired': '<think> </think> not paired',
  'think-missing': '<think> or </think> not found',
  'answer-count': '<answer> or </answer> not found',
  'search-incomplete': 'search/result tags are incomplete',
  'search-wrong-order': 'search/result tags are nested in the wrong order',
  'answer-order': '<answer> must be before </answer>',
  'boxed-missing': 'answer is missing \\boxed{} format',
};

function failure(reason: ReSearchFormatReason): ReSearchFormatResult {
  return { ok: false, reason, message: RESEARCH_FORMAT_MESSAGES[reason] };
}

/**
 * ReSearch's format check (`validate_format` in `re_search.py`), rule for rule. It runs on the
 * response text *including* the `<result>` blocks the environment inserted, and without the prompt.
 * A failure is data: ReSearch gives such a response reward 0.
 *
 * Notes on the exact semantics kept here:
 * - tags are counted as Python's `str.count` does (exact, case-sensitive, non-overlapping);
 * - the search scan starts at each `<search>` at or after the previous block's `</result>` and looks
 *   for the first `</search>` and the first `<result>` after that `<search>`, then the first
 *   `</result>` after that `<result>`;
 * - the answer span is `response[indexOf('<answer>'), indexOf('</answer>'))`: it includes the
 *   `<answer>` tag itself, and `}` may appear anywhere in it (not necessarily after `\boxed{`).
 */
export function validateReSearchFormat(response: string): ReSearchFormatResult {
  const thinkOpens = countOccurrences(response, '<think>');
  const thinkCloses = countOccurrences(response, '</think>');
  if (thinkOpens !== thinkCloses) return failure('think-unpaired');
  if (thinkOpens === 0 || thinkCloses === 0) return failure('think-missing');
  if (countOccurrences(response, '<answer>') !== 1 || countOccurrences(response, '</answer>') !== 1) {
    return failure('answer-count');
  }

  let position = 0;
  for (;;) {
    const searchStart = response.indexOf('<search>', position);
    if (searchStart < 0) break;
    const resultStart = response.indexOf('<result>', searchStart);
    const searchEnd = response.indexOf('</search>', searchStart);
    // Python's find with start -1 looks only at the last character, so it never finds `</result>`.
    const resultEnd = resultStart < 0 ? -1 : response.indexOf('</result>', resultStart);
    if (resultStart < 0 || searchEnd < 0 || resultEnd < 0) return failure('search-incomplete');
    if (!(searchStart < searchEnd && searchEnd < resultStart && resultStart < resultEnd)) {
      return failure('search-wrong-order');
    }
    position = resultEnd;
  }

  const answerStart = response.indexOf('<answer>');
  const answerEnd = response.indexOf('</answer>');
  if (answerStart > answerEnd) return failure('answer-order');
  const answerSpan = response.slice(answerStart, answerEnd);
  if (!answerSpan.includes('\\boxed{') || !answerSpan.includes('}')) return failure('boxed-missing');
  return { ok: true };
}
