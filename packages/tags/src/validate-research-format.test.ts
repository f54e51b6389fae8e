import { describe, expect, it } from 'vitest';
import {
  RESEARCH_FORMAT_MESSAGES,
  validateReSearchFormat,
  type ReSearchFormatReason,
} from './validate-research-format';

const good =
  '<think> who? </think> <search> q1 </search> <result>\n"T"\ntext\n</result>' +
  ' <think> so </think> <answer> The final answer is \\[ \\boxed{Paris} \\] </answer><|im_end|>';

// Each row: response, expected reason (or 'ok'). Written from the rules of ReSearch's validate_format.
const table: Array<[string, string, ReSearchFormatReason | 'ok']> = [
  ['well formed with one search', good, 'ok'],
  ['no search at all', '<think>x</think><answer>\\boxed{a}</answer>', 'ok'],
  [
    'two searches',
    '<think>a</think><search>q</search><result>r</result><search>q2</search><result>r2</result><think>b</think><answer>\\boxed{x}</answer>',
    'ok',
  ],
  ['think counts differ', '<think>a</think><think>b<answer>\\boxed{x}</answer>', 'think-unpaired'],
  ['only a closer', 'a</think><answer>\\boxed{x}</answer>', 'think-unpaired'],
  ['no think at all', '<answer>\\boxed{x}</answer>', 'think-missing'],
  ['empty response', '', 'think-missing'],
  ['two answers', '<think>a</think><answer>\\boxed{x}</answer><answer>\\boxed{y}</answer>', 'answer-count'],
  ['answer not closed', '<think>a</think><answer>\\boxed{x}', 'answer-count'],
  ['no answer', '<think>a</think>', 'answer-count'],
  // think pairing is checked before answer count: both broken gives think-unpaired
  ['think and answer both broken', '<think>a<answer>x', 'think-unpaired'],
  ['search never closed', '<think>a</think><search>q<answer>\\boxed{x}</answer>', 'search-incomplete'],
  ['search without result', '<think>a</think><search>q</search><answer>\\boxed{x}</answer>', 'search-incomplete'],
  ['result not closed', '<think>a</think><search>q</search><result>r<answer>\\boxed{x}</answer>', 'search-incomplete'],
  [
    'result before search closer',
    '<think>a</think><search>q<result>r</result></search><answer>\\boxed{x}</answer>',
    'search-wrong-order',
  ],
  // a result earlier than the <search> does not count: the scan looks after <search>
  [
    'result only before search',
    '<think>a</think><result>r</result><search>q</search><answer>\\boxed{x}</answer>',
    'search-incomplete',
  ],
  [
    'second search incomplete',
    '<think>a</think><search>q</search><result>r</result><search>q2</search><answer>\\boxed{x}</answer>',
    'search-incomplete',
  ],
  // a nested <search> inside the first block: the scan restarts at the first </result> and finds it
  [
    'nested search before result end',
    '<think>a</think><search>q</search><result>r <search>z</search> </result><answer>\\boxed{x}</answer>',
    'ok',
  ],
  ['answer closer first', '<think>a</think></answer>\\boxed{x}<answer>', 'answer-order'],
  ['no boxed', '<think>a</think><answer>Paris</answer>', 'boxed-missing'],
  ['boxed after answer', '<think>a</think><answer>Paris</answer>\\boxed{x}', 'boxed-missing'],
  ['boxed without any closing brace in the span', '<think>a</think><answer>\\boxed{Paris</answer>}', 'boxed-missing'],
  // `}` may be anywhere in the span, even before \boxed{
  ['brace before boxed', '<think>a</think><answer>} \\boxed{Paris</answer>', 'ok'],
  ['fbox is not boxed', '<think>a</think><answer>\\fbox{x}</answer>', 'boxed-missing'],
  ['boxed with space form only', '<think>a</think><answer>\\boxed x}</answer>', 'boxed-missing'],
  ['case matters', '<Think>a</Think><answer>\\boxed{x}</answer>', 'think-missing'],
];

describe('validateReSearchFormat', () => {
  it.each(table)('%s', (_name, response, expected) => {
    const result = validateReSearchFormat(response);
    if (expected === 'ok') {
      expect(result).toEqual({ ok: true });
    } else {
      expect(result).toEqual({ ok: false, reason: expected, message: RESEARCH_FORMAT_MESSAGES[expected] });
    }
  });

  it("carries ReSearch's reason strings", () => {
    expect(validateReSearchFormat('<think>')).toMatchObject({ message: '<think> </think> not paired' });
    expect(validateReSearchFormat('<think>a</think><answer>x</answer>')).toMatchObject({
      message: 'answer is missing \\boxed{} format',
    });
    expect(RESEARCH_FORMAT_MESSAGES['boxed-missing']).toBe('answer is missing \\boxed{} format');
    expect(RESEARCH_FORMAT_MESSAGES['search-wrong-order']).toBe('search/result tags are nested in the wrong order');
  });

  it('terminates on long runs of searches', () => {
    const block = '<search>q</search><result>r</result>';
    const response = `<think>a</think>${block.repeat(2000)}<answer>\\boxed{x}</answer>`;
    expect(validateReSearchFormat(response)).toEqual({ ok: true });
  });
});
