import { describe, expect, it } from 'vitest';
import { extractAnswer } from './extract-answer';

describe('extractAnswer', () => {
  it.each([
    ['<answer> The final answer is \\[ \\boxed{Paris} \\] </answer>', 'Paris'],
    ['<think>x</think><answer>\\boxed{a} or \\boxed{b}</answer>', 'b'],
    // the FIRST <answer>…</answer> pair
    ['<answer>\\boxed{first}</answer> <answer>\\boxed{second}</answer>', 'first'],
    // the first <answer> up to the first </answer> after it
    ['<answer>\\boxed{a}</answer></answer>', 'a'],
    ['</answer><answer>\\boxed{late}</answer>', 'late'],
    // DOTALL: newlines inside
    ['<answer>\nline\n\\boxed{multi\nline}\n</answer>', 'multi\nline'],
    ['<answer>\\boxed{\\text{New York}}</answer>', '\\text{New York}'],
    // the answer is returned as found, not trimmed
    ['<answer>\\boxed{ Paris }</answer>', ' Paris '],
    ['<answer>\\boxed Paris </answer>', 'Paris '],
    ['<answer>\\boxed{}</answer>', ''],
  ])('%j -> %j', (response, answer) => {
    expect(extractAnswer(response)).toEqual({ ok: true, answer });
  });

  it.each([
    ['no answer tag', 'just text \\boxed{x}', 'answer-missing'],
    ['answer never closed', '<answer>\\boxed{x}', 'answer-missing'],
    ['closer only before opener', '</answer> <answer>\\boxed{x}', 'answer-missing'],
    ['no box', '<answer>Paris</answer>', 'boxed-missing'],
    ['unbalanced braces', '<answer>\\boxed{Paris</answer>', 'boxed-missing'],
    ['box outside the answer', '<answer>Paris</answer> \\boxed{Paris}', 'boxed-missing'],
    ['fbox', '<answer>\\fbox{Paris}</answer>', 'boxed-malformed'],
    ['boxed with trailing letters', '<answer>\\boxedx{Paris}</answer>', 'boxed-malformed'],
  ] as const)('%s -> %s', (_name, response, reason) => {
    const result = extractAnswer(response);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toBe(reason);
  });

  it('says why in the message', () => {
    expect(extractAnswer('nothing')).toEqual({ ok: false, reason: 'answer-missing', message: 'cannot extract answer' });
    expect(extractAnswer('<answer>\\fbox{x}</answer>')).toEqual({
      ok: false,
      reason: 'boxed-malformed',
      message: 'not a \\boxed{...} form: \\fbox{x}',
    });
  });
});
