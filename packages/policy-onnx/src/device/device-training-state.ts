import type { GraphBuilder } from '@research-ts/onnx-graph';
import {
  adamWConstants,
  checkAdamWMoments,
  checkParameterUpdate,
  gradClipCoefficient,
  InvalidInputError,
  type AdamWMoments,
  type ParameterUpdate,
  type ParameterUpdateResult,
} from '@research-ts/spec';
import {
  createSession,
  readDeviceTensors,
  runOnDevice,
  uploadTensor,
  type DeviceTensor,
  type OnnxSession,
  type SessionFeed,
} from '../backend/onnxruntime';
import type { DeviceParameters } from './device-parameters';
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

/**
 * The training half of a `TrainablePolicy` whose parameters live on a GPU provider's device: the
 * counterpart of spec's `HostTrainingState`, with the same methods (async here) and the same
 * semantics and validation, over device tensors. Per step only scalars cross to the host: the squared
 * gradient norm (one download) and the table of AdamW constants (one upload), whatever the number of
 * tensors. Calls must not overlap (await each).
 */
export interface DeviceTrainingState {
  /** The parameters' names and element counts, in `DeviceParameters` order. */
  readonly parameterSizes: ReadonlyMap<string, number>;
  /**
   * Adds gradients (device tensors, by parameter name) to the accumulators, all in one run of the
   * accumulate graph; a parameter's first gradient since the last zeroing becomes its accumulator. The
   * state takes the tensors over: it keeps or disposes them (also when it throws, e.g. for a name it does
   * not hold or a size that differs).
   */
  accumulate(gradients: ReadonlyMap<string, DeviceTensor>): Promise<void>;
  /**
   * Clips and applies one AdamW update on the device: the squared-norm graph over the trained
   * parameters that received a gradient → the norm and `gradClipCoefficient` on the host → one run of
   * the AdamW graph, whose outputs replace the parameters (`DeviceParameters.replace`) and moments (the
   * old tensors disposed). A non-finite norm changes nothing. The accumulators are discarded either way.
   */
  applyUpdate(update: ParameterUpdate): Promise<ParameterUpdateResult>;
  zeroGradients(): Promise<void>;
  /** Host copies of the accumulated gradients (one download each). */
  readGradients(): Promise<Map<string, Float32Array>>;
  /** Host copies of the parameters (one download each). */
  readParameters(names?: readonly string[]): Promise<Map<string, Float32Array>>;
  /** Host copies of the moments (two downloads per tensor). */
  readOptimizerState(): Promise<AdamWMoments>;
  /** Uploads saved moments (checked as the host state checks them) in place of the current ones. */
  loadOptimizerState(moments: AdamWMoments): Promise<void>;
  /** Frees the accumulators, the moments and the optimizer sessions (not the parameters). */
  release(): Promise<void>;
}

/** Options of {@link createDeviceTrainingState}. */
export interface DeviceTrainingStateOptions {
  /** Threads of one operator on the CPU provider (default: onnxruntime's choice). */
  threads?: number;
  /**
   * The parameters training updates (default: all of `parameters`); the others are frozen inputs that
   * `parameterSizes`, updates and read-backs do not list (LoRA: the adapters train, the base does not).
   */
  trainable?: readonly string[];
}

interface DeviceMoments {
  step: number;
  expAvg: DeviceTensor;
  expAvgSq: DeviceTensor;
}

function disposeMoments(state: DeviceMoments): void {
  state.expAvg.dispose();
  state.expAvgSq.dispose();
}

type GraphKind = 'accumulate' | 'squared-norm' | 'adamw' | 'zeros';

const graphBuilders: Record<GraphKind, (shapes: TensorShapes) => GraphBuilder> = {
  accumulate: buildAccumulateGraph,
  'squared-norm': buildSquaredNormGraph,
  adamw: buildAdamWGraph,
  zeros: buildZerosGraph,
};

/**
 * Creates the device training state over `parameters` (which it updates through `replace`). The
 * optimizer graphs are built per list of tensor shapes and their sessions kept (one per kind and
 * shapes: a step with the same trained parameters reuses them). Fresh moments are zeros made on the
 * device by a graph fed the parameters (`ConstantOfShape(Shape(p))`): no upload, at a tensor's first
 * update. Gradient accumulators are the backward pass's own output tensors, so zeroing them frees them
 * and nothing is written.
 */
