import { adamWConstants, applyAdamW, gradClipCoefficient, sumOfSquares } from './adamw-math';
import { InvalidConfigError, InvalidInputError } from './research-error';
import type {
  AdamWMoments,
  AdamWParameterState,
  ParameterUpdate,
  ParameterUpdateResult,
  TrainablePolicy,
} from './trainable-policy';

/**
 * The training half of a {@link TrainablePolicy} over host arrays: gradient accumulators, the
 * clip + AdamW update ({@link applyAdamW}) and the optimizer moments. A policy that computes its
 * gradients on the host (the CPU) delegates its training methods to it.
 */
export interface HostTrainingState {
  readonly parameterSizes: ReadonlyMap<string, number>;
  /** Adds gradients (by parameter name) to the accumulators; a name the state does not hold is an error. */
  accumulate(gradients: ReadonlyMap<string, ArrayLike<number>>): void;
  applyUpdate(update: ParameterUpdate): ParameterUpdateResult;
  zeroGradients(): void;
  readGradients(): Map<string, Float32Array>;
  readParameters(names?: readonly string[]): Map<string, Float32Array>;
  readOptimizerState(): AdamWMoments;
  loadOptimizerState(moments: AdamWMoments): void;
}

/** Checks an update's fields (every invalid one named at once) and the names it trains. */
export function checkParameterUpdate(
  update: ParameterUpdate,
  parameterSizes: ReadonlyMap<string, number>,
): readonly string[] {
  const problems: string[] = [];
  const expect = (field: string, value: unknown, ok: boolean, rule: string) => {
    if (typeof value !== 'number' || Number.isNaN(value) || !ok)
      problems.push(`${field} ${rule}, got ${String(value)}`);
  };
  const [beta1, beta2] = Array.isArray(update.betas) ? update.betas : [Number.NaN, Number.NaN];
  expect(
    'learningRate',
    update.learningRate,
    update.learningRate >= 0 && Number.isFinite(update.learningRate),
    'must be a finite number ≥ 0',
  );
  expect('betas[0]', beta1, beta1! >= 0 && beta1! < 1, 'must be in [0, 1)');
  expect('betas[1]', beta2, beta2! >= 0 && beta2! < 1, 'must be in [0, 1)');
  expect('eps', update.eps, update.eps >= 0 && Number.isFinite(update.eps), 'must be a finite number ≥ 0');
  expect(
    'weightDecay',
    update.weightDecay,
    update.weightDecay >= 0 && Number.isFinite(update.weightDecay),
    'must be a finite number ≥ 0',
  );
  expect('maxGradNorm', update.maxGradNorm, update.maxGradNorm > 0, 'must be > 0 (Infinity for no clipping)');
  const names = update.parameters ?? [...parameterSizes.keys()];
  for (const name of names)
    if (!parameterSizes.has(name)) problems.push(`parameters: the policy has no parameter "${name}"`);
  if (problems.length > 0) throw new InvalidConfigError('update', problems.join('; '));
  return names;
}

/** Checks saved moments against the parameter sizes; returns deep copies. */
export function checkAdamWMoments(
  moments: AdamWMoments,
  parameterSizes: ReadonlyMap<string, number>,
): Map<string, AdamWParameterState> {
  const restored = new Map<string, AdamWParameterState>();
  for (const [name, saved] of Object.entries(moments)) {
    const size = parameterSizes.get(name);
    if (size === undefined)
      throw new InvalidInputError(`state for unknown parameter "${name}"`, { field: `state.parameters.${name}` });
    for (const key of ['expAvg', 'expAvgSq'] as const) {
      if (!(saved[key] instanceof Float32Array) || saved[key].length !== size) {
        throw new InvalidInputError(`expected a Float32Array of ${size} values`, {
          field: `state.parameters.${name}.${key}`,
        });
      }
    }
    if (!Number.isInteger(saved.step) || saved.step < 1)
      throw new InvalidInputError(`must be an integer ≥ 1, got ${saved.step}`, {
        field: `state.parameters.${name}.step`,
      });
    restored.set(name, { step: saved.step, expAvg: saved.expAvg.slice(), expAvgSq: saved.expAvgSq.slice() });
  }
  return restored;
}

/**
 * Creates the host training state over live parameter arrays (updated in place; keep the same arrays).
 * `applyUpdate` computes the global norm of the trained parameters' accumulated gradients in float64,
 * scales the gradients by `clip_grad_norm_`'s coefficient (float32, as PyTorch), steps AdamW on each
 * trained tensor that received a gradient, and zeroes the accumulators. A non-finite norm changes nothing.
 */
