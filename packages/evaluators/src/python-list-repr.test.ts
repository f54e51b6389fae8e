import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pythonListRepr, pythonStringRepr } from './python-list-repr';

const fixture = JSON.parse(
  readFileSync(new URL('./__fixtures__/python-list-repr-cases.json', import.meta.url), 'utf8'),
) as {
  cases: { input: string[]; repr: string }[];
};

describe('pythonListRepr against Python str(list)', () => {
  it('has the cases the generator wrote', () => {
    expect(fixture.cases.length).toBeGreaterThanOrEqual(20);
  });

  it.each(fixture.cases.map((entry) => [entry.repr, entry] as const))('%s', (_label, entry) => {
    expect(pythonListRepr(entry.input)).toBe(entry.repr);
  });
});

describe('pythonStringRepr rules', () => {
  it.each([
    ['James Madison', "'James Madison'"],
    // a single quote and no double quote → double quotes, nothing escaped
    ["O'Neil", `"O'Neil"`],
    // both quotes → single quotes, the single quote escaped
    [`both ' and "`, `'both \\' and "'`],
    ['say "hi"', `'say "hi"'`],
    ['a\\b', "'a\\\\b'"],
    ['line\nnext\ttab\rcr', "'line\\nnext\\ttab\\rcr'"],
    ['\x00\x7f\x85\xa0', "'\\x00\\x7f\\x85\\xa0'"],
    ['\u200b\u2028\ufeff', "'\\u200b\\u2028\\ufeff'"],
    ['\u{E0001}', "'\\U000e0001'"],
    ['\ud800', "'\\ud800'"],
    ['caf\u00e9 \u4e2d \u{1F600} \u0301', "'caf\u00e9 \u4e2d \u{1F600} \u0301'"],
  ])('%j → %s', (input, expected) => {
    expect(pythonStringRepr(input)).toBe(expected);
  });

  it('joins items with a comma and a space', () => {
    expect(pythonListRepr([])).toBe('[]');
    expect(pythonListRepr(['a', "b'c", ''])).toBe(`['a', "b'c", '']`);
  });
});
