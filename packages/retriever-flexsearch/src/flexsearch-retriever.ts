import { InvalidInputError, type Passage, type Retriever, type RetrieverSearchOptions } from '@research-ts/spec';
import type { AnalyzerSettings } from './analyzer';
import { frequencySlots, type TermPostingList } from './backend/flexsearch';
import { bm25InverseDocumentFrequency, bm25LengthNorms, type Bm25Parameters } from './bm25';
import type { IndexData } from './index-data';
import { saveIndex } from './save-index';
import { kthHighestScore } from './kth-highest-score';
import { selectTopDocuments } from './select-top-documents';

/** Sizes of a built index. */
export interface FlexsearchRetrieverStats {
  passages: number;
  /** Sum of the passages' analyzed lengths (terms). */
  totalTerms: number;
  averagePassageLength: number;
}

/**
 * BM25 retrieval over an in-memory corpus: flexsearch finds the passages that hold any query term
 * (with each term's frequency), and the score is exact BM25 computed from the kept statistics.
 * Build one with `createFlexsearchRetriever` or `indexCorpusFile`, or load a saved one with
 * `loadFlexsearchRetriever`.
 */
export class FlexsearchRetriever implements Retriever {
  readonly specificationVersion = 'v1' as const;
  readonly name: string;
  private readonly data: IndexData;
  private readonly lengthNorms: Float64Array;
  /** `[documents]` running score of the query being scored; 0 for passages not reached yet. */
  private readonly scores: Float64Array;
  /** `[documents]` the passages with a nonzero score, in the order they were reached. */
  private readonly reached: Int32Array;
  private reachedCount = 0;
  private highestScore = 0;
  /** The smallest of `lengthNorms` (for the bound on a term's contribution). */
  private readonly smallestLengthNorm: number;

  /** @internal Use `createFlexsearchRetriever`, `indexCorpusFile` or `loadFlexsearchRetriever`. */
  constructor(data: IndexData, name = 'flexsearch-bm25') {
    this.data = data;
    this.name = name;
    this.lengthNorms = bm25LengthNorms(data.documentLengths, data.totalLength, data.bm25);
    this.scores = new Float64Array(data.ids.length);
    this.reached = new Int32Array(data.ids.length);
    this.smallestLengthNorm = this.lengthNorms.reduce(
      (smallest, norm) => Math.min(smallest, norm),
      Number.POSITIVE_INFINITY,
    );
  }

  get stats(): FlexsearchRetrieverStats {
    const passages = this.data.ids.length;
    return {
      passages,
      totalTerms: this.data.totalLength,
      averagePassageLength: passages === 0 ? 0 : this.data.totalLength / passages,
    };
  }

  get analyzerSettings(): AnalyzerSettings {
    return this.data.analyzer.settings;
  }

  get bm25(): Bm25Parameters {
    return { ...this.data.bm25 };
  }

  /** The analyzed terms of `text`, as this index sees them (for debugging a query). */
  analyze(text: string): string[] {
    return this.data.analyzer.terms(text);
  }

  /**
   * For each query, the `k` passages with the highest BM25 score among those that contain at least
   * one query term, best first; equal scores by id ascending. A query with no indexable term gives [].
   */
  async search(queries: readonly string[], k: number, options: RetrieverSearchOptions = {}): Promise<Passage[][]> {
    if (!Array.isArray(queries))
      throw new InvalidInputError('expected an array of query strings', { field: 'queries' });
    if (!Number.isInteger(k) || k < 0) {
      throw new InvalidInputError(`expected a non-negative integer, got ${String(k)}`, { field: 'k' });
    }
    queries.forEach((query, index) => {
      if (typeof query !== 'string') {
        throw new InvalidInputError(`expected a string, got ${typeof query}`, { field: `queries.${index}` });
      }
    });
    options.signal?.throwIfAborted();
    const results: Passage[][] = [];
    for (const query of queries) {
      options.signal?.throwIfAborted();
      results.push(this.searchOne(query, k));
    }
    return results;
  }

  /** Writes the index to `directory` (created if missing): data files plus a manifest with checksums. */
  async save(directory: string): Promise<void> {
    await saveIndex(directory, this.data);
  }