export function createHostTrainingState(parameters: ReadonlyMap<string, Float32Array>): HostTrainingState {
  const parameterSizes = new Map([...parameters].map(([name, value]) => [name, value.length]));
  const accumulators = new Map<string, Float32Array>();
  const touched = new Set<string>();
  let moments = new Map<string, AdamWParameterState>();

  function accumulate(gradients: ReadonlyMap<string, ArrayLike<number>>): void {
    for (const [name, gradient] of gradients) {
      const size = parameterSizes.get(name);
      if (size === undefined)
        throw new InvalidInputError(`a gradient for unknown parameter "${name}"`, { field: 'gradients' });
      if (gradient.length !== size)
        throw new InvalidInputError(`${gradient.length} values for parameter "${name}" of ${size}`, {
          field: 'gradients',
        });
      let accumulator = accumulators.get(name);
      if (accumulator === undefined) {
        accumulator = new Float32Array(size);
        accumulators.set(name, accumulator);
      }
      if (touched.has(name)) for (let index = 0; index < size; index++) accumulator[index]! += gradient[index]!;
      else accumulator.set(gradient);
      touched.add(name);
    }
  }

  function applyUpdate(update: ParameterUpdate): ParameterUpdateResult {
    const names = checkParameterUpdate(update, parameterSizes).filter((name) => touched.has(name));
    let squares = 0;
    for (const name of names) squares += sumOfSquares(accumulators.get(name)!);
    const gradNorm = Math.sqrt(squares);
    const coefficient = gradClipCoefficient(gradNorm, update.maxGradNorm);
    if (coefficient === undefined) {
      touched.clear();
      return { gradNorm, applied: false };
    }
    for (const name of names) {
      const gradient = accumulators.get(name)!;
      if (coefficient < 1) for (let index = 0; index < gradient.length; index++) gradient[index]! *= coefficient;
      let state = moments.get(name);
      if (state === undefined) {
        state = { step: 0, expAvg: new Float32Array(gradient.length), expAvgSq: new Float32Array(gradient.length) };
        moments.set(name, state);
      }
      state.step += 1;
      applyAdamW(
        parameters.get(name)!,
        gradient,
        state.expAvg,
        state.expAvgSq,
        adamWConstants({ ...update, step: state.step }),
      );
    }
    touched.clear();
    return { gradNorm, applied: true };
  }

  return {
    parameterSizes,
    accumulate,
    applyUpdate,
    zeroGradients: () => touched.clear(),
    readGradients: () =>
      new Map(
        [...parameterSizes.keys()]
          .filter((name) => touched.has(name))
          .map((name) => [name, accumulators.get(name)!.slice()]),
      ),
    readParameters: (names) =>
      new Map(
        (names ?? [...parameters.keys()]).map((name) => {
          const value = parameters.get(name);
          if (value === undefined)
            throw new InvalidInputError(`the policy has no parameter "${name}"`, { field: 'names' });
          return [name, value.slice()];
        }),
      ),
    readOptimizerState: () =>
      Object.fromEntries(
        [...moments].map(([name, state]) => [
          name,
          { step: state.step, expAvg: state.expAvg.slice(), expAvgSq: state.expAvgSq.slice() },
        ]),
      ),
    loadOptimizerState: (saved) => {
      moments = checkAdamWMoments(saved, parameterSizes);
    },
  };
}

type MaybePromise<T> = T | Promise<T>;

/** A training state, host or device: the methods a `TrainablePolicy` forwards to it. */
export interface TrainingStateLike {
  readonly parameterSizes: ReadonlyMap<string, number>;
  applyUpdate(update: ParameterUpdate): MaybePromise<ParameterUpdateResult>;
  zeroGradients(): MaybePromise<void>;
  readGradients(): MaybePromise<Map<string, Float32Array>>;
  readParameters(names?: readonly string[]): MaybePromise<Map<string, Float32Array>>;
  readOptimizerState(): MaybePromise<AdamWMoments>;
  loadOptimizerState(moments: AdamWMoments): MaybePromise<void>;
}

/** The methods of a `TrainablePolicy` that forward to its training state (everything but scoring and accumulating). */
export type TrainingStateMethods = Pick<
  TrainablePolicy,
  | 'parameterSizes'
  | 'applyUpdate'
  | 'zeroGradients'
  | 'readGradients'
  | 'readParameters'
  | 'readOptimizerState'
  | 'loadOptimizerState'
>;

/** The seam's update and read-back methods over a training state (the async forms of its methods). */
export function trainingStateMethods(state: TrainingStateLike): TrainingStateMethods {
  return {
    parameterSizes: state.parameterSizes,
    applyUpdate: async (update) => state.applyUpdate(update),
    zeroGradients: async () => state.zeroGradients(),
    readGradients: async () => state.readGradients(),
    readParameters: async (names) => state.readParameters(names),
    readOptimizerState: async () => state.readOptimizerState(),
    loadOptimizerState: async (moments) => state.loadOptimizerState(moments),
  };
}
