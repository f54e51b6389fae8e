import { describe, expect, it } from 'vitest';
import {
  ApiCallError,
  InvalidConfigError,
  InvalidInputError,
  ResearchError,
  TimeoutError,
  UnsupportedError,
} from './research-error';

describe('ResearchError family', () => {
  it('recognises its members through the Symbol.for marker, not the prototype', () => {
    const error = new InvalidInputError('expected a string', { source: 'qa.jsonl', line: 3, field: 'question' });
    expect(ResearchError.isInstance(error)).toBe(true);
    expect(ResearchError.isInstance(new Error('x'))).toBe(false);
    expect(ResearchError.isInstance(null)).toBe(false);
    // A structurally separate copy (as from a second installed copy of the package) is still recognised.
    const foreign = Object.assign(Object.create(null), { [Symbol.for('research-ts.error')]: true });
    expect(ResearchError.isInstance(foreign)).toBe(true);
  });

  it('names file, line and field in the message', () => {
    const error = new InvalidInputError('expected a string', { source: 'qa.jsonl', line: 3, field: 'question' });
    expect(error.message).toBe('qa.jsonl, line 3, field "question": expected a string');
    expect(error).toMatchObject({ source: 'qa.jsonl', line: 3, field: 'question', name: 'InvalidInputError' });
    expect(new InvalidInputError('empty file').message).toBe('empty file');
  });

  it('classifies retryable HTTP failures', () => {
    expect(new ApiCallError('x', { url: 'u', statusCode: 429 }).isRetryable).toBe(true);
    expect(new ApiCallError('x', { url: 'u', statusCode: 503 }).isRetryable).toBe(true);
    expect(new ApiCallError('x', { url: 'u', statusCode: 400 }).isRetryable).toBe(false);
    expect(new ApiCallError('x', { url: 'u' }).isRetryable).toBe(true);
  });

  it('formats config, timeout and unsupported errors', () => {
    expect(new InvalidConfigError('train.lr', 'must be positive').message).toBe(
      'config field "train.lr": must be positive',
    );
    expect(new TimeoutError('judge request', 500).message).toBe('judge request timed out after 500 ms');
    expect(new UnsupportedError('execution provider "cuda"', 'not installed').feature).toBe(
      'execution provider "cuda"',
    );
    const cause = new Error('root');
    expect(new InvalidConfigError('train.lr', 'must be positive').issues).toEqual([
      { path: 'train.lr', problem: 'must be positive' },
    ]);
    expect(new TimeoutError('x', 1, { cause }).cause).toBe(cause);
  });

  it('reports several invalid config fields at once, each on its own line', () => {
    const error = InvalidConfigError.ofIssues([
      { path: 'loss.clipRatio', problem: 'must be in [0, 1), got 1' },
      { path: 'rollout.groupSize', problem: 'must be ≥ 1' },
    ]);
    expect(error).toMatchObject({
      path: 'loss.clipRatio',
      problem: 'must be in [0, 1), got 1',
      name: 'InvalidConfigError',
    });
    expect(error.issues.map((issue) => issue.path)).toEqual(['loss.clipRatio', 'rollout.groupSize']);
    expect(error.message).toBe(
      '2 config fields are invalid:\n  config field "loss.clipRatio": must be in [0, 1), got 1\n  config field "rollout.groupSize": must be ≥ 1',
    );
    expect(InvalidConfigError.ofIssues([{ path: 'a', problem: 'b' }]).message).toBe('config field "a": b');
    expect(() => InvalidConfigError.ofIssues([])).toThrow(TypeError);
  });
});
