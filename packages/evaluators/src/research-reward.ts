import { InvalidInputError, type RewardFunction, type RewardInput, type RewardResult } from '@research-ts/spec';
import { extractAnswer, validateReSearchFormat } from '@research-ts/tags';
import { f1Score } from './f1-score';

/** The reward for a well-formatted response whose answer shares no token with any golden answer. */
export const RESEARCH_FORMAT_REWARD = 0.1;

/**
 * ReSearch's reward over one response (`compute_score` in `re_search.py`, research-paper.md §1.4),
 * the steps in its order:
 * 1. the format rules of `validateReSearchFormat` fail → 0, reason = the format reason
 *    (`'think-missing'`, `'search-incomplete'`, …);
 * 2. the response did not end with the EOS token → 0, reason `'over-length'`;
 * 3. no answer can be extracted (first `<answer>`, last `\boxed{}`) → 0, reason
 *    `'answer-missing'`, `'boxed-missing'` or `'boxed-malformed'`;
 * 4. `f1` = max over golden answers of token F1; f1 > 0 → f1 (reason `'ok'`), else 0.1 (reason
 *    `'wrong-answer'`).
 * A correct answer earns no format bonus, and a correct answer in a bad format earns 0.
 *
 * `input.response` is the response without the prompt, with the inserted `<result>` blocks; the EOS
 * text may be present or not (it changes no rule). `input.endedWithEos` must say whether it ended
 * with the tokenizer's `eos_token` — ReSearch checks the text ending, so for Qwen2.5-Instruct
 * (`eos_token` `<|im_end|>`) a response that stopped on `<|endoftext|>` counts as not ended.
 * Components: `{ f1, format }` (format 1 when the format rules pass).
 */
export const reSearchReward: RewardFunction = {
  specificationVersion: 'v1',
  name: 'research-f1',
  score(input: RewardInput): RewardResult {
    return scoreReSearchSteps(input.response, input.response, input.endedWithEos, input.goldenAnswers);
  },
};

/**
 * The steps of `compute_score` after the split. ReSearch checks the format on the response with its
 * EOS text and extracts the answer from the response without it; `reSearchReward` passes one text twice.
 */
function scoreReSearchSteps(
  formatText: string,
  answerText: string,
  endedWithEos: boolean,
  goldenAnswers: string | readonly string[],
): RewardResult {
  const format = validateReSearchFormat(formatText);
  if (!format.ok) return { score: 0, formatOk: false, reason: format.reason, components: { f1: 0, format: 0 } };
  if (!endedWithEos) return { score: 0, formatOk: true, reason: 'over-length', components: { f1: 0, format: 1 } };
  const extracted = extractAnswer(answerText);
  if (!extracted.ok) return { score: 0, formatOk: true, reason: extracted.reason, components: { f1: 0, format: 1 } };
  const { f1 } = f1Score(extracted.answer, goldenAnswers);
  return {
    score: f1 > 0 ? f1 : RESEARCH_FORMAT_REWARD,
    formatOk: true,
    reason: f1 > 0 ? 'ok' : 'wrong-answer',
    prediction: extracted.answer,
    components: { f1, format: 1 },
  };
}

/** Where the response starts in a decoded prompt + response. */
export type ReSearchTemplate = 'base' | 'instruct' | 'auto';

const responseMarkers = { instruct: '<|im_start|>assistant\n', base: 'Assistant:' } as const;

export interface ScoreReSearchSequenceInput {
  /** The decoded prompt and response, special tokens kept (as ReSearch's reward manager decodes them). */
  decoded: string;
  /** The tokenizer's `eos_token` text, e.g. `<|im_end|>` (Qwen2.5-Instruct) or `<|endoftext|>` (Qwen2.5 base). */
  eosToken: string;
  /**
   * Which marker starts the response: `'instruct'` splits on `<|im_start|>assistant\n`, `'base'` on
   * `Assistant:`. `'auto'` (the default) is ReSearch's own choice: the instruct marker when the text
   * contains it, else `Assistant:`.
   */
  template?: ReSearchTemplate;
  goldenAnswers: string | readonly string[];
}

/**
 * ReSearch's `compute_score` on the full decoded sequence (research-paper.md §1.4 steps 1–5): split on
 * the template's marker and take part `[1]` — the text between the first and the second marker, so a
 * response that itself writes the marker is cut there, as in ReSearch — then check the format,
 * check that the response ends with `eosToken` and strip it, extract the answer and score its F1.
 *
 * Throws `InvalidInputError` when the marker does not occur (ReSearch raises an `IndexError`) or when
 * `eosToken` is empty.
 */
export function scoreReSearchSequence(input: ScoreReSearchSequenceInput): RewardResult {
  if (input.eosToken === '')
    throw new InvalidInputError('eosToken must be the non-empty text of the EOS token', { field: 'eosToken' });
  const template = input.template ?? 'auto';
  const marker =
    template === 'auto'
      ? input.decoded.includes(responseMarkers.instruct)
        ? responseMarkers.instruct
        : responseMarkers.base
      : responseMarkers[template];
  const parts = input.decoded.split(marker);
  const response = parts[1];
  if (response === undefined) {
    throw new InvalidInputError(`the decoded sequence has no ${JSON.stringify(marker)} marker before the response`, {
      field: 'decoded',
    });
  }
  const endedWithEos = response.endsWith(input.eosToken);
  const stripped = endedWithEos ? response.slice(0, -input.eosToken.length) : response;
  return scoreReSearchSteps(response, stripped, endedWithEos, input.goldenAnswers);
}
