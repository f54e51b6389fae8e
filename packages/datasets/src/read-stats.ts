import type { InvalidInputError } from '@research-ts/spec';

/**
 * Counters of one pass over an input. They are updated while the stream is read and final once
 * `done` is true. Every entry is accounted for: `entries === records + skipped + blankLines`.
 */
export interface ReadStats {
  /** The path the entries were read from, as given by the caller. */
  readonly source: string;
  /** JSONL lines read (blank lines included), or elements of a JSON array. */
  readonly entries: number;
  /** Entries that were valid and yielded. */
  readonly records: number;
  /** Lines that held only JSON whitespace (space, tab, CR); skipped silently and counted here. */
  readonly blankLines: number;
  /** Malformed entries passed over with `onError: 'skip'`. */
  readonly skipped: number;
  /** The errors of skipped entries, in input order (at most `maxKeptErrors` of them; `skipped` counts all). */
  readonly errors: readonly InvalidInputError[];
  /** True once the whole input was read. */
  readonly done: boolean;
}

/** What to do with a malformed entry (bad JSON, a missing or mistyped field, an empty question). */
export type OnInvalidEntry = 'throw' | 'skip';

/** Options shared by every reader. */
export interface ReadOptions {
  /** `'throw'` (default) stops at the first malformed entry; `'skip'` passes over it and counts it in `stats`. */
  onError?: OnInvalidEntry;
  /** Called with each skipped entry's error (only with `onError: 'skip'`). An error it throws ends the read. */
  onSkip?: (error: InvalidInputError) => void;
  /** How many skipped entries' errors `stats.errors` keeps (default 1000); `stats.skipped` always counts all. */
  maxKeptErrors?: number;
}

/** The mutable form the readers update. */
export interface MutableReadStats {
  source: string;
  entries: number;
  records: number;
  blankLines: number;
  skipped: number;
  errors: InvalidInputError[];
  done: boolean;
}

export function createReadStats(source: string): MutableReadStats {
  return { source, entries: 0, records: 0, blankLines: 0, skipped: 0, errors: [], done: false };
}

/** Applies the caller's error policy to one malformed entry: throws it, or records it and returns. */
export function handleInvalidEntry(error: InvalidInputError, stats: MutableReadStats, options: ReadOptions): void {
  if ((options.onError ?? 'throw') === 'throw') throw error;
  stats.skipped += 1;
  if (stats.errors.length < (options.maxKeptErrors ?? 1000)) stats.errors.push(error);
  options.onSkip?.(error);
}
