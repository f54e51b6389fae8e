/**
 * The one file that imports flexsearch. flexsearch holds the inverted index: for each term, the
 * documents that contain it. Its per-term "resolution slots" (normally a position-based relevance
 * bucket) are used here to carry the term frequency instead, so that one lookup gives BM25 all it needs:
 *
 * - slot `s` (0 ≤ s < {@link frequencySlots} − 1) lists the documents where the term occurs `s + 1` times;
 * - the last slot lists the documents where it occurs {@link frequencySlots} times or more, and the exact
 *   count is kept in a small overflow map beside the index.
 *
 * Documents are numbered 0…N−1 (their position in the corpus); flexsearch stores those numbers as ids.
 */
import { Index } from 'flexsearch';

/** Number of term-frequency slots per term; frequencies from this value up go through the overflow map. */
export const frequencySlots = 32;

/** The postings of one term: `slots[s]` holds the documents with frequency `s + 1` (or absent / null). */
export interface TermPostingList {
  readonly slots: ReadonlyArray<ReadonlyArray<number> | null | undefined>;
  /** Exact frequencies of the documents in the last slot. */
  readonly overflow: ReadonlyMap<number, number> | undefined;
}

/** Term → documents with their term frequencies, held by a flexsearch `Index`. */
export class FlexsearchPostings {
  private readonly index: Index;
  private readonly overflow = new Map<string, Map<number, number>>();

  constructor() {
    this.index = new Index({
      // A query term arrives as a string and is one term (the analyzer has already split the query).
      encode: (content: string) => [content],
      resolution: frequencySlots,
      fastupdate: false,
      cache: false,
    });
  }

  /**
   * Hands flexsearch a whole inverted index at once, through its `import` (the same entry point that
   * loads an exported index, here with the data as objects instead of JSON text):
   *
   * - `documents`: the documents that hold at least one term, ascending (flexsearch's register);
   * - `terms`: `[term, slots]` per term, `slots[s]` the documents (ascending) where the term occurs
   *   `s + 1` times, the last slot those with {@link frequencySlots} or more; empty slots may be holes;
   * - `overflow`: term → document → exact frequency, for the documents in a term's last slot.
   *
   * This gives flexsearch the same structure as adding the documents one by one, in the same order.
   * Call it once, on a new instance. The lists are taken over, not copied.
   */
  importPostings(
    documents: number[],
    terms: Array<[string, Array<number[] | undefined>]>,
    overflow: ReadonlyMap<string, Map<number, number>>,
  ): void {
    // flexsearch's typings declare `data: string`; its `import` parses a string and uses anything else as is.
    this.index.import('reg', documents as unknown as string);
    this.index.import('map', terms as unknown as string);
    for (const [term, frequencies] of overflow) this.overflow.set(term, frequencies);
  }

  /** The postings of `term` (an analyzed term, no spaces), or undefined when no document has it. */
  lookup(term: string): TermPostingList | undefined {
    const slots = this.index.search(term, { resolve: false }).result;
    if (slots.length === 0) return undefined;
    return {
      slots: slots as ReadonlyArray<ReadonlyArray<number> | null | undefined>,
      overflow: this.overflow.get(term),
    };
  }

  /** The index as text chunks `[key, data]` (flexsearch's export), then the overflow frequencies. */
  exportChunks(): Array<[string, string]> {
    const chunks: Array<[string, string]> = [];
    this.index.export((key: string, data: string) => {
      chunks.push([key, data]);
    });
    const overflow = [...this.overflow].map(([term, documents]) => [term, [...documents]]);
    chunks.push([overflowKey, JSON.stringify(overflow)]);
    return chunks;
  }

  /** Adds one chunk written by {@link exportChunks}. Throws on a chunk it cannot read. */
  importChunk(key: string, data: string): void {
    if (key === overflowKey) {
      const overflow = JSON.parse(data) as unknown;
      if (!Array.isArray(overflow)) throw new Error('overflow frequencies: expected an array');
      for (const entry of overflow as unknown[]) {
        if (!Array.isArray(entry) || typeof entry[0] !== 'string' || !Array.isArray(entry[1])) {
          throw new Error('overflow frequencies: expected [term, [[document, frequency], …]] entries');
        }
        this.overflow.set(entry[0], new Map(entry[1] as Array<[number, number]>));
      }
      return;
    }
    this.index.import(key, data);
  }
}

const overflowKey = 'research-ts.frequency-overflow';
