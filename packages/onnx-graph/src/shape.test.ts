import { describe, expect, it } from 'vitest';
import { broadcastShapes, formatShape } from './index.js';
import type { Dim } from './index.js';
import { normalizeAxes, normalizeAxis, staticSize } from './shape.js';

describe('broadcastShapes', () => {
  const table: [Dim[], Dim[], Dim[]][] = [
    [
      [2, 3],
      [2, 3],
      [2, 3],
    ],
    [[2, 3], [3], [2, 3]],
    [
      [2, 1],
      [1, 4],
      [2, 4],
    ],
    [[], [5], [5]],
    [
      [4, 1, 3],
      [2, 1],
      [4, 2, 3],
    ],
    [['batch', 3], [3], ['batch', 3]],
    [
      ['batch', 1],
      [1, 'seq'],
      ['batch', 'seq'],
    ],
    [
      ['n', 3],
      [5, 3],
      [5, 3],
    ], // a symbol meets a static size: taken as that size
    [['seq', 'seq'], ['seq'], ['seq', 'seq']],
    [
      [0, 3],
      [1, 3],
      [0, 3],
    ],
  ];
  for (const [left, right, expected] of table) {
    it(`${formatShape(left)} with ${formatShape(right)} -> ${formatShape(expected)}`, () => {
      expect(broadcastShapes('Add', [left, right])).toEqual(expected);
      expect(broadcastShapes('Add', [right, left])).toEqual(expected);
    });
  }

  it('three shapes at once', () => {
    expect(broadcastShapes('Where', [[1, 'seq'], ['batch', 1, 1], [4]])).toEqual(['batch', 1, 4]);
    expect(broadcastShapes('Where', [[1, 'seq'], ['batch', 1, 1], []])).toEqual(['batch', 1, 'seq']);
  });

  it('errors name the op, the dims, the axis and every shape', () => {
    expect(() =>
      broadcastShapes('Add', [
        [2, 3],
        [4, 3],
      ]),
    ).toThrow('Add: cannot broadcast dim 2 with 4 at axis -2 (shapes [2, 3] and [4, 3])');
    expect(() => broadcastShapes('Mul', [['a'], ['b']])).toThrow(
      'Mul: cannot broadcast dim a with b at axis -1 (shapes [a] and [b])',
    );
  });
});

describe('axes', () => {
  it('normalizes negative axes and sorts', () => {
    expect(normalizeAxis('Op', -1, 3)).toBe(2);
    expect(normalizeAxes('Op', [-1, 0], 3)).toEqual([0, 2]);
    expect(() => normalizeAxis('Op', 3, 3, [[1, 2, 3]])).toThrow(
      'Op: axis 3 is out of range for rank 3 (shapes [1, 2, 3])',
    );
    expect(() => normalizeAxis('Op', 0.5, 3)).toThrow('Op: axis 0.5 is out of range for rank 3');
  });

  it('static sizes', () => {
    expect(staticSize([2, 3, 4])).toBe(24);
    expect(staticSize([])).toBe(1);
    expect(staticSize([2, 'n'])).toBeUndefined();
  });
});
