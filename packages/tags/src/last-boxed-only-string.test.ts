import { describe, expect, it } from 'vitest';
import { lastBoxedOnlyString } from './last-boxed-only-string';

describe('lastBoxedOnlyString', () => {
  it.each([
    ['The answer is \\boxed{Paris}.', '\\boxed{Paris}'],
    ['\\boxed{a} then \\boxed{b}', '\\boxed{b}'],
    ['\\boxed{\\frac{1}{2}} done', '\\boxed{\\frac{1}{2}}'],
    ['\\[ \\boxed{New {York} City} \\]', '\\boxed{New {York} City}'],
    // space form: everything after the last "\boxed " up to the first $
    ['so \\boxed Paris $ more', '\\boxed Paris '],
    ['\\boxed Paris', '\\boxed Paris'],
    ['\\boxed a $x$ and \\boxed b', '\\boxed b'],
    // the space form wins even when a \boxed{ comes later
    ['\\boxed a and \\boxed{b}', '\\boxed a and \\boxed{b}'],
    // \fbox is used only when there is no \boxed at all
    ['\\fbox{x}', '\\fbox{x}'],
    ['\\fbox{x} \\boxed{y}', '\\boxed{y}'],
    // the scan starts at the last \boxed even when it has no braces of its own
    ['\\boxed{a} \\boxedx', undefined],
    ['\\boxedx{a}', '\\boxedx{a}'],
    ['no box here', undefined],
    ['\\boxed{unbalanced', undefined],
    ['\\boxed{a{b}', undefined],
    // a `}` before the first `{` drives the count to -1: no later `}` brings it to 0
    ['\\boxed}{x}', undefined],
    ['\\boxed}{x}}{y}', undefined],
    ['\\boxed{}', '\\boxed{}'],
    ['', undefined],
  ])('%j -> %j', (text, expected) => {
    expect(lastBoxedOnlyString(text)).toBe(expected);
  });
});
