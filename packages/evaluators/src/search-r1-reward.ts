import { InvalidConfigError, type RewardFunction, type RewardInput, type RewardResult } from '@research-ts/spec';
import { pythonStrip } from '@research-ts/tags';
import { coverExactMatch } from './cover-exact-match';
import { exactMatch } from './exact-match';
import { findTaggedSpans, validateSearchR1Format } from './search-r1-format';

/**
 * The answer Search-R1 scores: the **last** `<answer>…</answer>` span, Python-stripped, or
 * `undefined` when there is none. Search-R1's `extract_solution` demands at least two matches because
 * it scores prompt + response and its prompt holds the example `<answer> Beijing </answer>`; over the
 * response alone the equivalent rule is at least one (research-paper.md §2.5).
 */
export function extractSearchR1Answer(response: string): string | undefined {
  const spans = findTaggedSpans(response, '<answer>', '</answer>');
  const last = spans.at(-1);
  return last === undefined ? undefined : pythonStrip(last);
}

export interface SearchR1EmOptions {
  /** Reward for an exact match. Search-R1 default: 1. */
  score?: number;
  /** Reward for an answer that does not match. Search-R1 default (`format_score`): 0. */
  formatScore?: number;
}

/**
 * Search-R1's `compute_score_em` over the response: no `<answer>` → 0 (reason `'answer-missing'`);
 * the last answer matches a golden answer exactly (SQuAD normalization) → `score` (`'ok'`); else
 * `formatScore` (`'wrong-answer'`). Search-R1 does not look at the EOS. Components: `{ em }`.
 */
export function createSearchR1EmReward(options: SearchR1EmOptions = {}): RewardFunction {
  const score = finiteOption('score', options.score ?? 1);
  const formatScore = finiteOption('formatScore', options.formatScore ?? 0);
  return {
    specificationVersion: 'v1',
    name: 'search-r1-em',
    score(input: RewardInput): RewardResult {
      const answer = extractSearchR1Answer(input.response);
      if (answer === undefined) return { score: 0, formatOk: false, reason: 'answer-missing', components: { em: 0 } };
      const em = exactMatch(answer, input.goldenAnswers);
      return {
        score: em === 1 ? score : formatScore,
        formatOk: true,
        reason: em === 1 ? 'ok' : 'wrong-answer',
        prediction: answer,
        components: { em },
      };
    },
  };
}

/** Search-R1's EM reward with its defaults (1 for a match, 0 otherwise). */
export const searchR1EmReward: RewardFunction = createSearchR1EmReward();

export interface SearchR1FormatOptions {
  /** Search-R1 `structure_format_score`; its v0.3 script uses 0.2 (the function's own default is 0). */
  structureFormatScore?: number;
  /** Search-R1 `final_format_score`; its v0.3 script uses 0.1 (the function's own default is 0). */
  finalFormatScore?: number;
  /** Search-R1 `retrieval_score`, added when a golden answer occurs in an `<information>` block; the script uses 0. */
  retrievalScore?: number;
  /** Reward for an exact match with a valid format. Default 1. */
  score?: number;
}

/**
 * Search-R1's v0.3 format-aware EM reward (`qa_em_format.py`, research-paper.md §2.5), over the response:
 *
 * | answer | EM | format valid | retrieval hit | reward |
 * |---|---|---|---|---|
 * | yes | yes | yes | – | `score` |
 * | yes | yes | no | – | `score − structureFormatScore` |
 * | yes | no | yes | yes | `structureFormatScore + retrievalScore` |
 * | yes | no | yes | no | `structureFormatScore` |
 * | yes | no | no | – | `finalFormatScore` |
 * | no | – | yes | yes / no | `structureFormatScore (+ retrievalScore)` |
 * | no | – | no | – | 0 |
 *
 * A retrieval hit is a golden answer whose normalized form is a substring of a normalized, stripped
 * `<information>` block; it is looked for only when the format is valid. A valid format always has an
 * answer, so the "no answer, valid format" rows cannot occur over a response alone (they exist in
 * Search-R1 because of its two-match rule). The reason is `'ok'`, `'wrong-answer'`,
 * `'answer-missing'`, or the format reason when the format is invalid.
 * Components: `{ em, format, retrievalHit }`.
 */
export function createSearchR1FormatReward(options: SearchR1FormatOptions = {}): RewardFunction {
  const structureFormatScore = finiteOption('structureFormatScore', options.structureFormatScore ?? 0.2);
  const finalFormatScore = finiteOption('finalFormatScore', options.finalFormatScore ?? 0.1);
  const retrievalScore = finiteOption('retrievalScore', options.retrievalScore ?? 0);
  const score = finiteOption('score', options.score ?? 1);
  return {
    specificationVersion: 'v1',
    name: 'search-r1-em-format',
    score(input: RewardInput): RewardResult {
      const format = validateSearchR1Format(input.response);
      const retrievalHit =
        format.ok &&
        findTaggedSpans(input.response, '<information>', '</information>').some(
          (block) => coverExactMatch(pythonStrip(block), input.goldenAnswers) === 1,
        );
      const formatReward = structureFormatScore + (retrievalHit ? retrievalScore : 0);
      const answer = extractSearchR1Answer(input.response);
      const em = answer === undefined ? 0 : exactMatch(answer, input.goldenAnswers);
      const components = { em, format: format.ok ? 1 : 0, retrievalHit: retrievalHit ? 1 : 0 };
      const base = { formatOk: format.ok, components, ...(answer === undefined ? {} : { prediction: answer }) };
      if (answer === undefined) {
        return { ...base, score: format.ok ? formatReward : 0, reason: format.ok ? 'answer-missing' : format.reason };
      }
      if (em === 1) {
        return format.ok
          ? { ...base, score, reason: 'ok' }
          : { ...base, score: score - structureFormatScore, reason: format.reason };
      }
      return format.ok
        ? { ...base, score: formatReward, reason: 'wrong-answer' }
        : { ...base, score: finalFormatScore, reason: format.reason };
    },
  };
}

function finiteOption(name: string, value: number): number {
  if (!Number.isFinite(value)) throw new InvalidConfigError(name, `must be a finite number, got ${value}`);
  return value;
}
