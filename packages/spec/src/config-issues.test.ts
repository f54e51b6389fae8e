import { describe, expect, it } from 'vitest';
import { configIssuesOf, invalidConfigOf } from './config-issues';
import { InvalidConfigError } from './research-error';

describe('invalidConfigOf', () => {
  it('names every issue by its dotted path, the whole value by its name, and each unknown key', () => {
    const issues = [
      { path: ['optimizer', 'learningRate'], message: 'expected a number' },
      { path: [], message: 'expected an object' },
      { path: ['rollout'], message: 'Unrecognized keys: "a", "b"', code: 'unrecognized_keys', keys: ['a', 'b'] },
      { path: ['list', 2], message: 'too small' },
    ];
    expect(configIssuesOf(issues, 'config')).toEqual([
      { path: 'optimizer.learningRate', problem: 'expected a number' },
      { path: 'config', problem: 'expected an object' },
      { path: 'rollout.a', problem: 'is not a config field (Unrecognized keys: "a", "b")' },
      { path: 'rollout.b', problem: 'is not a config field (Unrecognized keys: "a", "b")' },
      { path: 'list.2', problem: 'too small' },
    ]);
    const error = invalidConfigOf(issues.slice(0, 1));
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect(error.message).toBe('config field "optimizer.learningRate": expected a number');
    expect(invalidConfigOf([]).path).toBe('options');
  });
});
