import { decoderParameterShapes, type DecoderConfig } from '../src/index';

/**
 * Cheap deterministic weights for benchmarks and GPU checks (an LCG; values only need to be finite and
 * small): norms 1, everything else uniform in ±0.02. Far faster than `createRandomModel` at 0.5B scale.
 */
export function fastParameters(config: DecoderConfig): Map<string, Float32Array> {
  const parameters = new Map<string, Float32Array>();
  let state = 12345;
  for (const { name, shape } of decoderParameterShapes(config)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (name.endsWith('norm.weight')) data.fill(1);
    else {
      for (let index = 0; index < data.length; index++) {
        state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
        data[index] = (state / 4294967296 - 0.5) * 0.04;
      }
    }
    parameters.set(name, data);
  }
  return parameters;
}
