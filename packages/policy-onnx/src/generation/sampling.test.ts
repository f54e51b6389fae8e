import { describe, expect, it } from 'vitest';
import { SeededRandom } from '@research-ts/spec';
import { resolveSampling, sampleToken } from './sampling';

const settings = (temperature: number, topP = 1, topK = 0) => ({ temperature, topP, topK });

describe('sampleToken', () => {
  it('greedy: the largest logit, lowest id among ties, logprob from the temperature-1 softmax', () => {
    const random = new SeededRandom(1);
    expect(sampleToken([0, 2, 2, 1], settings(0), random)).toEqual({
      id: 1,
      logprob: 2 - Math.log(1 + 2 * Math.exp(2) + Math.exp(1)),
    });
    expect(sampleToken([-5], settings(0), random).id).toBe(0);
  });

  it('probabilities ln(1), ln(2), ln(3), ln(4): each token drawn in proportion, with its exact logprob', () => {
    // softmax of [0, ln2, ln3, ln4] at temperature 1 = [0.1, 0.2, 0.3, 0.4]
    const logits = [0, Math.log(2), Math.log(3), Math.log(4)];
    const random = new SeededRandom(42);
    const counts = [0, 0, 0, 0];
    for (let draw = 0; draw < 20000; draw++) {
      const { id, logprob } = sampleToken(logits, settings(1), random);
      counts[id]! += 1;
      expect(logprob).toBeCloseTo(Math.log((id + 1) / 10), 12);
    }
    counts.forEach((count, id) => expect(Math.abs(count / 20000 - (id + 1) / 10)).toBeLessThan(0.015));
  });

  it('temperature 0.5 squares the odds; top-k 2 keeps 3 and 4 (3/7, 4/7); top-p 0.65 keeps 4 and 3', () => {
    const logits = [0, Math.log(2), Math.log(3), Math.log(4)];
    const random = new SeededRandom(7);
    const logprobOf = (options: ReturnType<typeof settings>, wanted: number) => {
      for (;;) {
        const sampled = sampleToken(logits, options, random);
        if (sampled.id === wanted) return sampled.logprob;
      }
    };
    expect(logprobOf(settings(0.5), 3)).toBeCloseTo(Math.log(16 / 30), 12); // [1, 4, 9, 16] / 30
    expect(logprobOf(settings(1, 1, 2), 2)).toBeCloseTo(Math.log(3 / 7), 12);
    expect(logprobOf(settings(1, 0.65), 2)).toBeCloseTo(Math.log(0.3 / 0.7), 12); // 0.4 + 0.3 reaches 0.65
    for (let draw = 0; draw < 200; draw++) {
      expect([2, 3]).toContain(sampleToken(logits, settings(1, 1, 2), random).id);
      expect([2, 3]).toContain(sampleToken(logits, settings(1, 0.65), random).id);
      expect(sampleToken(logits, settings(1, 0.35), random).id).toBe(3); // 0.4 alone reaches 0.35
    }
  });

  it('top-p over a large flat-tailed vocabulary finds the nucleus without sorting everything', () => {
    const logits = new Float32Array(50000).fill(0);
    logits[123] = 12; // e¹² / (e¹² + e¹¹ + 49998) ≈ 0.597
    logits[77] = 11; // ≈ 0.220: together 0.817, the other 49998 tokens ≈ 3.7e-6 each
    const random = new SeededRandom(3);
    for (let draw = 0; draw < 50; draw++) expect([123, 77]).toContain(sampleToken(logits, settings(1, 0.8), random).id);
  });

  it('the same seed gives the same draws', () => {
    const logits = Array.from({ length: 50 }, (_, index) => Math.sin(index));
    const run = (seed: number) => {
      const random = new SeededRandom(seed);
      return Array.from({ length: 20 }, () => sampleToken(logits, settings(1.3, 0.95, 20), random).id);
    };
    expect(run(9)).toEqual(run(9));
    expect(run(9)).not.toEqual(run(10));
  });
});

describe('resolveSampling', () => {
  it('defaults: temperature 1, top-p 1, top-k 0; bad values name the field', () => {
    expect(resolveSampling(undefined)).toEqual({ temperature: 1, topP: 1, topK: 0 });
    expect(() => resolveSampling({ temperature: -1 })).toThrow(
      'sampling, field "temperature": must be a finite number >= 0, got -1',
    );
    expect(() => resolveSampling({ topP: 1.5 }, 'requests[2].sampling')).toThrow(
      'requests[2].sampling, field "topP": must be in (0, 1], got 1.5',
    );
    expect(() => resolveSampling({ topK: 2.5 })).toThrow('field "topK"');
  });
});
