import type { TokenBatch } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { expectClose, seededRandom } from '@research-ts/testing';
import { numericGradient } from './numeric-gradient';
import { createTinyPolicy } from './tiny-policy';

const batch: TokenBatch = {
  // three rows of length 6; the second has two padding positions, the third four
  inputIds: Int32Array.from([1, 4, 2, 2, 0, 3, 3, 1, 4, 0, 0, 0, 2, 2, 0, 0, 0, 0]),
  attentionMask: Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0]),
  batch: 3,
  length: 6,
};

describe('tiny policy (the test model of the trainer)', () => {
  it('scores token t + 1 at position t with the log-softmax of the previous token, zero on padding', async () => {
    const policy = createTinyPolicy({ vocabSize: 5, hiddenSize: 3, seed: 1 });
    const scores = await policy.scoreTokens(batch);
    expect(scores.logprobs).toHaveLength(3 * 5);
    expect(scores.entropies).toHaveLength(3 * 5);
    // a bigram: row 0 position 2 (token 2 → 2) and row 2 position 0 (2 → 2) score what a lone [2, 2] scores
    const rows = Array.from({ length: 5 }, (_, k) => k);
    const full = await policy.scoreTokens({
      inputIds: Int32Array.from([2, 2]),
      attentionMask: Uint8Array.from([1, 1]),
      batch: 1,
      length: 2,
    });
    expect(scores.logprobs[2]).toBe(full.logprobs[0]); // 2 → 2
    expect(scores.logprobs[5 * 2 + 0]).toBe(full.logprobs[0]); // row 2: 2 → 2
    // each distribution sums to 1 and its entropy is −Σ p log p
    for (const previous of rows) {
      const pieces = await Promise.all(
        rows.map((next) =>
          policy.scoreTokens({
            inputIds: Int32Array.from([previous, next]),
            attentionMask: Uint8Array.from([1, 1]),
            batch: 1,
            length: 2,
          }),
        ),
      );
      const probabilities = pieces.map((piece) => Math.exp(piece.logprobs[0]!));
      expectClose(
        probabilities.reduce((a, b) => a + b, 0),
        1,
        { atol: 1e-6 },
      );
      const entropy = -pieces.reduce((sum, piece) => sum + Math.exp(piece.logprobs[0]!) * piece.logprobs[0]!, 0);
      expectClose(pieces[0]!.entropies[0]!, entropy, { atol: 1e-6 });
    }
    // row 1 scores positions 0..2 (tokens 1, 4, 0); positions 3, 4 touch padding
    expect([...scores.logprobs.subarray(5 + 3, 5 + 5)]).toEqual([0, 0]);
    expect([...scores.entropies.subarray(5 * 2 + 1)]).toEqual([0, 0, 0, 0]);
  });

  it('back-propagates upstream gradients of logprobs and entropies (central differences)', async () => {
    const policy = createTinyPolicy({ vocabSize: 5, hiddenSize: 3, seed: 2 });
    const random = seededRandom(9);
    const size = batch.batch * (batch.length - 1);
    const gradLogprobs = Float32Array.from({ length: size }, () => random() * 2 - 1);
    const gradEntropies = Float32Array.from({ length: size }, () => random() * 2 - 1);
    const objective = () => {
      const { logprobs, entropies } = policy.scoreTokensFloat64(batch);
      let sum = 0;
      for (let index = 0; index < size; index++)
        sum += gradLogprobs[index]! * logprobs[index]! + gradEntropies[index]! * entropies[index]!;
      return sum;
    };
    for (const upstream of [
      { gradLogprobs, gradEntropies: new Float32Array(size) },
      { gradLogprobs: new Float32Array(size), gradEntropies },
      { gradLogprobs, gradEntropies },
    ]) {
      const saved = { gradLogprobs: gradLogprobs.slice(), gradEntropies: gradEntropies.slice() };
      gradLogprobs.set(upstream.gradLogprobs);
      gradEntropies.set(upstream.gradEntropies);
      const analytic = policy.parameterGradients(batch, upstream);
      expect([...analytic.keys()]).toEqual([...policy.parameters.keys()]);
      await policy.accumulateGradients(batch, upstream);
      const accumulated = await policy.readGradients();
      await policy.zeroGradients();
      for (const [name, value] of policy.parameters) {
        expect(accumulated.get(name), `${name}: accumulated as computed`).toEqual(analytic.get(name));
        const numeric = numericGradient(value, objective);
        const largest = Math.max(...numeric.map(Math.abs));
        expect(largest, `${name}: some gradient`).toBeGreaterThan(1e-3);
        expectClose(analytic.get(name)!, numeric, { atol: 2e-5 * largest, label: name });
      }
      gradLogprobs.set(saved.gradLogprobs);
      gradEntropies.set(saved.gradEntropies);
    }
  });

  it('samples the same tokens for the same seed and stops on an EOS id', async () => {
    const policy = createTinyPolicy({ vocabSize: 5, hiddenSize: 3, seed: 3, eosIds: [0] });
    const request = { inputIds: [1, 2], maxNewTokens: 12, sampling: { seed: 5 }, logprobs: true };
    const [first] = await policy.generate([request]);
    const [second] = await policy.generate([request]);
    expect(second).toEqual(first);
    expect(first!.outputIds.length).toBeGreaterThan(0);
    if (first!.finishReason === 'eos') expect(first!.outputIds.at(-1)).toBe(0);
    else expect(first!.outputIds).toHaveLength(12);
    // the reported logprobs are the model's
    const ids = [2, ...first!.outputIds];
    const scores = policy.scoreTokensFloat64({
      inputIds: Int32Array.from(ids),
      attentionMask: new Uint8Array(ids.length).fill(1),
      batch: 1,
      length: ids.length,
    });
    expectClose(first!.logprobs!, scores.logprobs, { atol: 1e-12 });
  });
});
