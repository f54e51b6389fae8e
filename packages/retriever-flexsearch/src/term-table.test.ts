import { describe, expect, it } from 'vitest';
import { TermTable, termHash } from './term-table';

describe('termHash (32-bit FNV-1a over UTF-16 code units, signed)', () => {
  it.each([
    ['', 0x811c9dc5 | 0],
    ['a', 0xe40c292c | 0],
    ['foobar', 0xbf9cf968 | 0],
  ])('%j', (text, hash) => {
    expect(termHash(text)).toBe(hash);
  });

  it('hashes a range of a longer text like the same characters on their own', () => {
    expect(termHash('the lighthouse keeper', 4, 14)).toBe(termHash('lighthouse'));
  });
});

describe('TermTable', () => {
  it('numbers terms 0, 1, 2, … in first-seen order and finds them again', () => {
    const table = new TermTable();
    expect(['to', 'be', 'or', 'not', 'to', 'be'].map((term) => table.numberOf(term))).toEqual([0, 1, 2, 3, 0, 1]);
    expect(table.terms).toEqual(['to', 'be', 'or', 'not']);
    expect(table.size).toBe(4);
  });

  it('looks up a range of a text as the same term as the whole string', () => {
    const table = new TermTable();
    const text = 'keeper lighthouse keepers keeper';
    expect(table.numberOfRange(text, 7, 17, termHash(text, 7, 17))).toBe(0);
    expect(table.numberOf('lighthouse')).toBe(0);
    expect(table.numberOfRange(text, 0, 6, termHash(text, 0, 6))).toBe(1);
    expect(table.numberOfRange(text, 18, 25, termHash(text, 18, 25))).toBe(2); // "keepers" is not "keeper"
    expect(table.numberOfRange(text, 26, 32, termHash(text, 26, 32))).toBe(1);
    expect(table.terms).toEqual(['lighthouse', 'keeper', 'keepers']);
  });

  it('tells apart two terms with the same hash', () => {
    // Found by a birthday search over "w" + base-36 numbers; checked here so the test keeps its point.
    expect(termHash('w4pvu')).toBe(termHash('wb3ea'));
    const table = new TermTable();
    expect(table.numberOf('w4pvu')).toBe(0);
    expect(table.numberOf('wb3ea')).toBe(1);
    expect(table.numberOf('w4pvu')).toBe(0);
    expect(table.numberOf('wb3ea')).toBe(1);
  });

  it('keeps every number while it grows far past its first size', () => {
    const table = new TermTable();
    const words = Array.from({ length: 50_000 }, (_, index) => `t${(index * 7919).toString(36)}`);
    const indexes = words.map((_, index) => index);
    expect(words.map((word) => table.numberOf(word))).toEqual(indexes);
    expect(words.map((word) => table.numberOf(word))).toEqual(indexes);
    expect(table.terms).toEqual(words);
    expect(table.size).toBe(words.length);
  });

  it('stores non-ASCII and very long terms exactly (surrogate pairs, 10 000 characters)', () => {
    const table = new TermTable();
    const long = 'ab'.repeat(5000);
    const terms = ['zürich', '東京', '𝔘𝔫𝔦', long, `${long}c`];
    terms.forEach((term, index) => expect(table.numberOf(term)).toBe(index));
    expect(table.terms).toEqual(terms);
    expect(table.numberOf(`x${long}x`.slice(1, -1))).toBe(3);
  });
});
