import type { DecoderConfig } from '../model/decoder-config';

/**
 * RoPE inverse frequencies `[headDim / 2]` as `transformers` computes them for Qwen2/Llama:
 * `invFreq[i] = 1 / theta^(2i / headDim)`, then the config's scaling:
 *
 * - `linear`: every frequency divided by `factor` (positions divided by `factor`);
 * - `llama3`: wavelengths `2π / f` above `originalMaxPositionEmbeddings / lowFreqFactor` are divided by
 *   `factor`, those below `originalMaxPositionEmbeddings / highFreqFactor` kept, and the band between
 *   interpolated with `s = (originalMax / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor)`:
 *   `(1 - s) · f / factor + s · f`.
 *
 * Computed in float64; callers round to their dtype.
 */
export function ropeInverseFrequencies(
  config: Pick<DecoderConfig, 'headDim' | 'ropeTheta' | 'ropeScaling'>,
): Float64Array {
  const half = config.headDim / 2;
  const frequencies = new Float64Array(half);
  for (let index = 0; index < half; index++)
    frequencies[index] = 1 / config.ropeTheta ** ((2 * index) / config.headDim);
  const scaling = config.ropeScaling;
  if (scaling === undefined) return frequencies;
  if (scaling.type === 'linear') return frequencies.map((frequency) => frequency / scaling.factor);
  const lowWavelength = scaling.originalMaxPositionEmbeddings / scaling.lowFreqFactor;
  const highWavelength = scaling.originalMaxPositionEmbeddings / scaling.highFreqFactor;
  return frequencies.map((frequency) => {
    const wavelength = (2 * Math.PI) / frequency;
    if (wavelength > lowWavelength) return frequency / scaling.factor;
    if (wavelength < highWavelength) return frequency;
    const smooth =
      (scaling.originalMaxPositionEmbeddings / wavelength - scaling.lowFreqFactor) /
      (scaling.highFreqFactor - scaling.lowFreqFactor);
    return ((1 - smooth) * frequency) / scaling.factor + smooth * frequency;
  });
}
