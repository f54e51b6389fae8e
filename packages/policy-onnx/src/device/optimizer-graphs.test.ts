import { adamWConstants, applyAdamW, SeededRandom, sumOfSquares } from '@research-ts/spec';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createSession,
  readDeviceTensors,
  runOnDevice,
  type ExecutionProvider,
  type OnnxSession,
  type SessionFeed,
} from '../backend/onnxruntime';
import {
  adamWConstantColumns,
  adamWConstantsRow,
  buildAccumulateGraph,
  buildAdamWGraph,
  buildSquaredNormGraph,
  buildZerosGraph,
  optimizerGraphNames as names,
  type TensorShapes,
} from './optimizer-graphs';
import { webgpuSkipReason } from './webgpu-available';

const shapes: TensorShapes = [[3, 4], [5], [2, 3, 2], [7, 1]];
const sizeOf = (shape: readonly number[]) => shape.reduce((product, size) => product * size, 1);

function randomArrays(seed: number, scale: number, positive = false): Float32Array[] {
  const random = new SeededRandom(seed);
  return shapes.map((shape) =>
    Float32Array.from({ length: sizeOf(shape) }, () => {
      const value = (random.nextFloat() * 2 - 1) * scale;
      return positive ? Math.abs(value) : value;
    }),
  );
}

/** The largest `|actual − expected|` relative to the tensor's largest `|expected|` (norms near a cancellation stay meaningful). */
function maxRelativeError(actual: Float32Array, expected: Float32Array): number {
  const scale = Math.max(...Array.from(expected, Math.abs), 1e-30);
  let worst = 0;
  for (let index = 0; index < expected.length; index++)
    worst = Math.max(worst, Math.abs(actual[index]! - expected[index]!) / scale);
  return worst;
}

const webgpuSkip = await webgpuSkipReason();
const providers: Array<{ provider: ExecutionProvider; skip: string | undefined }> = [
  { provider: 'cpu', skip: undefined },
  { provider: 'webgpu', skip: webgpuSkip },
];

