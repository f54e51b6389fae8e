import { InvalidConfigError } from '@research-ts/spec';
import { hnswQuantizations, type HnswQuantization } from './backend/usearch';

export { hnswQuantizations, type HnswQuantization };

/** Rescoring of HNSW candidates with the full-precision vectors. */
export interface RescoreOptions {
  /**
   * Candidates fetched from the graph per result: a top-k search rescores `ceil(k × oversample)` candidates
   * (at least `max(2k, k + 10)`, the margin every search takes for near-ties at the cut) and keeps the best k.
   */
  oversample: number;
}

/**
 * Default oversampling per quantization. A float or int8 graph ranks nearly as the exact vectors do, so the
 * tie margin (`max(2k, k + 10)` candidates) suffices; a binary one (one bit per dimension) loses much of the
 * order, which rescoring 4 × k candidates restores (see BENCHMARKS.md).
 */
export const defaultRescoreOversample: Readonly<Record<HnswQuantization, number>> = Object.freeze({
  f32: 1,
  f16: 1,
  i8: 1,
  b1: 4,
});

/** The `quantization` option, checked: one of {@link hnswQuantizations}; default `f32`. */
export function checkQuantization(value: unknown, field = 'quantization'): HnswQuantization {
  if (value === undefined) return 'f32';
  if (typeof value !== 'string' || !(hnswQuantizations as readonly string[]).includes(value)) {
    throw new InvalidConfigError(
      field,
      `must be one of ${hnswQuantizations.map((name) => `'${name}'`).join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
  return value as HnswQuantization;
}

/**
 * The `rescore` option, checked: `false` (take the graph's own top k; their scores are still the exact inner
 * products), or `{ oversample }` with `oversample >= 1`; absent fields take the quantization's default.
 */
export function checkRescore(
  value: Partial<RescoreOptions> | false | undefined,
  quantization: HnswQuantization,
  field = 'rescore',
): RescoreOptions | false {
  if (value === false) return false;
  if (value !== undefined && (value === null || typeof value !== 'object'))
    throw new InvalidConfigError(field, `must be false or { oversample }, got ${JSON.stringify(value)}`);
  const oversample = value?.oversample ?? defaultRescoreOversample[quantization];
  if (typeof oversample !== 'number' || !Number.isFinite(oversample) || oversample < 1)
    throw new InvalidConfigError(`${field}.oversample`, `must be a number >= 1, got ${String(oversample)}`);
  return { oversample };
}

/** A binary graph packs 8 dimensions per byte; usearch needs whole bytes. */
export function checkQuantizedDimension(quantization: HnswQuantization, dimension: number, field: string): void {
  if (quantization === 'b1' && dimension % 8 !== 0)
    throw new InvalidConfigError(field, `b1 quantization needs a dimension divisible by 8, got ${dimension}`);
}
