import { describe, expect, it } from 'vitest';
import { evenlySpacedIndexes, normalizeRolloutRecord } from './rollout-record';

const segments = [
  { kind: 'model', text: '<think> a </think> <search> q </search>' },
  { kind: 'result', text: ' <result>\nP\n</result>' },
  { kind: 'model', text: ' <answer> \\boxed{x} </answer>' },
];

describe('normalizeRolloutRecord', () => {
  it('keeps every documented field', () => {
    const result = normalizeRolloutRecord(
      {
        step: 4,
        group: 1,
        sample: 2,
        question: 'Q?',
        goldenAnswers: ['x', 7, 'y'],
        reward: 0.5,
        reason: 'ok',
        prediction: 'x',
        components: { f1: 0.5, format: 1, bad: 'no' },
        finishReason: 'eos',
        advantage: -0.3,
        segments: segments.map((segment, index) => ({ ...segment, start: index, end: index + 1 })),
      },
      9,
    );
    expect(result).toEqual({
      ok: true,
      record: {
        line: 9,
        step: 4,
        group: 1,
        sample: 2,
        question: 'Q?',
        goldenAnswers: ['x', 'y'],
        reward: 0.5,
        reason: 'ok',
        prediction: 'x',
        components: { f1: 0.5, format: 1 },
        finishReason: 'eos',
        advantage: -0.3,
        segments,
      },
    });
  });

  it('drops fields of the wrong type instead of refusing the line', () => {
    const result = normalizeRolloutRecord({ step: 'one', reward: 'high', reason: 3, segments }, 1);
    expect(result).toEqual({ ok: true, record: { line: 1, segments } });
  });

  it('takes text as one model segment when segments are missing', () => {
    expect(normalizeRolloutRecord({ text: '<answer> y </answer>' }, 2)).toEqual({
      ok: true,
      record: { line: 2, segments: [{ kind: 'model', text: '<answer> y </answer>' }] },
    });
  });

  it.each([
    [{}, 'no "segments" or "text"'],
    [{ segments: 'x' }, '"segments" is not an array'],
    [{ segments: [{ kind: 'tool', text: 'x' }] }, 'segments.0.kind must be "model" or "result"'],
    [{ segments: [{ kind: 'model', text: 'x' }, { kind: 'result' }] }, 'segments.1.text must be a string'],
    [{ segments: [null] }, 'segments.0.kind must be "model" or "result"'],
  ])('refuses %j: %s', (raw, reason) => {
    expect(normalizeRolloutRecord(raw as Record<string, unknown>, 1)).toEqual({ ok: false, reason });
  });

  it('reads tokens with a loss mask as an array or a string', () => {
    const raw = {
      segments: [
        { kind: 'model', text: 'ab' },
        { kind: 'result', text: 'cd' },
      ],
      tokens: ['a', 'b', 'c', '', 'd'],
    };
    const fromArray = normalizeRolloutRecord({ ...raw, lossMask: [1, 1, 0, 0, 0] }, 1);
    const fromString = normalizeRolloutRecord({ ...raw, lossMask: '11000' }, 1);
    for (const result of [fromArray, fromString]) {
      expect(result.ok && result.record.tokens).toEqual({
        texts: ['a', 'b', 'c', '', 'd'],
        lossMask: Uint8Array.from([1, 1, 0, 0, 0]),
      });
    }
    expect(normalizeRolloutRecord(raw, 1)).toMatchObject({
      ok: true,
      record: { tokens: { texts: ['a', 'b', 'c', '', 'd'] } },
    });
  });

  it.each([
    [{ tokens: ['a', 'b'] }, 'the tokens joined (2 characters) differ from the segments joined (4 characters)'],
    [{ tokens: ['ab', 'cd'], lossMask: [1] }, 'lossMask has 1 entries for 2 tokens'],
    [{ tokens: ['ab', 'cd'], lossMask: [1, 2] }, 'lossMask.1 is not 0 or 1'],
    [{ tokens: ['ab', 'cd'], lossMask: '1x' }, 'lossMask string holds characters other than 0 and 1'],
    [{ tokens: ['ab', 'cd'], lossMask: 3 }, 'lossMask is neither an array nor a string of 0/1'],
    [{ tokens: 'abcd' }, 'tokens is not an array of strings'],
    [{ lossMask: [1, 0] }, 'lossMask without tokens'],
  ])('drops inconsistent tokens %j with a reason', (extra, tokenProblem) => {
    const result = normalizeRolloutRecord(
      {
        segments: [
          { kind: 'model', text: 'ab' },
          { kind: 'result', text: 'cd' },
        ],
        ...extra,
      },
      1,
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.record.tokens).toBeUndefined();
    expect(result.record.tokenProblem).toBe(tokenProblem);
  });
});

describe('evenlySpacedIndexes', () => {
  it.each([
    [5, 10, [0, 1, 2, 3, 4]],
    [10, 3, [0, 5, 9]],
    [100, 5, [0, 25, 50, 74, 99]],
    [10, 1, [0]],
    [10, 0, []],
    [0, 4, []],
  ])('%d items, keep %d → %j', (total, count, expected) => {
    expect(evenlySpacedIndexes(total, count)).toEqual(expected);
  });
});
