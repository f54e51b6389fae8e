import { createHostTrainingState, SeededRandom, type ParameterUpdate } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { transferCounters, uploadTensor, type DeviceTensor, type ExecutionProvider } from '../backend/onnxruntime';
import { tinyConfig } from '../model/decoder-config-presets';
import { decoderParameterShapes } from '../model/decoder-parameter-shapes';
import { createRandomModel } from '../model/random-model';
import { DeviceParameters } from './device-parameters';
import { createDeviceTrainingState, type DeviceTrainingState } from './device-training-state';
import { webgpuSkipReason } from './webgpu-available';

/** A one-layer decoder of a few hundred values per tensor: the shapes of a real parameter set, quick on lavapipe. */
const config = tinyConfig({
  vocabSize: 16,
  hiddenSize: 8,
  numAttentionHeads: 2,
  numKeyValueHeads: 1,
  intermediateSize: 12,
  numHiddenLayers: 1,
});
const frozen = 'model.norm.weight';

function randomGradients(
  names: readonly string[],
  sizes: ReadonlyMap<string, number>,
  seed: number,
  scale = 1,
): Map<string, Float32Array> {
  const random = new SeededRandom(seed);
  return new Map(names.map((name) => [name, random.fillNormal(new Float32Array(sizes.get(name)!), scale)]));
}

/** ‖actual − expected‖ / ‖expected‖. */
function normRelativeError(actual: Float32Array, expected: Float32Array): number {
  let difference = 0;
  let norm = 0;
  for (let index = 0; index < expected.length; index++) {
    difference += (actual[index]! - expected[index]!) ** 2;
    norm += expected[index]! ** 2;
  }
  return Math.sqrt(difference / Math.max(norm, 1e-30));
}

const shapes = new Map(decoderParameterShapes(config).map(({ name, shape }) => [name, shape]));

async function deviceGradients(
  provider: ExecutionProvider,
  gradients: ReadonlyMap<string, Float32Array>,
): Promise<Map<string, DeviceTensor>> {
  const tensors = new Map<string, DeviceTensor>();
  for (const [name, data] of gradients)
    tensors.set(name, await uploadTensor(provider, { data: data.slice(), dims: shapes.get(name)! }));
  return tensors;
}

const webgpuSkip = await webgpuSkipReason();
const providers: Array<{ provider: ExecutionProvider; skip: string | undefined }> = [
  { provider: 'cpu', skip: undefined },
  { provider: 'webgpu', skip: webgpuSkip },
];

