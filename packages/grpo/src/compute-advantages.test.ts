import { InvalidConfigError, InvalidInputError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { expectClose } from '@research-ts/testing';
import { readFixture } from '../test/read-fixture';
import { advantageModes, computeAdvantages, computeGrpoAdvantages, type AdvantageMode } from './compute-advantages';

interface WorkedAdvantages {
  advantages: {
    scores: number[];
    groupIds: string[];
    tables: { mode: AdvantageMode; epsilon: number; advantages: number[] }[];
  };
}
interface TorchReference {
  verlAdvantageFloat32: { scores: number[]; advantages: number[] };
}
const worked = await readFixture<WorkedAdvantages>('worked-values.json');
const torch = await readFixture<TorchReference>('torch-reference.json');

describe('computeGrpoAdvantages (verl)', () => {
  it('reproduces the reference example: rewards [1, 0.1, 0.1, 0, 0.5]', () => {
    // mean 0.34, unbiased std 0.415933 → (r − 0.34) / (0.415933 + 1e-6)
    const advantages = computeGrpoAdvantages({ scores: [1, 0.1, 0.1, 0, 0.5], groupIds: [0, 0, 0, 0, 0] });
    expectClose(advantages, [1.5868, -0.577, -0.577, -0.8174, 0.3847], { atol: 5e-5, label: 'A' });
    expectClose(
      advantages,
      [0.66, -0.24, -0.24, -0.34, 0.16].map((d) => d / (Math.sqrt(0.692 / 4) + 1e-6)),
      { atol: 1e-12 },
    );
  });

  it('agrees with the float32 torch computation to float32 precision', () => {
    const { scores, advantages } = torch.verlAdvantageFloat32;
    expectClose(computeGrpoAdvantages({ scores, groupIds: scores.map(() => 'q') }), advantages, {
      atol: 3e-7,
      label: 'A',
    });
  });

  it('gives a group of one mean 0 and std 1, and an all-equal group exactly 0', () => {
    const advantages = computeGrpoAdvantages({
      scores: [0.7, 0.1, 0.1, 0.1, 0.2, 0.2, 0.2],
      groupIds: ['a', 'b', 'b', 'b', 'c', 'c', 'c'],
    });
    expect(advantages[0]).toBe(0.7 / (1 + 1e-6));
    expect([...advantages.slice(1)]).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('drops the std with normalizeByStd: false (Dr.GRPO) and honours epsilon', () => {
    expectClose(
      computeGrpoAdvantages({ scores: [1, 0, 0.5], groupIds: [1, 1, 1], normalizeByStd: false }),
      [0.5, -0.5, 0],
      { atol: 1e-15 },
    );
    // std of [1, 0] is √0.5; ε = 0.5 changes the divisor visibly
    expectClose(computeGrpoAdvantages({ scores: [1, 0], groupIds: [1, 1], epsilon: 0.5 }), [
      0.5 / (Math.SQRT1_2 + 0.5),
      -0.5 / (Math.SQRT1_2 + 0.5),
    ]);
  });

  it('groups by id wherever the samples sit in the batch', () => {
    const interleaved = computeGrpoAdvantages({
      scores: [1, 5, 0, 3, 0.5, 4],
      groupIds: ['x', 'y', 'x', 'y', 'x', 'y'],
    });
    const x = computeGrpoAdvantages({ scores: [1, 0, 0.5], groupIds: ['x', 'x', 'x'] });
    const y = computeGrpoAdvantages({ scores: [5, 3, 4], groupIds: ['y', 'y', 'y'] });
    expectClose(interleaved, [x[0]!, y[0]!, x[1]!, y[1]!, x[2]!, y[2]!], { atol: 1e-15 });
  });
});

describe('computeAdvantages worked tables', () => {
  const { scores, groupIds, tables } = worked.advantages;
  it.each(tables)('$mode (ε = $epsilon)', ({ mode, epsilon, advantages }) => {
    expect(advantageModes[mode].defaultEpsilon).toBe(epsilon);
    const result = computeAdvantages({ scores, groupIds, mode });
    expectClose(result.advantages, advantages, { atol: 1e-9, label: mode });
    // the all-equal group q3 is exactly zero in every mode
    expect([...result.advantages.slice(7, 10)]).toEqual([0, 0, 0]);
  });

  it('differs between verl and TRL only where the rules differ', () => {
    const verl = computeAdvantages({ scores, groupIds, mode: 'grpo' }).advantages;
    const trl = computeAdvantages({ scores, groupIds, mode: 'trl-group' }).advantages;
    // singleton group q4: verl keeps the raw score (mean 0, std 1), TRL gives 0
    expect(verl[10]).toBeCloseTo(0.9 / (1 + 1e-6), 15);
    expect(trl[10]).toBe(0);
    // q2 = [0.3, 0.7]: std √0.08; the epsilons differ (1e-6 vs 1e-4)
    expect(verl[5]).toBeCloseTo(-0.2 / (Math.sqrt(0.08) + 1e-6), 12);
    expect(trl[5]).toBeCloseTo(-0.2 / (Math.sqrt(0.08) + 1e-4), 12);
  });

  it('reports the mean and std each sample used', () => {
    const result = computeAdvantages({ scores: [1, 0, 9], groupIds: [0, 0, 1], mode: 'trl-batch' });
    expectClose(result.means, [0.5, 0.5, 9]);
    const batchStd = Math.sqrt(((1 - 10 / 3) ** 2 + (10 / 3) ** 2 + (9 - 10 / 3) ** 2) / 2);
    expectClose(result.stds, [batchStd, batchStd, batchStd], { atol: 1e-12 });
    expectClose(result.advantages, [0.5 / (batchStd + 1e-4), -0.5 / (batchStd + 1e-4), 0], { atol: 1e-15 });
    expect(Number.isNaN(computeAdvantages({ scores: [1, 0], groupIds: [0, 0], mode: 'dr-grpo' }).stds[0])).toBe(true);
  });

  it('uses batch std 0 for a batch of one sample (TRL)', () => {
    expect([...computeAdvantages({ scores: [3], groupIds: [0], mode: 'trl-batch' }).advantages]).toEqual([0]);
  });

  it('lets a NaN score poison only its group', () => {
    const result = computeGrpoAdvantages({ scores: [1, Number.NaN, 0, 1], groupIds: [0, 0, 1, 1] });
    expect(Number.isNaN(result[0])).toBe(true);
    expectClose([result[2]!, result[3]!], [-0.5 / (Math.SQRT1_2 + 1e-6), 0.5 / (Math.SQRT1_2 + 1e-6)], { atol: 1e-12 });
  });

  it('rejects mismatched lengths, bad epsilon and unknown modes', () => {
    expect(() => computeAdvantages({ scores: [1, 2], groupIds: [0] })).toThrow(InvalidInputError);
    expect(() => computeAdvantages({ scores: [1, 2], groupIds: [0] })).toThrow(
      'expected 2 group ids (one per score), got 1',
    );
    expect(() => computeAdvantages({ scores: [1], groupIds: [0], epsilon: -1 })).toThrow(InvalidConfigError);
    expect(() => computeAdvantages({ scores: [1], groupIds: [0], mode: 'ppo' as AdvantageMode })).toThrow(
      'unknown advantage mode "ppo"',
    );
  });
});
