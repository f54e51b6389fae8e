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
  /** The frequency slot of each unique term of the document being added (read by the score callback). */
  private pendingSlots: Uint8Array = new Uint8Array(256);

  constructor() {
    this.index = new Index({
      // `add` hands over the analyzed terms themselves (flexsearch passes a document's content to the
      // encoder as it is); a query term arrives as a string and is one term.
      encode: (content: string | readonly string[]) => (typeof content === 'string' ? [content] : (content as string[])),
      resolution: frequencySlots,
      score: (_terms: string[], _term: string, termIndex: number) => this.pendingSlots[termIndex]!,
      fastupdate: false,
      cache: false,
    });
  }

  /**
   * Adds one document. `terms` are its distinct terms and `frequencies[i]` the count of `terms[i]`.
   * Documents must be added once each, with ascending numbers.
   */
  add(document: number, terms: readonly string[], frequencies: ArrayLike<number>): void {
    if (terms.length === 0) return;
    if (this.pendingSlots.length < terms.length) this.pendingSlots = new Uint8Array(terms.length * 2);
    for (let index = 0; index < terms.length; index += 1) {
      const frequency = frequencies[index]!;
      if (frequency >= frequencySlots) {
        this.pendingSlots[index] = frequencySlots - 1;
        const term = terms[index]!;
        let documents = this.overflow.get(term);
        if (documents === undefined) this.overflow.set(term, (documents = new Map()));
        documents.set(document, frequency);
      } else {
        this.pendingSlots[index] = frequency - 1;
      }
    }
    this.index.add(document, terms as unknown as string);
  }

  /** The postings of `term` (an analyzed term, no spaces), or undefined when no document has it. */
  lookup(term: string): TermPostingList | undefined {
    const slots = this.index.search(term, { resolve: false }).result;
    if (slots.length === 0) return undefined;
    return { slots: slots as ReadonlyArray<ReadonlyArray<number> | null | undefined>, overflow: this.overflow.get(term) };
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
