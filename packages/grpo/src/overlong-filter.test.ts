import { InvalidConfigError, InvalidInputError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { readFixture } from '../test/read-fixture';
import { dropSamples, overlongFilterMask } from './overlong-filter';

interface FilterTable {
  maxResponseLength: number;
  responseLengths: number[];
  finished: boolean[];
  keepWithFinished: number[];
  keepByLength: number[];
}
const { overlongFilter: table } = await readFixture<{ overlongFilter: FilterTable }>('dapo.json');

describe('overlongFilterMask (DAPO overlong filtering)', () => {
  it('drops the samples cut off at the limit', () => {
    const { maxResponseLength, responseLengths, finished } = table;
    expect([...overlongFilterMask({ responseLengths, maxResponseLength, finished })]).toEqual(table.keepWithFinished);
    expect([...overlongFilterMask({ responseLengths, maxResponseLength })]).toEqual(table.keepByLength);
    // a response that ended with EOS exactly at the limit is kept; one that did not is dropped
    expect([...overlongFilterMask({ responseLengths: [20, 20], maxResponseLength: 20, finished: [1, 0] })]).toEqual([
      1, 0,
    ]);
  });

  it('rejects bad input', () => {
    expect(() => overlongFilterMask({ responseLengths: [1], maxResponseLength: 0 })).toThrow(InvalidConfigError);
    expect(() => overlongFilterMask({ responseLengths: [1, 2], maxResponseLength: 5, finished: [true] })).toThrow(
      'field "finished": expected 2 values',
    );
    expect(() => overlongFilterMask({ responseLengths: [1, Number.NaN], maxResponseLength: 5 })).toThrow(
      InvalidInputError,
    );
  });
});

describe('dropSamples', () => {
  it('zeroes the rows of dropped samples and keeps the mask type', () => {
    const mask = Float32Array.from([1, 1, 0, 0.5, 1, 1, 1, 1, 0]);
    const out = dropSamples(mask, 3, Uint8Array.from([1, 0, 1]));
    expect(out).toBeInstanceOf(Float32Array);
    expect([...out]).toEqual([1, 1, 0, 0, 0, 0, 1, 1, 0]);
    expect(mask[3]).toBe(0.5); // the input is not modified
    expect(() => dropSamples(mask, 3, [true])).toThrow('field "keep": expected 3 values');
  });
});
