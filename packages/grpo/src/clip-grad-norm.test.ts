import { InvalidConfigError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { expectClose } from '@research-ts/testing';
import { readFixture } from '../test/read-fixture';
import { clipGradNorm } from './clip-grad-norm';

interface ClipCase {
  maxNorm: number;
  gradients: number[][];
  totalNorm: number;
  clipped: number[][];
}
const torch = await readFixture<{ clipGradNorm: ClipCase[] }>('torch-reference.json');

describe('clipGradNorm', () => {
  it('by hand: norm 5 clipped to 1 with the 1e-6 epsilon', () => {
    const a = Float32Array.from([3, 0]);
    const b = Float32Array.from([0, 4]);
    expect(clipGradNorm([a, b], 1)).toBe(5);
    const coefficient = 1 / (5 + 1e-6);
    expect([...a, ...b]).toEqual([Math.fround(3 * coefficient), 0, 0, Math.fround(4 * coefficient)]);
  });

  it('leaves gradients under the limit untouched (the coefficient is clamped to 1)', () => {
    const a = Float32Array.from([0.3, -0.4]);
    expect(clipGradNorm({ w: a }, 1)).toBeCloseTo(0.5, 7);
    expect([...a]).toEqual([Math.fround(0.3), Math.fround(-0.4)]);
  });

  it('matches torch.nn.utils.clip_grad_norm_', () => {
    for (const { maxNorm, gradients, totalNorm, clipped } of torch.clipGradNorm) {
      const arrays = gradients.map((values) => Float32Array.from(values));
      expectClose(clipGradNorm(new Map(arrays.map((array, index) => [`p${index}`, array])), maxNorm), totalNorm, {
        rtol: 1e-6,
      });
      expectClose(
        arrays.flatMap((array) => [...array]),
        clipped.flat(),
        { atol: 1e-9, rtol: 1e-6 },
      );
    }
  });

  it('reports a non-finite norm and leaves the gradients alone (the step is skipped)', () => {
    const a = Float32Array.from([1, Number.NaN]);
    expect(Number.isNaN(clipGradNorm([a], 1))).toBe(true);
    expect(a[0]).toBe(1);
    // squares accumulate in float64: finite where a float32 sum of squares would overflow
    const b = Float32Array.from([3e38, 3e38]);
    expectClose(clipGradNorm([b], 1), Math.SQRT2 * Math.fround(3e38), { rtol: 1e-15 });
    expectClose([...b], [Math.SQRT1_2, Math.SQRT1_2], { rtol: 1e-7 });
  });

  it('rejects a non-positive limit', () => {
    expect(() => clipGradNorm([], 0)).toThrow(InvalidConfigError);
    expect(clipGradNorm([], 1)).toBe(0);
  });
});
