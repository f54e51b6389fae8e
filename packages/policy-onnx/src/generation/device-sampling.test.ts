import { describe, expect, it } from 'vitest';
import { tinyWordTokenizer } from '../__fixtures__/tiny-word-model';
import { uploadTensor } from '../backend/onnxruntime';
import { SeededRandom } from '@research-ts/spec';
import { planDraw, resolveDraws, samplingFeed } from './device-sampling';
import { sampleToken } from './sampling';
import { createSequences } from './sequence';

const tokenizer = tinyWordTokenizer();
const vocab = 8;
const sequencesFor = (samplings: Array<{ temperature?: number; topP?: number; topK?: number; seed: number }>) =>
  createSequences(
    samplings.map((sampling) => ({ inputIds: [1], maxNewTokens: 4, sampling })),
    tokenizer,
    vocab,
  );

describe('device sampling plans and resolution', () => {
  it('draws a uniform number at plan time only for temperature draws the graph makes, in sampleToken order', () => {
    const [greedy, sampled, nucleus] = sequencesFor([
      { temperature: 0, seed: 1 },
      { temperature: 1, seed: 2 },
      { temperature: 1, topP: 0.5, seed: 3 },
    ]);
    const draws = [
      planDraw(greedy!, 0, vocab, true),
      planDraw(sampled!, 1, vocab, true),
      planDraw(nucleus!, 1, vocab, true),
    ];
    expect(draws.map((draw) => [draw.onHost, draw.uniform === undefined])).toEqual([
      [false, true],
      [false, false],
      [true, true],
    ]);
    expect(draws[1]!.uniform).toBe(new SeededRandom(2).nextFloat());
    expect(Array.from(samplingFeed(draws))).toEqual([0, 0, 0, 1, 1, Math.fround(draws[1]!.uniform!), 1, 0, 0]);
    expect(planDraw(sampled!, 0, vocab, false).onHost).toBe(true); // no sampler in the graph
    expect(samplingFeed([]).length).toBe(3); // one ignored draw: no zero-sized tensor
  });

  it("takes the sampler's tokens unless a draw is on the host or too close to call, then sampleToken over the logits", async () => {
    const logits = new Float32Array(2 * vocab);
    new SeededRandom(4).fillNormal(logits, 1);
    const device = await uploadTensor('cpu', { data: logits, dims: [2, vocab] });
    const [confident, close, nucleus] = sequencesFor([
      { temperature: 1, seed: 1 },
      { temperature: 1, seed: 2 },
      { temperature: 1, topP: 0.5, seed: 3 },
    ]);
    const draws = [
      planDraw(confident!, 0, vocab, true),
      planDraw(close!, 1, vocab, true),
      planDraw(nucleus!, 0, vocab, true),
    ];
    const samples = Float32Array.from([5, -1.5, 0.3, 6, -2.5, 1e-6, 0, 0, 0]);
    const tokens = await resolveDraws(draws, samples, device, vocab);
    const row = (index: number) => logits.subarray(index * vocab, (index + 1) * vocab);
    expect(tokens[0]).toEqual({ id: 5, logprob: -1.5 });
    expect(tokens[1]).toEqual(sampleToken(row(1), close!.settings, { nextFloat: () => draws[1]!.uniform! }));
    const reference = new SeededRandom(3);
    expect(tokens[2]).toEqual(sampleToken(row(0), nucleus!.settings, reference));
    expect(nucleus!.random.nextFloat()).toBe(reference.nextFloat()); // the same number of draws taken
    device.dispose();
  });
});
