import type { DecoderConfig } from './decoder-config';
import { decoderParameterShapes } from './decoder-parameter-shapes';
import { deriveSeed, SeededRandom } from '@research-ts/spec';

/** A decoder's configuration and its parameters (float32, row-major) under their Hugging Face names. */
export interface DecoderModel {
  config: DecoderConfig;
  /** In `decoderParameterShapes(config)` order; each array holds product(shape) values. */
  parameters: Map<string, Float32Array>;
}

export interface RandomModelOptions {
  seed: number;
  /** Standard deviation of the normal init of matrices (`initializer_range`). Default 0.02. */
  initStd?: number;
}

/**
 * A freshly initialised decoder, as `transformers` initialises one: matrices (embeddings, projections,
 * `lm_head`) from N(0, initStd²), norm weights 1, biases 0. Each tensor draws from its own stream,
 * seeded by (seed, name), so the same seed gives the same bytes on every run and machine, and a
 * tensor's values do not depend on the other tensors' shapes.
 */
export function createRandomModel(config: DecoderConfig, options: RandomModelOptions): DecoderModel {
  const initStd = options.initStd ?? 0.02;
  const parameters = new Map<string, Float32Array>();
  for (const { name, shape } of decoderParameterShapes(config)) {
    const values = new Float32Array(shape.reduce((product, size) => product * size, 1));
    if (name.endsWith('norm.weight')) values.fill(1);
    else if (!name.endsWith('.bias')) new SeededRandom(deriveSeed(options.seed, name)).fillNormal(values, initStd);
    parameters.set(name, values);
  }
  return { config, parameters };
}
