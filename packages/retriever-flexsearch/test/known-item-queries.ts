import { splitPassageContents } from '@research-ts/spec';

/** A query made from one passage's text; that passage is the one item it should find. */
export interface KnownItemQuery {
  query: string;
  id: string;
}

export interface KnownItemQueryOptions {
  count: number;
  seed: number;
  /** Chance of dropping each word of the chosen window (default 0.5). */
  dropRate?: number;
  /** Longest word window taken from the chosen sentence (default 14). */
  windowWords?: number;
}

/** mulberry32: a small seeded PRNG giving floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Known-item queries, derived deterministically from `seed`: pick a passage, pick one of its text's
 * sentences with at least 6 words (title excluded), take a window of up to `windowWords` consecutive
 * words, drop each word with probability `dropRate` (keeping at least 3), and join what is left.
 */
export function deriveKnownItemQueries(
  passages: ReadonlyArray<{ id: string; contents: string }>,
  options: KnownItemQueryOptions,
): KnownItemQuery[] {
  const random = seededRandom(options.seed);
  const dropRate = options.dropRate ?? 0.5;
  const windowWords = options.windowWords ?? 14;
  const queries: KnownItemQuery[] = [];
  for (let attempt = 0; queries.length < options.count && attempt < options.count * 20; attempt += 1) {
    const passage = passages[Math.floor(random() * passages.length)]!;
    const sentences = splitPassageContents(passage.contents)
      .text.split(/(?<=[.!?])\s+/)
      .map((sentence) => sentence.split(/\s+/).filter((word) => word !== ''))
      .filter((words) => words.length >= 6);
    if (sentences.length === 0) continue;
    const words = sentences[Math.floor(random() * sentences.length)]!;
    const start = words.length > windowWords ? Math.floor(random() * (words.length - windowWords + 1)) : 0;
    const window = words.slice(start, start + windowWords);
    let kept = window.filter(() => random() >= dropRate);
    if (kept.length < 3) kept = window.slice(0, 3);
    queries.push({ query: kept.join(' '), id: passage.id });
  }
  return queries;
}

/** Share of queries whose item is among the first `k` ids of its result list. */
export function recallAt(
  k: number,
  queries: readonly KnownItemQuery[],
  results: ReadonlyArray<ReadonlyArray<{ id: string }>>,
): number {
  let found = 0;
  queries.forEach((query, index) => {
    if (results[index]!.slice(0, k).some((passage) => passage.id === query.id)) found += 1;
  });
  return queries.length === 0 ? 0 : found / queries.length;
}
