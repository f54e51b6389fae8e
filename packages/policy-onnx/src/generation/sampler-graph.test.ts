import { GraphBuilder } from '@research-ts/onnx-graph';
import { afterAll, describe, expect, it } from 'vitest';
import { createSession, runSession, type OnnxSession } from '../backend/onnxruntime';
import { SeededRandom } from '@research-ts/spec';
import { appendSampler, samplesOutputName, samplingInputName } from './sampler-graph';
import { sampleToken } from './sampling';

const vocab = 50;

describe('appendSampler (cpu provider) against sampleToken', () => {
  let session: OnnxSession | undefined;
  const sampler = async () => {
    if (session !== undefined) return session;
    const graph = new GraphBuilder({ name: 'sampler' });
    appendSampler(graph, graph.input('logits', 'float32', ['rows', vocab]), vocab);
    session = await createSession(graph.serialize(), { executionProvider: 'cpu', intraOpNumThreads: 1 });
    return session;
  };
  afterAll(() => session?.release());
  const random = new SeededRandom(11);
  const logits = new Float32Array(4 * vocab);
  random.fillNormal(logits, 3);
  logits[3 * vocab + 7] = logits[3 * vocab + 9] = 20; // a tie: the lower id wins
  const run = async (draws: number[][]) => {
    const outputs = await runSession(await sampler(), {
      logits: { data: logits, dims: [4, vocab] },
      [samplingInputName]: { data: Float32Array.from(draws.flat()), dims: [draws.length, 3] },
    });
    return Array.from({ length: draws.length }, (_, draw) =>
      Array.from(outputs[samplesOutputName]!.data.subarray(draw * 3, draw * 3 + 3)),
    );
  };
  const row = (index: number) => logits.subarray(index * vocab, (index + 1) * vocab);

  it('greedy: the same id (ties to the lower id) and logprob (atol 1e-5), margin 1', async () => {
    const samples = await run([0, 1, 2, 3].map((index) => [index, 0, 0.5]));
    samples.forEach(([id, logprob, margin], index) => {
      const reference = sampleToken(row(index), { temperature: 0, topK: 0, topP: 1 }, random);
      expect(id).toBe(reference.id);
      expect(Math.abs(logprob! - reference.logprob)).toBeLessThan(1e-5);
      expect(margin).toBe(1);
    });
    expect(samples[3]![0]).toBe(7);
  });

  it('temperature sampling: the id of sampleToken for the same uniform number, its logprob (atol 1e-5) and the distance to the interval ends', async () => {
    const draws: number[][] = [];
    const uniforms = new SeededRandom(5);
    for (let index = 0; index < 200; index++) draws.push([index % 4, [0.5, 1, 1.7][index % 3]!, uniforms.nextFloat()]);
    draws.push([1, 1, 0], [2, 1, 0.999999]); // the ends of the range
    const samples = await run(draws);
    samples.forEach(([id, logprob, margin], index) => {
      const [source, temperature, uniform] = draws[index]!;
      const reference = sampleToken(
        row(source!),
        { temperature: temperature!, topK: 0, topP: 1 },
        { nextFloat: () => uniform! },
      );
      expect(id, `draw ${index}`).toBe(reference.id);
      expect(Math.abs(logprob! - reference.logprob)).toBeLessThan(1e-5);
      // the margin: u's distance to the nearer end of the chosen id's cumulative interval (float64 here)
      const scaled = Array.from(row(source!), (value) => value / temperature!);
      const max = Math.max(...scaled);
      const total = scaled.reduce((sum, value) => sum + Math.exp(value - max), 0);
      const start = scaled.slice(0, id).reduce((sum, value) => sum + Math.exp(value - max) / total, 0);
      const end = start + Math.exp(scaled[id!]! - max) / total;
      expect(Math.abs(margin! - Math.min(uniform! - start, end - uniform!))).toBeLessThan(1e-5);
    });
  });
});
