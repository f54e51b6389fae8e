import type { Trajectory, TrajectoryFinishReason } from '@research-ts/spec';
import { MockTokenizer } from '@research-ts/testing';
import { describe, expect, it } from 'vitest';
import { scoreRollout } from './score-rollout';

const tokenizer = new MockTokenizer();

/** A trajectory of model text, one inserted result block, then more model text (a plain spec `Trajectory`, its arrays of equal length). */
function trajectory(before: string, result: string, after: string, finishReason: TrajectoryFinishReason) {
  const pieces = [
    { kind: 'model' as const, text: before },
    { kind: 'result' as const, text: result },
    { kind: 'model' as const, text: after },
  ].filter((piece) => piece.text !== '');
  const responseIds: number[] = [];
  const lossMask: number[] = [];
  const segments = pieces.map((piece) => {
    const ids = tokenizer.encode(piece.text, { addSpecialTokens: false });
    const start = responseIds.length;
    responseIds.push(...ids);
    lossMask.push(...ids.map(() => (piece.kind === 'model' ? 1 : 0)));
    return { kind: piece.kind, start, end: responseIds.length, text: piece.text };
  });
  const trajectory: Trajectory = {
    promptIds: [1],
    responseIds,
    lossMask: Uint8Array.from(lossMask),
    segments,
    text: pieces.map((piece) => piece.text).join(''),
    finishReason,
    searches: result === '' ? [] : [{ turn: 0, query: 'Vorshuk', passages: [] }],
  };
  return trajectory;
}

const search = '<think> </think> <search> Vorshuk </search>';
const result = ' <result>\nVorshuk was founded by Nelnoun.\n</result>';
const answer = (name: string) => `<think> </think> <answer> \\boxed{ ${name} } </answer><|im_end|>`;

describe('scoreRollout', () => {
  it.each([
    [
      'right answer after a search',
      trajectory(search, result, answer('Nelnoun'), 'eos'),
      { reward: 1, reason: 'ok', exactMatch: true, searches: 1, prediction: ' Nelnoun ' },
    ],
    [
      'wrong name, good format',
      trajectory(search, result, answer('Multom'), 'eos'),
      { reward: 0.1, reason: 'wrong-answer', exactMatch: false, searches: 1 },
    ],
    [
      'no search is still a valid format',
      trajectory(answer('Nelnoun'), '', '', 'eos'),
      { reward: 1, reason: 'ok', searches: 0 },
    ],
    [
      'budget cut before EOS',
      trajectory(search, result, '<think> </think> <answer> \\boxed{ Nelnoun } </answer>', 'budget'),
      { reward: 0, reason: 'over-length', formatOk: true },
    ],
    [
      'unclosed think',
      trajectory('<think> <search> Vorshuk </search>', result, answer('Nelnoun'), 'eos'),
      { reward: 0, formatOk: false },
    ],
  ])('%s', (_name, rollout, expected) => {
    expect(scoreRollout(rollout, ['Nelnoun'], tokenizer)).toMatchObject(expected);
  });

  it('counts generated tokens without the inserted result (the paper’s response length)', () => {
    const rollout = trajectory(search, result, answer('Nelnoun'), 'eos');
    const score = scoreRollout(rollout, ['Nelnoun'], tokenizer);
    const generated = tokenizer.encode(search + answer('Nelnoun'), { addSpecialTokens: false }).length;
    expect(score.generatedTokens).toBe(generated);
    expect(score.insertedTokens).toBe(tokenizer.encode(result, { addSpecialTokens: false }).length);
    expect(score.generatedTokens + score.insertedTokens).toBe(rollout.responseIds.length);
  });

  it('an EOS that is not the primary eos_token does not count as ending (ReSearch checks the text)', () => {
    const rollout = trajectory(
      search,
      result,
      '<think> </think> <answer> \\boxed{ Nelnoun } </answer><|endoftext|>',
      'eos',
    );
    expect(scoreRollout(rollout, ['Nelnoun'], tokenizer)).toMatchObject({ reward: 0, reason: 'over-length' });
  });
});
