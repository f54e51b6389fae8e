import { createRandom } from './tiny-encoder';

export interface ClusteredVectorsOptions {
  seed: number;
  count: number;
  dimension: number;
  /** Gaussian cluster centres (N(0, 1) per coordinate). */
  clusters: number;
  /** Directions each cluster varies along: text embeddings have a low intrinsic dimension. */
  rank?: number;
  /** Length of a point's offset from its centre within the cluster's directions, relative to the centre's. */
  spread?: number;
  /** Isotropic noise per coordinate, relative to the centre's. */
  noise?: number;
}

/**
 * A seeded clustered set of unit vectors, `[count, dimension]` row-major: point = centre + an offset in the
 * span of its cluster's `rank` random directions + isotropic noise, then scaled to unit length. Unlike
 * uniformly random directions (where every distance is about the same and a graph index has little to
 * follow), neighbours here are well defined, as among embeddings of text.
 */
export function clusteredVectors(options: ClusteredVectorsOptions): Float32Array {
  const { count, dimension, clusters } = options;
  const rank = options.rank ?? 16;
  const spread = options.spread ?? 0.6;
  const noise = options.noise ?? 0.1;
  const random = createRandom(options.seed);
  const centres = new Float32Array(clusters * dimension);
  for (let index = 0; index < centres.length; index += 1) centres[index] = random.normal();
  const directions = new Float32Array(clusters * rank * dimension);
  for (let index = 0; index < directions.length; index += 1) directions[index] = random.normal();
  const rows = new Float32Array(count * dimension);
  const weights = new Float64Array(rank);
  const point = new Float64Array(dimension);
  for (let row = 0; row < count; row += 1) {
    const cluster = Math.floor(random.uniform() * clusters);
    for (let direction = 0; direction < rank; direction += 1)
      weights[direction] = (random.normal() * spread) / Math.sqrt(rank);
    for (let unit = 0; unit < dimension; unit += 1)
      point[unit] = centres[cluster * dimension + unit]! + noise * random.normal();
    for (let direction = 0; direction < rank; direction += 1) {
      const weight = weights[direction]!;
      const offset = (cluster * rank + direction) * dimension;
      for (let unit = 0; unit < dimension; unit += 1) point[unit] = point[unit]! + weight * directions[offset + unit]!;
    }
    writeUnit(point, rows, row * dimension);
  }
  return rows;
}

/**
 * `count` queries near random members of `rows`: member + Gaussian noise of total length `noise` (about),
 * scaled to unit length. `[count, dimension]` row-major.
 */
export function queriesNearMembers(
  rows: Float32Array,
  dimension: number,
  count: number,
  seed: number,
  noise = 0.3,
): Float32Array {
  const random = createRandom(seed);
  const members = rows.length / dimension;
  const queries = new Float32Array(count * dimension);
  const point = new Float64Array(dimension);
  for (let query = 0; query < count; query += 1) {
    const member = Math.floor(random.uniform() * members);
    for (let unit = 0; unit < dimension; unit += 1)
      point[unit] = rows[member * dimension + unit]! + (noise * random.normal()) / Math.sqrt(dimension);
    writeUnit(point, queries, query * dimension);
  }
  return queries;
}

function writeUnit(point: Float64Array, into: Float32Array, offset: number): void {
  let squares = 0;
  for (const value of point) squares += value * value;
  const scale = 1 / Math.sqrt(squares);
  for (let unit = 0; unit < point.length; unit += 1) into[offset + unit] = point[unit]! * scale;
}