  private searchOne(query: string, k: number): Passage[] {
    if (k === 0) return [];
    const queryTermCounts = new Map<string, number>();
    for (const term of this.data.analyzer.terms(query)) queryTermCounts.set(term, (queryTermCounts.get(term) ?? 0) + 1);
    if (queryTermCounts.size === 0) return [];

    // One flexsearch lookup per distinct query term gives its postings with frequencies.
    const documentCount = this.data.ids.length;
    const { k1 } = this.data.bm25;
    const queryTerms: QueryTerm[] = [];
    for (const [term, queryCount] of queryTermCounts) {
      const postingList = this.data.postings.lookup(term);
      if (postingList === undefined) continue;
      const weight =
        queryCount * bm25InverseDocumentFrequency(documentCount, documentFrequency(postingList)) * (k1 + 1);
      const highest = highestFrequency(postingList);
      queryTerms.push({ postingList, weight, bound: (weight * highest) / (highest + this.smallestLengthNorm) });
    }

    // Term at a time, largest possible contribution first. Once the terms left cannot lift a passage
    // not yet reached above the current k-th best score, they only update passages already reached
    // (exact: a passage left out scores below k passages that are in).
    queryTerms.sort((a, b) => b.bound - a.bound);
    const boundLeft = new Float64Array(queryTerms.length + 1);
    for (let index = queryTerms.length - 1; index >= 0; index -= 1)
      boundLeft[index] = boundLeft[index + 1]! + queryTerms[index]!.bound;
    this.reachedCount = 0;
    this.highestScore = 0;
    let reachedOnly = false;
    queryTerms.forEach((queryTerm, index) => {
      const left = boundLeft[index]! * (1 + 1e-9);
      if (!reachedOnly && this.reachedCount >= k && left < this.highestScore) {
        reachedOnly = left < kthHighestScore(this.scores, this.reached, this.reachedCount, k);
      }
      if (reachedOnly) this.accumulateReached(queryTerm);
      else this.accumulate(queryTerm);
    });

    const reachedCount = this.reachedCount;
    const top = selectTopDocuments(this.reached, reachedCount, k, this.scores, this.data.ids);
    const passages = top.map((document) => ({
      id: this.data.ids[document]!,
      contents: this.data.contents[document]!,
      score: this.scores[document]!,
    }));
    for (let index = 0; index < reachedCount; index += 1) this.scores[this.reached[index]!] = 0;
    return passages;
  }

  /** Adds `weight · tf / (tf + norm)` of one term to every passage in its posting list. */
  private accumulate({ postingList, weight }: QueryTerm): void {
    const { scores, reached, lengthNorms } = this;
    const { slots, overflow } = postingList;
    let reachedCount = this.reachedCount;
    let highestScore = this.highestScore;
    for (let slot = 0; slot < slots.length; slot += 1) {
      const documents = slots[slot];
      if (!documents) continue;
      const overflowing = slot === frequencySlots - 1;
      const slotFrequency = slot + 1;
      for (let index = 0; index < documents.length; index += 1) {
        const document = documents[index]!;
        const frequency = overflowing ? (overflow?.get(document) ?? slotFrequency) : slotFrequency;
        const previous = scores[document]!;
        if (previous === 0) reached[reachedCount++] = document;
        const score = previous + (weight * frequency) / (frequency + lengthNorms[document]!);
        scores[document] = score;
        if (score > highestScore) highestScore = score;
      }
    }
    this.reachedCount = reachedCount;
    this.highestScore = highestScore;
  }

  /** Like {@link accumulate}, for passages already reached only. */
  private accumulateReached({ postingList, weight }: QueryTerm): void {
    const { scores, lengthNorms } = this;
    const { slots, overflow } = postingList;
    for (let slot = 0; slot < slots.length; slot += 1) {
      const documents = slots[slot];
      if (!documents) continue;
      const overflowing = slot === frequencySlots - 1;
      const slotFrequency = slot + 1;
      for (let index = 0; index < documents.length; index += 1) {
        const document = documents[index]!;
        const previous = scores[document]!;
        if (previous === 0) continue;
        const frequency = overflowing ? (overflow?.get(document) ?? slotFrequency) : slotFrequency;
        scores[document] = previous + (weight * frequency) / (frequency + lengthNorms[document]!);
      }
    }
  }
}

interface QueryTerm {
  postingList: TermPostingList;
  /** `query count · idf · (k1 + 1)` */
  weight: number;
  /** The most this term can add to any passage's score. */
  bound: number;
}

/** The largest term frequency in a posting list. */
function highestFrequency({ slots, overflow }: TermPostingList): number {
  let highest = 0;
  for (let slot = slots.length - 1; slot >= 0; slot -= 1) {
    if (slots[slot] && slots[slot]!.length > 0) {
      highest = slot + 1;
      break;
    }
  }
  if (highest === frequencySlots && overflow !== undefined)
    for (const frequency of overflow.values()) highest = Math.max(highest, frequency);
  return highest;
}

function documentFrequency(postingList: TermPostingList): number {
  let count = 0;
  for (const documents of postingList.slots) if (documents) count += documents.length;
  return count;
}
