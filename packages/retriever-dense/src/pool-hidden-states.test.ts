import { describe, expect, it } from 'vitest';
import { normalizeRows, poolHiddenStates } from './pool-hidden-states';

// Two sequences of 3 positions, hidden 2. Row 0 has 2 real tokens, row 1 has 3.
//   row 0: [1, 2], [3, 4], [100, 100] (padding)
//   row 1: [0, 1], [2, 3], [4, 8]
const hidden = Float32Array.from([1, 2, 3, 4, 100, 100, 0, 1, 2, 3, 4, 8]);
const mask = [1, 1, 0, 1, 1, 1];
const shape = { batch: 2, sequence: 3, hidden: 2 };

describe('poolHiddenStates', () => {
  it.each([
    // mean of the real tokens only: row 0 (1+3)/2, (2+4)/2; row 1 (0+2+4)/3, (1+3+8)/3
    ['mean', [2, 3, 2, 4]],
    // position 0 of each row
    ['cls', [1, 2, 0, 1]],
    // last real token: row 0 position 1, row 1 position 2
    ['last', [3, 4, 4, 8]],
  ] as const)('%s pooling gives %j', (pooling, expected) => {
    expect(Array.from(poolHiddenStates(hidden, mask, shape, pooling))).toEqual(expected);
  });

  it('reads bigint masks as onnxruntime feeds hold them', () => {
    const bigintMask = BigInt64Array.from(mask.map(BigInt));
    expect(Array.from(poolHiddenStates(hidden, bigintMask, shape, 'mean'))).toEqual([2, 3, 2, 4]);
  });

  it('gives zeros for mean pooling of a row without real tokens, and position 0 for last', () => {
    const empty = [0, 0, 0, 1, 1, 1];
    expect(Array.from(poolHiddenStates(hidden, empty, shape, 'mean')).slice(0, 2)).toEqual([0, 0]);
    expect(Array.from(poolHiddenStates(hidden, empty, shape, 'last')).slice(0, 2)).toEqual([1, 2]);
  });
});

describe('normalizeRows', () => {
  it('scales each row to unit length and leaves a zero row at zero', () => {
    const vectors = Float32Array.from([3, 4, 0, 0, -6, 8]);
    normalizeRows(vectors, 2);
    expect(Array.from(vectors)).toEqual([0.6, 0.8, 0, 0, -0.6, 0.8].map(Math.fround));
  });
});
