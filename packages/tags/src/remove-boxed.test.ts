import { describe, expect, it } from 'vitest';
import { removeBoxed } from './remove-boxed';

describe('removeBoxed', () => {
  it.each([
    ['\\boxed{Paris}', 'Paris'],
    ['\\boxed{\\frac{1}{2}}', '\\frac{1}{2}'],
    ['\\boxed{}', ''],
    ['\\boxed{ spaced }', ' spaced '],
    ['\\boxed Paris ', 'Paris '],
    ['\\boxed {x}', '{x}'],
    // failures where remove_boxed asserts
    ['\\fbox{x}', undefined],
    ['x \\boxed y', undefined],
    ['\\boxed{x', undefined],
    ['\\boxed{', undefined],
    ['boxed{x}', undefined],
    ['', undefined],
  ])('%j -> %j', (input, expected) => {
    expect(removeBoxed(input)).toBe(expected);
  });
});
