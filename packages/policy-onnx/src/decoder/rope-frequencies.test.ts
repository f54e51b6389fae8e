import { describe, expect, it } from 'vitest';
import { ropeInverseFrequencies } from './rope-frequencies';

describe('ropeInverseFrequencies', () => {
  it('default: 1 / theta^(2i/d)', () => {
    expect(Array.from(ropeInverseFrequencies({ headDim: 4, ropeTheta: 10000, ropeScaling: undefined }))).toEqual([
      1, 0.01,
    ]);
    const qwen = ropeInverseFrequencies({ headDim: 64, ropeTheta: 1_000_000, ropeScaling: undefined });
    expect(qwen).toHaveLength(32);
    expect(qwen[31]).toBeCloseTo(1_000_000 ** (-62 / 64), 15);
  });

  it('linear: every frequency divided by the factor', () => {
    expect(
      Array.from(ropeInverseFrequencies({ headDim: 4, ropeTheta: 10000, ropeScaling: { type: 'linear', factor: 4 } })),
    ).toEqual([0.25, 0.0025]);
  });

  it('llama3: long wavelengths scaled, short kept, the band between interpolated', () => {
    const scaling = {
      type: 'llama3' as const,
      factor: 8,
      lowFreqFactor: 1,
      highFreqFactor: 4,
      originalMaxPositionEmbeddings: 16,
    };
    // wavelengths: 2π ≈ 6.28 (between 16/4 = 4 and 16/1 = 16: interpolated), 200π (> 16: divided by 8)
    // s = (16 / 2π − 1) / (4 − 1) = 0.515493…; (1 − s)/8 + s = 0.576056…
    const [first, second] = ropeInverseFrequencies({ headDim: 4, ropeTheta: 10000, ropeScaling: scaling });
    expect(first).toBeCloseTo(0.5760563, 6);
    expect(second).toBeCloseTo(0.00125, 12);
    const [short] = ropeInverseFrequencies({
      headDim: 4,
      ropeTheta: 10000,
      ropeScaling: { ...scaling, originalMaxPositionEmbeddings: 4 },
    }); // 2π > 4/1: divided by 8
    expect(short).toBe(0.125);
    const [kept] = ropeInverseFrequencies({
      headDim: 4,
      ropeTheta: 10000,
      ropeScaling: { ...scaling, originalMaxPositionEmbeddings: 64 },
    }); // 2π < 64/4: kept
    expect(kept).toBe(1);
  });
});