export function createDeviceTrainingState(
  parameters: DeviceParameters,
  options: DeviceTrainingStateOptions = {},
): DeviceTrainingState {
  const provider = parameters.executionProvider;
  const parameterSizes = new Map(
    (options.trainable ?? parameters.names).map((name) => [name, parameters.get(name).size]),
  );
  const shapeOf = (name: string) => parameters.get(name).dims;
  const accumulators = new Map<string, DeviceTensor>();
  let moments = new Map<string, DeviceMoments>();
  const sessions = new Map<string, Promise<OnnxSession>>();

  function session(kind: GraphKind, shapes: TensorShapes): Promise<OnnxSession> {
    const key = `${kind}:${JSON.stringify(shapes)}`;
    let created = sessions.get(key);
    if (created === undefined) {
      const bytes = graphBuilders[kind](shapes).serialize();
      created = createSession(bytes, {
        executionProvider: provider,
        intraOpNumThreads: options.threads,
        // every output but the norm stays on the device
        deviceOutputs: kind === 'squared-norm' ? [] : 'all',
      });
      sessions.set(key, created);
    }
    return created;
  }

  function discardGradients(): void {
    for (const tensor of accumulators.values()) tensor.dispose();
    accumulators.clear();
  }

  async function accumulate(gradients: ReadonlyMap<string, DeviceTensor>): Promise<void> {
    // none of the given tensors is kept until the run has succeeded: on an error they are all freed
    const disposeGiven = () => {
      for (const tensor of gradients.values()) tensor.dispose();
    };
    for (const [name, gradient] of gradients) {
      const size = parameterSizes.get(name);
      let problem: string | undefined;
      if (size === undefined) problem = `a gradient for unknown parameter "${name}"`;
      else if (gradient.size !== size) problem = `${gradient.size} values for parameter "${name}" of ${size}`;
      else if (gradient.dims.join() !== shapeOf(name).join())
        problem = `dims [${gradient.dims.join(', ')}] for parameter "${name}" of dims [${shapeOf(name).join(', ')}]`;
      if (problem !== undefined) {
        disposeGiven();
        throw new InvalidInputError(problem, { field: 'gradients' });
      }
    }
    const adding = [...gradients.keys()].filter((name) => accumulators.has(name));
    let sums: Record<string, DeviceTensor> = {};
    if (adding.length > 0) {
      const feeds: Record<string, SessionFeed> = {};
      adding.forEach((name, index) => {
        feeds[names.accumulator(index)] = accumulators.get(name)!;
        feeds[names.gradient(index)] = gradients.get(name)!;
      });
      try {
        sums = (await runOnDevice(await session('accumulate', adding.map(shapeOf)), feeds)).device;
      } catch (error) {
        disposeGiven();
        throw error;
      }
    }
    for (const [name, gradient] of gradients) {
      const index = adding.indexOf(name);
      if (index < 0) {
        accumulators.set(name, gradient);
        continue;
      }
      accumulators.get(name)!.dispose();
      gradient.dispose();
      accumulators.set(name, sums[names.sum(index)]!);
    }
  }

  /** Zeros for the moments of `fresh` parameters, made on the device (two tensors each). */
  async function zeroMoments(fresh: readonly string[]): Promise<Map<string, DeviceMoments>> {
    const created = new Map<string, DeviceMoments>();
    if (fresh.length === 0) return created;
    const feeds: Record<string, SessionFeed> = {};
    fresh.forEach((name, index) => {
      feeds[names.like(2 * index)] = parameters.get(name);
      feeds[names.like(2 * index + 1)] = parameters.get(name);
    });
    const { device } = await runOnDevice(
      await session(
        'zeros',
        fresh.flatMap((name) => [shapeOf(name), shapeOf(name)]),
      ),
      feeds,
    );
    fresh.forEach((name, index) =>
      created.set(name, {
        step: 0,
        expAvg: device[names.zeros(2 * index)]!,
        expAvgSq: device[names.zeros(2 * index + 1)]!,
      }),
    );
    return created;
  }

  async function applyUpdate(update: ParameterUpdate): Promise<ParameterUpdateResult> {
    const trained = [...new Set(checkParameterUpdate(update, parameterSizes))].filter((name) => accumulators.has(name));
    try {
      if (trained.length === 0) return { gradNorm: 0, applied: true };
      const normFeeds: Record<string, SessionFeed> = {};
      trained.forEach((name, index) => (normFeeds[names.gradient(index)] = accumulators.get(name)!));
      const { host } = await runOnDevice(await session('squared-norm', trained.map(shapeOf)), normFeeds);
      const gradNorm = Math.sqrt(host[names.squares]!.data[0]!);
      const coefficient = gradClipCoefficient(gradNorm, update.maxGradNorm);
      if (coefficient === undefined) return { gradNorm, applied: false };

      const fresh = await zeroMoments(trained.filter((name) => !moments.has(name)));
      const stateOf = (name: string) => moments.get(name) ?? fresh.get(name)!;
      const columns = adamWConstantColumns.length;
      const constants = new Float32Array(trained.length * columns);
      const feeds: Record<string, SessionFeed> = {
        [names.constants]: { data: constants, dims: [trained.length, columns] },
      };
      trained.forEach((name, index) => {
        const state = stateOf(name);
        const row = adamWConstantsRow(
          coefficient < 1 ? coefficient : 1,
          adamWConstants({ ...update, step: state.step + 1 }),
        );
        constants.set(row, index * columns);
        feeds[names.parameter(index)] = parameters.get(name);
        feeds[names.gradient(index)] = accumulators.get(name)!;
        feeds[names.expAvg(index)] = state.expAvg;
        feeds[names.expAvgSq(index)] = state.expAvgSq;
      });
      let device: Record<string, DeviceTensor>;
      try {
        ({ device } = await runOnDevice(await session('adamw', trained.map(shapeOf)), feeds));
      } catch (error) {
        for (const state of fresh.values()) disposeMoments(state);
        throw error;
      }
      trained.forEach((name, index) => {
        const state = stateOf(name);
        parameters.replace(name, device[names.newParameter(index)]!);
        disposeMoments(state);
        moments.set(name, {
          step: state.step + 1,
          expAvg: device[names.newExpAvg(index)]!,
          expAvgSq: device[names.newExpAvgSq(index)]!,
        });
      });
      return { gradNorm, applied: true };
    } finally {
      discardGradients();
    }
  }

  async function readParameters(requested?: readonly string[]): Promise<Map<string, Float32Array>> {
    const selected = requested ?? [...parameterSizes.keys()];
    for (const name of selected)
      if (!parameterSizes.has(name))
        throw new InvalidInputError(`the policy has no parameter "${name}"`, { field: 'names' });
    return parameters.read(selected);
  }

  async function readGradients(): Promise<Map<string, Float32Array>> {
    const held = [...parameterSizes.keys()].filter((name) => accumulators.has(name));
    const copies = await readDeviceTensors(held.map((name) => accumulators.get(name)!));
    return new Map(held.map((name, index) => [name, copies[index]!]));
  }

  async function readOptimizerState(): Promise<AdamWMoments> {
    const state: AdamWMoments = {};
    for (const [name, { step, expAvg, expAvgSq }] of moments) {
      const [expAvgCopy, expAvgSqCopy] = await readDeviceTensors([expAvg, expAvgSq]);
      state[name] = { step, expAvg: expAvgCopy!, expAvgSq: expAvgSqCopy! };
    }
    return state;
  }

  async function loadOptimizerState(saved: AdamWMoments): Promise<void> {
    const checked = checkAdamWMoments(saved, parameterSizes);
    const uploaded = new Map<string, DeviceMoments>();
    try {
      for (const [name, { step, expAvg, expAvgSq }] of checked) {
        const dims = shapeOf(name);
        const expAvgTensor = await uploadTensor(provider, { data: expAvg, dims });
        try {
          uploaded.set(name, {
            step,
            expAvg: expAvgTensor,
            expAvgSq: await uploadTensor(provider, { data: expAvgSq, dims }),
          });
        } catch (error) {
          expAvgTensor.dispose();
          throw error;
        }
      }
    } catch (error) {
      for (const state of uploaded.values()) disposeMoments(state);
      throw error;
    }
    discardMoments();
    moments = uploaded;
  }

  function discardMoments(): void {
    for (const state of moments.values()) disposeMoments(state);
    moments.clear();
  }

  return {
    parameterSizes,
    accumulate,
    applyUpdate,
    zeroGradients: async () => discardGradients(),
    readGradients,
    readParameters,
    readOptimizerState,
    loadOptimizerState,
    release: async () => {
      discardGradients();
      discardMoments();
      const created = [...sessions.values()];
      sessions.clear();
      for (const pending of created) await (await pending).release();
    },
  };
}
