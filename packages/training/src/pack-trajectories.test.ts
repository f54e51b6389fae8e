import { InvalidConfigError, InvalidInputError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '@research-ts/testing';
import { makeTrajectory } from '../test/make-trajectory';
import { fromScorePositions, packTrajectories, toScorePositions, type TrainingSample } from './pack-trajectories';

const sample = (promptIds: number[], responseIds: number[], lossMask?: number[]): TrainingSample => ({
  trajectory: makeTrajectory(promptIds, responseIds, lossMask),
  groupId: 'q',
  reward: 0,
});

describe('packTrajectories', () => {
  it('packs a worked example: longest first, right padding, loss mask on score positions', () => {
    const samples = [
      sample([5, 6], [7, 8, 9], [1, 0, 1]), // length 5; token 8 is an inserted result token
      sample([1], [2]), // length 2
      sample([3, 4, 4], [1, 1, 1, 1]), // length 7
      sample([2, 2], []), // length 2, nothing to train on
    ];
    const packed = packTrajectories(samples, { maxTokensPerMicroBatch: 10, padId: 0 });
    // order 2 (7), 0 (5), 1 (2), 3 (2); ⌊10/7⌋ = 1 row, ⌊10/5⌋ = 2 rows, ⌊10/2⌋ = 5 rows
    expect(packed.microBatches.map((micro) => [...micro.sampleIndices])).toEqual([[2], [0, 1], [3]]);
    const [first, second, third] = packed.microBatches;

    expect(first!.batch).toEqual({
      inputIds: Int32Array.from([3, 4, 4, 1, 1, 1, 1]),
      attentionMask: new Uint8Array(7).fill(1),
      batch: 1,
      length: 7,
    });
    // prompt length 3: response token j is scored at position 2 + j
    expect([...first!.lossMask]).toEqual([0, 0, 1, 1, 1, 1]);

    expect(second!.batch.length).toBe(5);
    expect([...second!.batch.inputIds]).toEqual([5, 6, 7, 8, 9, 1, 2, 0, 0, 0]);
    expect([...second!.batch.attentionMask]).toEqual([1, 1, 1, 1, 1, 1, 1, 0, 0, 0]);
    // row 0: prompt 2, positions 1, 2, 3 score tokens 7, 8, 9 with mask 1, 0, 1; row 1: position 0 scores token 2
    expect([...second!.lossMask]).toEqual([0, 1, 0, 1, 1, 0, 0, 0]);
    expect([...second!.responseStarts]).toEqual([2, 1]);
    expect([...second!.responseLengths]).toEqual([3, 1]);
    expect(second!.lossTokenCount).toBe(3);

    expect([...third!.batch.inputIds]).toEqual([2, 2]);
    expect([...third!.lossMask]).toEqual([0]);
    expect(third!.lossTokenCount).toBe(0);

    expect([...packed.microBatchOfSample]).toEqual([1, 1, 0, 2]);
    expect([...packed.rowOfSample]).toEqual([0, 1, 0, 0]);
    expect(packed).toMatchObject({
      tokenCount: 16,
      paddedTokenCount: 7 + 10 + 2,
      lossTokenCount: 7,
      responseTokenCount: 8,
      lossSequenceCount: 3,
      maxResponseLength: 4,
    });
  });

  it('writes the pad id into padding and gives a too-long sequence its own micro-batch', () => {
    const packed = packTrajectories([sample([1, 2, 3], [4, 5, 6]), sample([1], [9])], {
      maxTokensPerMicroBatch: 4,
      padId: 77,
    });
    expect(packed.microBatches.map((micro) => micro.batch.batch)).toEqual([1, 1]);
    expect([...packed.microBatches[0]!.batch.inputIds]).toEqual([1, 2, 3, 4, 5, 6]);
    const padded = packTrajectories([sample([1, 2, 3], [4]), sample([1], [9])], {
      maxTokensPerMicroBatch: 8,
      padId: 77,
    });
    expect([...padded.microBatches[0]!.batch.inputIds]).toEqual([1, 2, 3, 4, 1, 9, 77, 77]);
  });

  it('respects the budget and round-trips every sample on random input', () => {
    const random = seededRandom(3);
    const integer = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
    for (let trial = 0; trial < 20; trial++) {
      const samples = Array.from({ length: integer(1, 30) }, () => {
        const prompt = Array.from({ length: integer(1, 8) }, () => integer(0, 50));
        const response = Array.from({ length: integer(0, 20) }, () => integer(0, 50));
        return sample(
          prompt,
          response,
          response.map(() => (random() < 0.7 ? 1 : 0)),
        );
      });
      const budget = integer(10, 120);
      const packed = packTrajectories(samples, { maxTokensPerMicroBatch: budget, padId: 99 });
      const seen = new Set<number>();
      let lossTokens = 0;
      for (const [index, micro] of packed.microBatches.entries()) {
        const { batch, length } = micro.batch;
        expect(batch === 1 || batch * length <= budget, `micro-batch ${index}: ${batch} × ${length} > ${budget}`).toBe(
          true,
        );
        expect(micro.lossMask.length).toBe(batch * (length - 1));
        micro.sampleIndices.forEach((sampleIndex, row) => {
          seen.add(sampleIndex);
          expect(packed.microBatchOfSample[sampleIndex]).toBe(index);
          expect(packed.rowOfSample[sampleIndex]).toBe(row);
          const { promptIds, responseIds, lossMask } = samples[sampleIndex]!.trajectory;
          const ids = [...micro.batch.inputIds.subarray(row * length, (row + 1) * length)];
          const realLength = promptIds.length + responseIds.length;
          expect(ids).toEqual([...promptIds, ...responseIds, ...Array<number>(length - realLength).fill(99)]);
          const scoreRow = [...micro.lossMask.subarray(row * (length - 1), (row + 1) * (length - 1))];
          const expected = Array<number>(length - 1).fill(0);
          lossMask.forEach((value, j) => (expected[promptIds.length - 1 + j] = value));
          expect(scoreRow).toEqual(expected);
          lossTokens += lossMask.reduce((sum, value) => sum + value, 0);
        });
        // longest first
        if (index > 0) expect(length).toBeLessThanOrEqual(packed.microBatches[index - 1]!.batch.length);
      }
      expect(seen.size).toBe(samples.length);
      expect(packed.lossTokenCount).toBe(lossTokens);
      // deterministic
      expect(packTrajectories(samples, { maxTokensPerMicroBatch: budget, padId: 99 })).toEqual(packed);
    }
  });

  it('rejects bad input with the field that is wrong', () => {
    const options = { maxTokensPerMicroBatch: 16, padId: 0 };
    expect(() => packTrajectories([], options)).toThrow(
      new InvalidInputError('no samples to pack', { field: 'samples' }),
    );
    expect(() => packTrajectories([sample([], [1])], options)).toThrow(
      /samples\.0\.trajectory\.promptIds.*prompt is empty/,
    );
    const unequal = {
      ...sample([1], [2, 3]),
      trajectory: { ...makeTrajectory([1], [2, 3]), lossMask: Uint8Array.from([1]) },
    };
    expect(() => packTrajectories([sample([1], [2]), unequal], options)).toThrow(
      /samples\.1\.trajectory\.lossMask.*1 values for 2 response tokens/,
    );
    expect(() => packTrajectories([sample([1], [2, 3], [1, 2])], options)).toThrow(
      /lossMask\[1\] is 2, expected 0 or 1/,
    );
    expect(() => packTrajectories([sample([1], [2, -3])], options)).toThrow(/responseIds.*token 1 is -3/);
    expect(() => packTrajectories([sample([1.5], [2])], options)).toThrow(/promptIds.*token 0 is 1.5/);
    expect(() => packTrajectories([sample([1], [2])], { maxTokensPerMicroBatch: 0, padId: 0 })).toThrow(
      InvalidConfigError,
    );
    expect(() => packTrajectories([sample([1], [2])], { maxTokensPerMicroBatch: 8, padId: -1 })).toThrow(/padId/);
  });
});

describe('toScorePositions / fromScorePositions', () => {
  it('move response-aligned values onto each row’s score positions and back', () => {
    const samples = [sample([5, 6], [7, 8, 9]), sample([1], [2]), sample([3, 4, 4], [1, 1, 1, 1]), sample([2, 2], [])];
    const width = 4;
    // value 10·(sample + 1) + j for response token j, NaN past each response
    const values = Float64Array.from({ length: samples.length * width }, (_, index) => {
      const [row, j] = [Math.floor(index / width), index % width];
      return j < samples[row]!.trajectory.responseIds.length ? 10 * (row + 1) + j : Number.NaN;
    });
    const packed = packTrajectories(samples, { maxTokensPerMicroBatch: 10, padId: 0 });
    const second = packed.microBatches[1]!; // samples 0 (prompt 2, response 3) and 1 (prompt 1, response 1), length 5
    expect([...second.sampleIndices]).toEqual([0, 1]);
    const scores = toScorePositions(values, width, second, new Float32Array(8).fill(-1));
    // row 0: response tokens at score positions 1, 2, 3; row 1: its one token at position 0
    expect([...scores]).toEqual([0, 10, 11, 12, 20, 0, 0, 0]);
    const back = new Float64Array(samples.length * width).fill(Number.NaN);
    for (const micro of packed.microBatches) {
      const own = toScorePositions(values, width, micro, new Float64Array(micro.lossMask.length));
      fromScorePositions(own, micro, width, back);
    }
    expect([...back]).toEqual([...values]);
  });
});