for (const { provider, skip } of providers) {
  // Skipped (reason in the title) only where webgpu cannot start; under CI=true webgpuSkipReason throws instead.
  describe.skipIf(skip !== undefined)(
    `device training state on ${provider}${skip === undefined ? '' : ` (skipped: webgpu does not start here — ${skip.slice(0, 200)})`}`,
    () => {
      async function withStates(
        run: (
          device: DeviceTrainingState,
          host: ReturnType<typeof createHostTrainingState>,
          hostParameters: Map<string, Float32Array>,
        ) => Promise<void>,
      ): Promise<void> {
        const model = createRandomModel(config, { seed: 5, initStd: 0.3 });
        const hostParameters = new Map([...model.parameters].map(([name, values]) => [name, values.slice()]));
        const parameters = await DeviceParameters.upload(provider, config, model.parameters);
        const device = createDeviceTrainingState(parameters, { threads: 1 });
        try {
          await run(device, createHostTrainingState(hostParameters), hostParameters);
        } finally {
          await device.release();
          parameters.dispose();
        }
      }

      it('three steps (two micro-batches each, clipping, weight decay, a frozen tensor) match the host state', async () => {
        await withStates(async (device, host, hostParameters) => {
          const names = [...device.parameterSizes.keys()];
          expect(names).toEqual([...host.parameterSizes.keys()]);
          const trained = names.filter((name) => name !== frozen);
          const initialFrozen = hostParameters.get(frozen)!.slice();
          for (let step = 0; step < 3; step++) {
            for (let micro = 0; micro < 2; micro++) {
              const gradients = randomGradients(names, device.parameterSizes, 100 * step + micro, 0.1);
              host.accumulate(gradients);
              await device.accumulate(await deviceGradients(provider, gradients));
            }
            const hostGradients = host.readGradients();
            const onDevice = await device.readGradients();
            expect([...onDevice.keys()]).toEqual([...hostGradients.keys()]);
            for (const [name, values] of hostGradients)
              expect(Array.from(onDevice.get(name)!), name).toEqual(Array.from(values));
            // clipping active in the first two steps (the norm is ≈ 0.1·√(values) ≈ 5), off in the last
            const update: ParameterUpdate = {
              learningRate: 0.01,
              betas: [0.9, 0.999],
              eps: 1e-8,
              weightDecay: 0.1,
              maxGradNorm: step < 2 ? 1 : Infinity,
              parameters: trained,
            };
            const expected = host.applyUpdate(update);
            const actual = await device.applyUpdate(update);
            expect(actual.applied).toBe(true);
            if (step < 2) expect(actual.gradNorm).toBeGreaterThan(1);
            expect(Math.abs(actual.gradNorm - expected.gradNorm) / expected.gradNorm).toBeLessThan(1e-6);
            expect((await device.readGradients()).size).toBe(0);
          }
          const parameters = await device.readParameters();
          for (const [name, values] of hostParameters)
            expect(normRelativeError(parameters.get(name)!, values), name).toBeLessThan(1e-6);
          expect(Array.from(parameters.get(frozen)!)).toEqual(Array.from(initialFrozen));
          const moments = await device.readOptimizerState();
          const hostMoments = host.readOptimizerState();
          expect(Object.keys(moments)).toEqual(Object.keys(hostMoments));
          expect(moments[frozen]).toBeUndefined();
          for (const [name, state] of Object.entries(hostMoments)) {
            expect(moments[name]!.step, name).toBe(3);
            expect(normRelativeError(moments[name]!.expAvg, state.expAvg), name).toBeLessThan(1e-6);
            expect(normRelativeError(moments[name]!.expAvgSq, state.expAvgSq), name).toBeLessThan(1e-6);
          }
        });
      });

      it('a non-finite norm changes nothing and discards the gradients; an update without gradients applies nothing', async () => {
        await withStates(async (device) => {
          const names = [...device.parameterSizes.keys()];
          const before = await device.readParameters();
          const gradients = randomGradients(names, device.parameterSizes, 7);
          gradients.get(names[1]!)![3] = Number.NaN;
          await device.accumulate(await deviceGradients(provider, gradients));
          const update: ParameterUpdate = {
            learningRate: 0.1,
            betas: [0.9, 0.999],
            eps: 1e-8,
            weightDecay: 0,
            maxGradNorm: 1,
          };
          const result = await device.applyUpdate(update);
          expect(result.applied).toBe(false);
          expect(Number.isNaN(result.gradNorm)).toBe(true);
          expect((await device.readGradients()).size).toBe(0);
          expect(await device.readOptimizerState()).toEqual({});
          expect(await device.applyUpdate(update)).toEqual({ gradNorm: 0, applied: true });
          const after = await device.readParameters();
          for (const [name, values] of before) expect(Array.from(after.get(name)!), name).toEqual(Array.from(values));
        });
      });

      it('loadOptimizerState / readOptimizerState round-trip, and the loaded moments drive the next update', async () => {
        await withStates(async (device, host) => {
          const names = [...device.parameterSizes.keys()];
          const random = new SeededRandom(9);
          const saved = Object.fromEntries(
            names.slice(0, 3).map((name, index) => {
              const size = device.parameterSizes.get(name)!;
              return [
                name,
                {
                  step: 4 + index,
                  expAvg: random.fillNormal(new Float32Array(size), 0.01),
                  expAvgSq: Float32Array.from(random.fillNormal(new Float32Array(size), 0.001), Math.abs),
                },
              ];
            }),
          );
          await device.loadOptimizerState(saved);
          host.loadOptimizerState(saved);
          expect(await device.readOptimizerState()).toEqual(saved);
          const gradients = randomGradients(names, device.parameterSizes, 11, 0.1);
          host.accumulate(gradients);
          await device.accumulate(await deviceGradients(provider, gradients));
          const update: ParameterUpdate = {
            learningRate: 0.01,
            betas: [0.9, 0.99],
            eps: 1e-6,
            weightDecay: 0.01,
            maxGradNorm: Infinity,
            parameters: names.slice(0, 4),
          };
          host.applyUpdate(update);
          await device.applyUpdate(update);
          const moments = await device.readOptimizerState();
          for (const [name, state] of Object.entries(host.readOptimizerState())) {
            expect(moments[name]!.step, name).toBe(state.step);
            expect(normRelativeError(moments[name]!.expAvgSq, state.expAvgSq), name).toBeLessThan(1e-6);
          }
          expect(Object.keys(moments)).toEqual(names.slice(0, 4));
          await device.loadOptimizerState({});
          expect(await device.readOptimizerState()).toEqual({});
        });
      });

      it('validates as the host state does', async () => {
        await withStates(async (device, host) => {
          const [first] = [...device.parameterSizes.keys()];
          const update: ParameterUpdate = {
            learningRate: -1,
            betas: [0.9, 1],
            eps: 1e-8,
            weightDecay: 0,
            maxGradNorm: 1,
            parameters: ['nope'],
          };
          const hostError = (() => {
            try {
              host.applyUpdate(update);
            } catch (error) {
              return error as Error;
            }
            return undefined;
          })();
          await expect(device.applyUpdate(update)).rejects.toThrow(hostError!.message);
          await expect(device.readParameters(['nope'])).rejects.toThrow('the policy has no parameter "nope"');
          await expect(
            device.loadOptimizerState({
              [first!]: { step: 1, expAvg: new Float32Array(1), expAvgSq: new Float32Array(1) },
            }),
          ).rejects.toThrow(/expected a Float32Array of \d+ values/);
          const stray = await uploadTensor(provider, { data: new Float32Array(3), dims: [3] });
          await expect(device.accumulate(new Map([[first!, stray]]))).rejects.toThrow(/3 values for parameter/);
          expect(stray.disposed).toBe(true);
          const flat = await uploadTensor(provider, {
            data: new Float32Array(device.parameterSizes.get(first!)!),
            dims: [device.parameterSizes.get(first!)!],
          });
          await expect(device.accumulate(new Map([[first!, flat]]))).rejects.toThrow(/dims \[\d+\] for parameter/);
        });
      });

      // cpu sessions count no transfers: host memory is their device
      if (provider !== 'cpu')
        it('an update makes one upload and one download whatever the number of tensors it trains', async () => {
          await withStates(async (device) => {
            const names = [...device.parameterSizes.keys()];
            const update: ParameterUpdate = {
              learningRate: 0.01,
              betas: [0.9, 0.999],
              eps: 1e-8,
              weightDecay: 0,
              maxGradNorm: 1,
            };
            for (const count of [2, names.length]) {
              await device.accumulate(
                await deviceGradients(provider, randomGradients(names.slice(0, count), device.parameterSizes, count)),
              );
              const before = transferCounters();
              await device.applyUpdate(update);
              const after = transferCounters();
              expect(
                { uploads: after.uploads - before.uploads, downloads: after.downloads - before.downloads },
                `${count} tensors`,
              ).toEqual({ uploads: 1, downloads: 1 });
            }
          });
        });
    },
  );
}
