import { describe, expect, it } from 'vitest';
import { sampleRollouts } from './__fixtures__/rollouts';
import { parseTags, type TagSegment } from './parse-tags';

function writeBack(segments: readonly TagSegment[]): string {
  return segments
    .map((segment) =>
      segment.kind === 'text'
        ? segment.text
        : `<${segment.kind}>${segment.text}${segment.closed ? `</${segment.kind}>` : ''}`,
    )
    .join('');
}

describe('parseTags', () => {
  it.each<[string, TagSegment[]]>([
    ['', []],
    ['plain', [{ kind: 'text', text: 'plain', closed: true }]],
    [
      '<think> a </think> <search> q </search>',
      [
        { kind: 'think', text: ' a ', closed: true },
        { kind: 'text', text: ' ', closed: true },
        { kind: 'search', text: ' q ', closed: true },
      ],
    ],
    ['<think></think>', [{ kind: 'think', text: '', closed: true }]],
    ['<answer>\\boxed{1', [{ kind: 'answer', text: '\\boxed{1', closed: false }]],
    [
      'x</result>y<think>a<answer>b</think>',
      [
        { kind: 'text', text: 'x</result>y', closed: true },
        { kind: 'think', text: 'a<answer>b', closed: true },
      ],
    ],
    [
      '<result>\n"T"\ntext\n</result> <think>',
      [
        { kind: 'result', text: '\n"T"\ntext\n', closed: true },
        { kind: 'text', text: ' ', closed: true },
        { kind: 'think', text: '', closed: false },
      ],
    ],
    ['<sea', [{ kind: 'text', text: '<sea', closed: true }]],
  ])('%j', (input, expected) => {
    expect(parseTags(input)).toEqual(expected);
  });

  it('writes back to the input for every sample rollout', () => {
    for (const rollout of sampleRollouts) expect(writeBack(parseTags(rollout))).toBe(rollout);
  });

  it('finds the structure of a full rollout', () => {
    const kinds = parseTags(sampleRollouts[0]!).filter((segment) => segment.kind !== 'text');
    expect(kinds.map((segment) => segment.kind)).toEqual(['think', 'search', 'result', 'think', 'answer']);
    expect(kinds.every((segment) => segment.closed)).toBe(true);
    expect(kinds[1]!.text).toBe(' author of The Long Field ');
  });
});