for (const { provider, skip } of providers) {
  // Skipped (reason in the title) only where webgpu cannot start; under CI=true webgpuSkipReason throws instead.
  describe.skipIf(skip !== undefined)(
    `optimizer graphs on ${provider}${skip === undefined ? '' : ` (skipped: webgpu does not start here — ${skip.slice(0, 200)})`}`,
    () => {
      const sessions: OnnxSession[] = [];
      const open = async (bytes: Uint8Array, deviceOutputs: 'all' | string[]) => {
        const session = await createSession(bytes, {
          executionProvider: provider,
          deviceOutputs,
          intraOpNumThreads: 1,
        });
        sessions.push(session);
        return session;
      };
      afterAll(async () => {
        for (const session of sessions) await session.release();
      });
      const feedsOf = (arrays: Float32Array[], name: (index: number) => string) =>
        Object.fromEntries(arrays.map((data, index) => [name(index), { data, dims: shapes[index]! }]));

      it('clip + AdamW matches spec applyAdamW within 1e-6 relative, steps 1 and 3, with and without clipping', async () => {
        const session = await open(buildAdamWGraph(shapes).serialize(), 'all');
        const update = { learningRate: 0.01, betas: [0.9, 0.999] as const, eps: 1e-8, weightDecay: 0.1 };
        for (const [step, clip] of [
          [1, 1],
          [3, 0.37],
        ] as const) {
          const parameters = randomArrays(1 + step, 1);
          const gradients = randomArrays(11 + step, 0.1);
          const expAvg = step === 1 ? shapes.map((shape) => new Float32Array(sizeOf(shape))) : randomArrays(21, 0.05);
          const expAvgSq =
            step === 1 ? shapes.map((shape) => new Float32Array(sizeOf(shape))) : randomArrays(31, 0.01, true);
          const columns = adamWConstantColumns.length;
          const constants = new Float32Array(shapes.length * columns);
          // per-tensor steps: tensor i is at step + i
          shapes.forEach((_, index) =>
            constants.set(adamWConstantsRow(clip, adamWConstants({ ...update, step: step + index })), index * columns),
          );
          const feeds: Record<string, SessionFeed> = {
            ...feedsOf(parameters, names.parameter),
            ...feedsOf(gradients, names.gradient),
            ...feedsOf(expAvg, names.expAvg),
            ...feedsOf(expAvgSq, names.expAvgSq),
            [names.constants]: { data: constants, dims: [shapes.length, columns] },
          };
          const { device } = await runOnDevice(session, feeds);
          for (const [index] of shapes.entries()) {
            const [value, m, v] = await readDeviceTensors([
              device[names.newParameter(index)]!,
              device[names.newExpAvg(index)]!,
              device[names.newExpAvgSq(index)]!,
            ]);
            // the host's clip: the gradient scaled in float64, rounded to float32 (none when the coefficient is 1)
            const clipped = clip < 1 ? Float32Array.from(gradients[index]!, (g) => g * clip) : gradients[index]!;
            const expected = {
              value: parameters[index]!.slice(),
              m: expAvg[index]!.slice(),
              v: expAvgSq[index]!.slice(),
            };
            applyAdamW(
              expected.value,
              clipped,
              expected.m,
              expected.v,
              adamWConstants({ ...update, step: step + index }),
            );
            expect(maxRelativeError(value!, expected.value), `parameter ${index} at step ${step}`).toBeLessThanOrEqual(
              1e-6,
            );
            expect(maxRelativeError(m!, expected.m), `exp_avg ${index}`).toBeLessThanOrEqual(1e-6);
            expect(maxRelativeError(v!, expected.v), `exp_avg_sq ${index}`).toBeLessThanOrEqual(1e-6);
          }
          for (const tensor of Object.values(device)) tensor.dispose();
        }
      });

      it('accumulates every tensor in one run (float32 sums, exactly) and sums all squares into one scalar', async () => {
        const accumulate = await open(buildAccumulateGraph(shapes).serialize(), 'all');
        const norm = await open(buildSquaredNormGraph(shapes).serialize(), []);
        const first = randomArrays(41, 1);
        const second = randomArrays(42, 1);
        const { device, host } = await runOnDevice(accumulate, {
          ...feedsOf(first, names.accumulator),
          ...feedsOf(second, names.gradient),
        });
        expect(Object.keys(host)).toEqual([]);
        const sums = shapes.map((_, index) => device[names.sum(index)]!);
        const copies = await readDeviceTensors(sums);
        copies.forEach((copy, index) =>
          expect(Array.from(copy), `sum ${index}`).toEqual(
            Array.from(first[index]!, (value, element) => Math.fround(value + second[index]![element]!)),
          ),
        );
        const squares = (
          await runOnDevice(norm, Object.fromEntries(sums.map((tensor, index) => [names.gradient(index), tensor])))
        ).host[names.squares]!;
        expect(squares.dims).toEqual([]);
        const expected = copies.reduce((total, copy) => total + sumOfSquares(copy), 0);
        expect(Math.abs(squares.data[0]! - expected) / expected).toBeLessThan(1e-6);
        for (const tensor of sums) tensor.dispose();
      });

      it('makes zeros shaped like its inputs on the device', async () => {
        const session = await open(buildZerosGraph(shapes).serialize(), 'all');
        const { device } = await runOnDevice(session, feedsOf(randomArrays(51, 1), names.like));
        const copies = await readDeviceTensors(shapes.map((_, index) => device[names.zeros(index)]!));
        copies.forEach((copy, index) => expect(Array.from(copy)).toEqual(new Array(sizeOf(shapes[index]!)).fill(0)));
        for (const tensor of Object.values(device)) tensor.dispose();
      });
    },
  );
}

describe('optimizer graph shapes', () => {
  it('declares one constants table [tensors, 8] and three outputs per tensor', () => {
    const graph = buildAdamWGraph(shapes);
    expect(graph.inputs.map((input) => input.name)).toEqual([
      names.constants,
      ...shapes.flatMap((_, index) => [
        names.parameter(index),
        names.gradient(index),
        names.expAvg(index),
        names.expAvgSq(index),
      ]),
    ]);
    expect(graph.inputs[0]!.shape).toEqual([shapes.length, 8]);
    expect(graph.outputs.map((output) => output.name)).toEqual(
      shapes.flatMap((_, index) => [names.newParameter(index), names.newExpAvg(index), names.newExpAvgSq(index)]),
    );
    expect(buildSquaredNormGraph([]).outputs.map((output) => output.name)).toEqual([names.squares]);
  });
});
