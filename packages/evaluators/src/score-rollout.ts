import type { Tokenizer, Trajectory } from '@research-ts/spec';
import { extractAnswer } from '@research-ts/tags';
import { exactMatch } from './exact-match';
import { f1Score } from './f1-score';
import { reSearchReward } from './research-reward';

/** The reward input of one rollout: its ReSearch reward, answer scores and token counts. */
export interface ScoredRollout {
  /** The ReSearch reward: F1, 0.1 for a good format with a wrong answer, 0 otherwise. */
  reward: number;
  /** Why (`ok`, `wrong-answer`, `over-length`, a format reason, …). */
  reason: string;
  formatOk: boolean;
  /** The `\boxed{}` answer, '' when there is none. */
  prediction: string;
  exactMatch: boolean;
  f1: number;
  searches: number;
  /** 1 when a search still failed after its retries and ended the rollout (`finishReason: 'error'`), else 0. */
  failedSearches: number;
  /** Tokens the policy wrote (the loss mask's ones): the paper's response length, without result tokens. */
  generatedTokens: number;
  /** Tokens the environment inserted (`<result>` blocks). */
  insertedTokens: number;
}

/**
 * Scores one trajectory with ReSearch's reward. It ended with EOS when its last token is the
 * tokenizer's primary EOS token (`eos_token`, as ReSearch checks the text's ending); a stop on another
 * end id does not count.
 */
export function scoreRollout(
  trajectory: Trajectory,
  goldenAnswers: readonly string[],
  tokenizer: Tokenizer,
): ScoredRollout {
  const eosId = tokenizer.eosToken === undefined ? undefined : tokenizer.tokenToId(tokenizer.eosToken);
  const endedWithEos =
    trajectory.finishReason === 'eos' && eosId !== undefined && trajectory.responseIds.at(-1) === eosId;
  const result = reSearchReward.score({ response: trajectory.text, goldenAnswers, endedWithEos });
  let generatedTokens = 0;
  for (const bit of trajectory.lossMask) generatedTokens += bit;
  const extracted = extractAnswer(trajectory.text);
  const prediction = result.prediction ?? (extracted.ok ? extracted.answer : '');
  return {
    reward: result.score,
    reason: result.reason,
    formatOk: result.formatOk,
    prediction,
    exactMatch: exactMatch(prediction, goldenAnswers) === 1,
    f1: f1Score(prediction, goldenAnswers).f1,
    searches: trajectory.searches.length,
    failedSearches: trajectory.finishReason === 'error' ? 1 : 0,
    generatedTokens,
    insertedTokens: trajectory.lossMask.length - generatedTokens,
  };
}
