import {
  adamWConstants,
  applyAdamW,
  checkAdamWMoments,
  InvalidInputError,
  type AdamWParameterState,
} from '@research-ts/spec';
import { expectNumber, type RealArray } from './batch-shape';
import { learningRateFactor, type LearningRateSchedule } from './learning-rate-schedule';

/** A trainable tensor, flattened. The optimizer updates `value` in place. */
export interface NamedParameter {
  name: string;
  value: Float32Array;
  /** Overrides the optimizer's weight decay for this tensor (0 for biases and norms, say). */
  weightDecay?: number;
}

export interface AdamWOptions {
  parameters: readonly NamedParameter[];
  /** Base learning rate (ReSearch: 1e-6). */
  lr: number;
  /** Default `[0.9, 0.999]`. */
  betas?: readonly [number, number];
  /** Default 1e-8. */
  eps?: number;
  /** Decoupled weight decay; default 0.01 (PyTorch's AdamW default). */
  weightDecay?: number;
  /** Multiplies `lr` by `learningRateFactor(schedule, k)` at update `k`; default constant. */
  schedule?: LearningRateSchedule;
}

export type { AdamWParameterState };

/** A plain, structured-cloneable snapshot of the optimizer. */
export interface AdamWState {
  /** Number of `step()` calls (drives the schedule). */
  step: number;
  /** Per tensor; a tensor that has never received a gradient has no entry (as in PyTorch). */
  parameters: Record<string, AdamWParameterState>;
}

/** Gradients by parameter name. A missing name skips that tensor for this step (PyTorch skips `grad is None`). */
export type NamedGradients = ReadonlyMap<string, RealArray> | Readonly<Record<string, RealArray | undefined>>;

export interface AdamW {
  /** Number of `step()` calls so far. */
  readonly stepCount: number;
  /** The learning rate the next `step()` will use. */
  learningRate(): number;
  /** Applies one update; returns the learning rate it used and the new step count. */
  step(gradients: NamedGradients): { learningRate: number; step: number };
  /** A deep copy of the optimizer state. */
  saveState(): AdamWState;
  /** Restores a state saved by `saveState` (of an optimizer over the same parameter names and sizes). */
  loadState(state: AdamWState): void;
}

/**
 * AdamW with PyTorch's semantics (`torch.optim.AdamW`, single-tensor path, no amsgrad): for each tensor
 * with a gradient, `t += 1`, then
 *
 * ```text
 * p  ← p · (1 − lr·λ)                       decoupled weight decay
 * m  ← m + (1 − β1)(g − m)
 * v  ← β2·v + (1 − β2)·g²
 * p  ← p − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + ε)
 * ```
 *
 * Arithmetic is float32, operation by operation in PyTorch's order, with `lerp_` and `addcmul_` fused
 * (one rounding each), as PyTorch's vectorised CPU kernels compute them: on the fixtures of
 * `tools/torch-reference.py` (torch 2.11, x86-64 CPU) every parameter after every step is bit-identical.
 * The gradients are rounded to float32 first.
 */
export function createAdamW(options: AdamWOptions): AdamW {
  const { parameters, lr, schedule = { kind: 'constant' } } = options;
  const [beta1, beta2] = options.betas ?? [0.9, 0.999];
  const eps = options.eps ?? 1e-8;
  const weightDecay = options.weightDecay ?? 0.01;
  expectNumber('lr', lr, (value) => value >= 0 && Number.isFinite(value), 'must be a finite number ≥ 0');
  expectNumber('betas[0]', beta1, (value) => value >= 0 && value < 1, 'must be in [0, 1)');
  expectNumber('betas[1]', beta2, (value) => value >= 0 && value < 1, 'must be in [0, 1)');
  expectNumber('eps', eps, (value) => value >= 0 && Number.isFinite(value), 'must be a finite number ≥ 0');
  expectNumber(
    'weightDecay',
    weightDecay,
    (value) => value >= 0 && Number.isFinite(value),
    'must be a finite number ≥ 0',
  );
  learningRateFactor(schedule, 0); // validates the schedule now rather than at the first step

  const byName = new Map<string, NamedParameter>();
  for (const parameter of parameters) {
    if (byName.has(parameter.name))
      throw new InvalidInputError(`duplicate parameter name "${parameter.name}"`, { field: 'parameters' });
    if (parameter.weightDecay !== undefined) {
      expectNumber(
        `parameters.${parameter.name}.weightDecay`,
        parameter.weightDecay,
        (value) => value >= 0,
        'must be ≥ 0',
      );
    }
    byName.set(parameter.name, parameter);
  }
  let stepCount = 0;
  let moments = new Map<string, AdamWParameterState>();

  const learningRate = () => lr * learningRateFactor(schedule, stepCount);

  function gradientOf(gradients: NamedGradients, name: string): RealArray | undefined {
    return gradients instanceof Map
      ? gradients.get(name)
      : (gradients as Readonly<Record<string, RealArray | undefined>>)[name];
  }

  function step(gradients: NamedGradients) {
    const names = gradients instanceof Map ? [...gradients.keys()] : Object.keys(gradients);
    for (const name of names) {
      if (!byName.has(name))
        throw new InvalidInputError(`gradient for unknown parameter "${name}"`, { field: `gradients.${name}` });
    }
    const rate = learningRate();
    for (const parameter of parameters) {
      const gradient = gradientOf(gradients, parameter.name);
      if (gradient === undefined) continue;
      const value = parameter.value;
      if (gradient.length !== value.length) {
        throw new InvalidInputError(`expected ${value.length} values, got ${gradient.length}`, {
          field: `gradients.${parameter.name}`,
        });
      }
      let state = moments.get(parameter.name);
      if (state === undefined) {
        state = { step: 0, expAvg: new Float32Array(value.length), expAvgSq: new Float32Array(value.length) };
        moments.set(parameter.name, state);
      }
      state.step += 1;
      applyAdamW(
        value,
        gradient,
        state.expAvg,
        state.expAvgSq,
        adamWConstants({
          learningRate: rate,
          betas: [beta1, beta2],
          eps,
          weightDecay: parameter.weightDecay ?? weightDecay,
          step: state.step,
        }),
      );
    }
    stepCount += 1;
    return { learningRate: rate, step: stepCount };
  }

  function saveState(): AdamWState {
    const saved: Record<string, AdamWParameterState> = {};
    for (const [name, state] of moments) {
      saved[name] = { step: state.step, expAvg: state.expAvg.slice(), expAvgSq: state.expAvgSq.slice() };
    }
    return { step: stepCount, parameters: saved };
  }

  function loadState(state: AdamWState): void {
    expectNumber('state.step', state.step, (value) => Number.isInteger(value) && value >= 0, 'must be an integer ≥ 0');
    const restored = checkAdamWMoments(
      state.parameters,
      new Map(parameters.map((parameter) => [parameter.name, parameter.value.length])),
    );
    moments = restored;
    stepCount = state.step;
  }

  return {
    get stepCount() {
      return stepCount;
    },
    learningRate,
    step,
    saveState,
    loadState,
  };
}
