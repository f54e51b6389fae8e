import { InvalidInputError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { createTrajectory, type TrajectoryParts } from './create-trajectory';

const valid: TrajectoryParts = {
  promptIds: [7, 8],
  responseIds: [10, 11, 12, 20, 21, 13],
  lossMask: [1, 1, 1, 0, 0, 1],
  segments: [
    { kind: 'model', start: 0, end: 3, text: 'abc' },
    { kind: 'result', start: 3, end: 5, text: ' R' },
    { kind: 'model', start: 5, end: 6, text: 'd' },
  ],
  text: 'abc Rd',
  finishReason: 'eos',
  searches: [{ turn: 0, query: 'q', passages: [{ id: 'p', contents: '"T"\nt', score: 1 }] }],
};

describe('createTrajectory', () => {
  it('returns a frozen trajectory with copied arrays and a Uint8Array loss mask', () => {
    const lossMask = [...(valid.lossMask as number[])];
    const trajectory = createTrajectory({ ...valid, lossMask });
    lossMask[0] = 0;
    expect([...trajectory.lossMask]).toEqual([1, 1, 1, 0, 0, 1]);
    expect(trajectory.lossMask).toBeInstanceOf(Uint8Array);
    expect(Object.isFrozen(trajectory)).toBe(true);
    expect(Object.isFrozen(trajectory.responseIds)).toBe(true);
    expect(Object.isFrozen(trajectory.promptIds)).toBe(true);
    expect(Object.isFrozen(trajectory.segments[0])).toBe(true);
    expect(Object.isFrozen(trajectory.searches[0]!.passages[0])).toBe(true);
    expect(trajectory.responseIds).not.toBe(valid.responseIds);
    expect(trajectory).toMatchObject({ text: 'abc Rd', finishReason: 'eos', promptIds: [7, 8] });
    expect('error' in trajectory).toBe(false);
  });

  it('accepts an empty response and a Uint8Array mask', () => {
    const empty = createTrajectory({
      ...valid,
      responseIds: [],
      lossMask: new Uint8Array(0),
      segments: [],
      text: '',
      searches: [],
      finishReason: 'length',
    });
    expect(empty.responseIds).toEqual([]);
    expect(createTrajectory({ ...valid, lossMask: Uint8Array.from([1, 1, 1, 0, 0, 1]) }).lossMask).toEqual(
      Uint8Array.from([1, 1, 1, 0, 0, 1]),
    );
  });

  it('keeps an error with finishReason error', () => {
    expect(createTrajectory({ ...valid, finishReason: 'error', error: 'retriever down' }).error).toBe('retriever down');
  });

  it.each<[string, Partial<TrajectoryParts>, string]>([
    [
      'a mask of another length',
      { lossMask: [1, 1, 1, 0, 0] },
      'createTrajectory, field "lossMask": has 5 entries but responseIds has 6',
    ],
    [
      'a mask value that is not 0 or 1',
      { lossMask: [1, 1, 1, 0, 0, 2] },
      'createTrajectory, field "lossMask.5": must be 0 or 1, got 2',
    ],
    [
      'a negative response id',
      { responseIds: [10, 11, -1, 20, 21, 13] },
      'createTrajectory, field "responseIds.2": is not a token id: -1',
    ],
    ['a fractional prompt id', { promptIds: [7.5] }, 'createTrajectory, field "promptIds.0": is not a token id: 7.5'],
    [
      'a gap between segments',
      {
        segments: [
          { kind: 'model', start: 0, end: 3, text: 'abc' },
          { kind: 'result', start: 4, end: 5, text: ' R' },
        ],
      },
      'createTrajectory, field "segments.1.start": is 4 but the previous segment ended at 3',
    ],
    [
      'an empty segment',
      { segments: [{ kind: 'model', start: 0, end: 0, text: '' }] },
      'createTrajectory, field "segments.0.end": must be greater than start 0, got 0',
    ],
    [
      'a segment past the response',
      {
        segments: [
          { kind: 'model', start: 0, end: 3, text: 'abc' },
          { kind: 'result', start: 3, end: 7, text: ' Rd' },
        ],
      },
      'createTrajectory, field "segments.1.end": is 7, past the response length 6',
    ],
    [
      'segments that stop short',
      { segments: [{ kind: 'model', start: 0, end: 3, text: 'abc' }] },
      'createTrajectory, field "segments": cover 3 of 6 response tokens',
    ],
    [
      'an inserted token with mask 1',
      { lossMask: [1, 1, 1, 0, 1, 1] },
      'createTrajectory, field "lossMask.4": is 1 inside a \'result\' segment (expected 0)',
    ],
    [
      'a model token with mask 0',
      { lossMask: [1, 0, 1, 0, 0, 1] },
      'createTrajectory, field "lossMask.1": is 0 inside a \'model\' segment (expected 1)',
    ],
    [
      'text that is not the segments joined',
      { text: 'abc R d' },
      'createTrajectory, field "text": is not the concatenation of the segments\u2019 texts',
    ],
    [
      'an error without finishReason error',
      { error: 'x' },
      'createTrajectory, field "error": must be absent when finishReason is \'eos\'',
    ],
    [
      'finishReason error without an error',
      { finishReason: 'error' },
      'createTrajectory, field "error": is required when finishReason is \'error\'',
    ],
  ])('rejects %s', (_label, overrides, message) => {
    const build = () => createTrajectory({ ...valid, ...overrides });
    expect(build).toThrow(InvalidInputError);
    expect(build).toThrow(message);
  });
});
