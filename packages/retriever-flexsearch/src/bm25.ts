import { InvalidConfigError } from '@research-ts/spec';

/** The two BM25 parameters. */
export interface Bm25Parameters {
  /** Term-frequency saturation: how fast repeated occurrences stop adding score. */
  k1: number;
  /** Length normalization: 0 ignores passage length, 1 normalizes fully by it. */
  b: number;
}

/** Pyserini's BM25 defaults (k1 = 0.9, b = 0.4), which FlashRAG and Search-R1's BM25 retrievers use. */
export const defaultBm25Parameters: Readonly<Bm25Parameters> = Object.freeze({ k1: 0.9, b: 0.4 });

/** Validates BM25 parameters and fills in the defaults: k1 ≥ 0 and 0 ≤ b ≤ 1, both finite. */
export function resolveBm25Parameters(options: Partial<Bm25Parameters> = {}, path = 'bm25'): Bm25Parameters {
  const k1 = options.k1 ?? defaultBm25Parameters.k1;
  const b = options.b ?? defaultBm25Parameters.b;
  if (typeof k1 !== 'number' || !Number.isFinite(k1) || k1 < 0) {
    throw new InvalidConfigError(`${path}.k1`, `expected a finite number ≥ 0, got ${JSON.stringify(k1)}`);
  }
  if (typeof b !== 'number' || !Number.isFinite(b) || b < 0 || b > 1) {
    throw new InvalidConfigError(`${path}.b`, `expected a number in [0, 1], got ${JSON.stringify(b)}`);
  }
  return { k1, b };
}

/**
 * Lucene's BM25 inverse document frequency, `ln(1 + (N − df + 0.5) / (df + 0.5))`: always positive,
 * so a term that occurs in every passage still adds a little.
 */
export function bm25InverseDocumentFrequency(documentCount: number, documentFrequency: number): number {
  return Math.log(1 + (documentCount - documentFrequency + 0.5) / (documentFrequency + 0.5));
}

/**
 * The length part of the BM25 denominator for each passage, `k1 · (1 − b + b · dl / avgdl)`.
 *
 * @param documentLengths `[documents]` number of analyzed terms of each passage
 * @param totalLength sum of `documentLengths`
 * @returns `[documents]`
 */
export function bm25LengthNorms(
  documentLengths: Uint32Array,
  totalLength: number,
  parameters: Bm25Parameters,
): Float64Array {
  const { k1, b } = parameters;
  const averageLength = documentLengths.length === 0 ? 0 : totalLength / documentLengths.length;
  const norms = new Float64Array(documentLengths.length);
  for (let document = 0; document < documentLengths.length; document += 1) {
    norms[document] = averageLength === 0 ? k1 : k1 * (1 - b + (b * documentLengths[document]!) / averageLength);
  }
  return norms;
}
