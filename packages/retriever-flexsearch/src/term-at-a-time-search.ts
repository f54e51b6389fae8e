import { kthHighestScore } from './kth-highest-score';
import { PostingBlockReader } from './posting-blocks';
import { selectTopDocuments } from './select-top-documents';

/** One distinct query term found in the index, ready to score. */
export interface ScoredQueryTerm {
  /** `query count · idf · (k1 + 1)` */
  weight: number;
  /** The most this term can add to any passage's score. */
  bound: number;
  highestFrequency: number;
  /** The term's posting list (`posting-blocks.ts`). */
  postings: Uint32Array;
  /** Names the list in errors. */
  label: string;
}

/**
 * The in-memory index's loop over the compact index's postings, kept to compare against (the
 * `queryEvaluation: 'term-at-a-time'` option): term at a time, largest bound first, every posting of a term
 * added to a `[passages]` score array; once the terms left cannot lift a passage not yet reached into the top
 * `k`, they only update the passages already reached, skipping the blocks that hold none. Exact, but every
 * posting of the frequent terms is decoded until then. Holds 12 bytes per passage.
 */
export class TermAtATimeSearch {
  /** `[passages]` running score of the query being scored; 0 for passages not reached yet. */
  private readonly scores: Float64Array;
  /** `[passages]` the passages with a nonzero score, in the order they were reached. */
  private readonly reached: Int32Array;
  private reachedCount = 0;
  private highestScore = 0;
  private readonly blockReader = new PostingBlockReader();

  constructor(passages: number) {
    this.scores = new Float64Array(passages);
    this.reached = new Int32Array(passages);
  }

  /**
   * The top `k` of `terms` (sorted by bound, largest first), best first, ties by `idRanks`; a malformed
   * list throws a `RangeError` naming it.
   */
  search(
    terms: readonly ScoredQueryTerm[],
    k: number,
    lengthNorms: Float64Array,
    idRanks: Uint32Array,
    hasMaxima: boolean,
  ): { documents: number[]; scores: number[] } {
    const boundLeft = new Float64Array(terms.length + 1);
    for (let index = terms.length - 1; index >= 0; index -= 1)
      boundLeft[index] = boundLeft[index + 1]! + terms[index]!.bound;
    this.reachedCount = 0;
    this.highestScore = 0;
    let sortedReached: Int32Array | undefined;
    try {
      terms.forEach((term, index) => {
        const left = boundLeft[index]! * (1 + 1e-9);
        if (sortedReached === undefined && this.reachedCount >= k && left < this.highestScore) {
          if (left < kthHighestScore(this.scores, this.reached, this.reachedCount, k))
            sortedReached = this.reached.slice(0, this.reachedCount).sort();
        }
        try {
          this.blockReader.reset(term.postings, hasMaxima);
          if (sortedReached === undefined) this.accumulate(term.weight, lengthNorms);
          else this.accumulateReached(term.weight, lengthNorms, sortedReached);
        } catch (error) {
          throw new RangeError(`${term.label}: ${(error as Error).message}`, { cause: error });
        }
      });
      const documents = selectTopDocuments(this.reached, this.reachedCount, k, this.scores, idRanks);
      return { documents, scores: documents.map((document) => this.scores[document]!) };
    } finally {
      for (let index = 0; index < this.reachedCount; index += 1) this.scores[this.reached[index]!] = 0;
    }
  }

  /** Adds `weight · tf / (tf + norm)` of one term to every passage in its postings. */
  private accumulate(weight: number, lengthNorms: Float64Array): void {
    const { scores, reached, blockReader } = this;
    const { documents, frequencies } = blockReader;
    let reachedCount = this.reachedCount;
    let highestScore = this.highestScore;
    for (let block = 0; block < blockReader.blockCount; block += 1) {
      const count = blockReader.decode(block);
      for (let index = 0; index < count; index += 1) {
        const document = documents[index]!;
        const frequency = frequencies[index]!;
        const previous = scores[document]!;
        if (previous === 0) reached[reachedCount++] = document;
        const score = previous + (weight * frequency) / (frequency + lengthNorms[document]!);
        scores[document] = score;
        if (score > highestScore) highestScore = score;
      }
      // Kept current block by block, so that a block that fails to decode leaves nothing unreset.
      this.reachedCount = reachedCount;
    }
    this.highestScore = highestScore;
  }

  /**
   * Like {@link accumulate}, for the passages already reached only (`sortedReached[0…count)`, ascending):
   * a block whose documents hold none of them is skipped undecoded, by the block directory.
   */
  private accumulateReached(weight: number, lengthNorms: Float64Array, sortedReached: Int32Array): void {
    const { scores, blockReader } = this;
    const { documents } = blockReader;
    let next = 0;
    for (let block = 0; block < blockReader.blockCount && next < sortedReached.length; block += 1) {
      const last = blockReader.lastDocument(block);
      if (sortedReached[next]! > last) continue;
      while (next < sortedReached.length && sortedReached[next]! <= last) next += 1;
      const count = blockReader.decodeDocuments(block);
      for (let index = 0; index < count; index += 1) {
        const document = documents[index]!;
        const previous = scores[document]!;
        if (previous === 0) continue;
        const frequency = blockReader.frequencyAt(index);
        scores[document] = previous + (weight * frequency) / (frequency + lengthNorms[document]!);
      }
    }
  }
}
