import { endOfPostings, type PostingCursor } from './posting-cursor';
import { TopDocumentHeap } from './top-document-heap';

/**
 * Bounds are sums of float64 terms added in another order than a score; they are widened by this before
 * a passage is ruled out, far more than any rounding, so no passage that could enter is ever skipped.
 */
const boundSlack = 1 + 1e-9;

/** Blocks of the first term's list scored to find a starting threshold (at most 64 · this postings). */
const sampleBlocks = 32;

/** What one pass needs besides the cursors. */
interface Pass {
  /** `[terms + 1]` boundFrom[j]: the most the terms j… together add. */
  boundFrom: Float64Array;
  lengthNorms: Float64Array;
  /** `[terms]` scratch: each term's score in the passage at hand. */
  contributions: Float64Array;
  /** `[terms]` scratch: each non-essential term's block bound there. */
  blockBounds: Float64Array;
}

/**
 * Exact top-k BM25, document at a time, with MaxScore and block-max pruning. The passages that hold any
 * query term are visited in document order; once `k` passages are kept (or a starting threshold is known),
 * the terms with the smallest bounds whose bounds together stay below the k-th score become non-essential
 * (a passage holding only those cannot enter), only the other terms' postings propose passages, and a
 * proposed passage is checked against the non-essential terms' block maxima before their blocks are
 * decoded. A passage is left out only when its bound is strictly below the k-th score, so ties by id are
 * kept exactly.
 *
 * The starting threshold: the first term (the largest bound, usually the rarest term) is searched alone
 * first over its first blocks, the other terms scored for its passages only; the k-th best score found
 * there is a lower bound of the final k-th score, so the full pass can prune from its first passage on
 * instead of scoring the frequent terms' early postings while its heap fills.
 *
 * @param cursors `[terms]` one per query term, at its first posting, in the order the in-memory index adds
 *   the terms (largest bound first): a passage's score is summed in that order, so it is the same float64
 * @param bounds `[terms]` the most each term can add to any passage's score
 * @param lengthNorms `[passages]` BM25 length norms
 * @param k results wanted (at most the number of passages)
 * @param idRanks `[passages]` the tie order
 * @returns the top `k`, best first
 */
export function searchBlockMax(
  cursors: readonly PostingCursor[],
  bounds: Float64Array,
  lengthNorms: Float64Array,
  k: number,
  idRanks: Uint32Array,
): { documents: number[]; scores: number[] } {
  const termCount = cursors.length;
  const boundFrom = new Float64Array(termCount + 1);
  for (let term = termCount - 1; term >= 0; term -= 1) boundFrom[term] = boundFrom[term + 1]! + bounds[term]!;
  const pass: Pass = {
    boundFrom,
    lengthNorms,
    contributions: new Float64Array(termCount),
    blockBounds: new Float64Array(termCount),
  };
  let threshold = 0;
  if (termCount > 1 && k > 0 && cursors[0]!.blocks > 0) {
    const first = cursors[0]!;
    const sampled = Math.min(first.blocks, sampleBlocks);
    const sample = new TopDocumentHeap(k, idRanks);
    runPass(cursors, pass, sample, 0, 1, first.lastDocumentOf(sampled - 1) + 1);
    if (sample.full) threshold = sample.worstScore;
    for (const cursor of cursors) cursor.rewind();
  }
  const heap = new TopDocumentHeap(k, idRanks);
  runPass(cursors, pass, heap, threshold, termCount, endOfPostings);
  return heap.drain();
}

/**
 * Whether no passage from `document` to the end of the essential terms' current blocks can reach
 * `threshold`, by those blocks' maxima and the other terms' bounds: returns the region's last document when
 * it can be skipped whole, else `−1 − e` where `e` is the region's last document (checked, not prunable).
 */
function prunableRegionEnd(
  cursors: readonly PostingCursor[],
  essential: number,
  boundFrom: Float64Array,
  threshold: number,
): number {
  let bound = boundFrom[essential]!;
  let end = endOfPostings - 1;
  for (let term = 0; term < essential; term += 1) {
    const cursor = cursors[term]!;
    bound += cursor.blockBound(cursor.document);
    end = Math.min(end, cursor.blockEnd);
  }
  return bound * boundSlack < threshold ? end : -end - 1;
}

/** The smallest document of the first `essential` cursors. */
function smallestDocument(cursors: readonly PostingCursor[], essential: number): number {
  let document = endOfPostings;
  for (let term = 0; term < essential; term += 1) {
    const at = cursors[term]!.document;
    if (at < document) document = at;
  }
  return document;
}

/**
 * Decodes the blocks of the essential cursors skipped to `document` (their document only a lower bound);
 * returns whether one of them moved past it (then `document` is not a candidate after all).
 */
function materializeAt(cursors: readonly PostingCursor[], essential: number, document: number): boolean {
  let moved = false;
  for (let term = 0; term < essential; term += 1) {
    const cursor = cursors[term]!;
    if (cursor.pending && cursor.document === document) {
      cursor.materialize();
      if (cursor.document !== document) moved = true;
    }
  }
  return moved;
}

/**
 * `document`'s exact score, or −1 when it is ruled out below `threshold` first, cheapest test first: its
 * essential terms' block maxima and the others' bounds; its essential scores and the others' bounds; then the
 * others' block maxima; then the others' scores, one by one. Moves the essential cursors past `document`.
 */
function scoreCandidate(
  cursors: readonly PostingCursor[],
  { boundFrom, lengthNorms, contributions, blockBounds }: Pass,
  essential: number,
  document: number,
  threshold: number,
): number {
  const termCount = cursors.length;
  if (threshold > 0) {
    let bound = boundFrom[essential]!;
    for (let term = 0; term < essential; term += 1) {
      const cursor = cursors[term]!;
      if (cursor.document === document) bound += cursor.blockBound(document);
    }
    if (bound * boundSlack < threshold) {
      for (let term = 0; term < essential; term += 1) {
        const cursor = cursors[term]!;
        if (cursor.document === document) cursor.next();
      }
      return -1;
    }
  }
  let partial = 0;
  for (let term = 0; term < essential; term += 1) {
    const cursor = cursors[term]!;
    if (cursor.document === document) {
      const score = cursor.score(lengthNorms);
      contributions[term] = score;
      partial += score;
      cursor.next();
    } else contributions[term] = 0;
  }
  if (essential < termCount) {
    if ((partial + boundFrom[essential]!) * boundSlack < threshold) return -1;
    let bound = partial;
    for (let term = essential; term < termCount; term += 1) {
      const blockBound = cursors[term]!.blockBound(document);
      blockBounds[term] = blockBound;
      bound += blockBound;
    }
    if (bound * boundSlack < threshold) return -1;
    for (let term = essential; term < termCount; term += 1) {
      const cursor = cursors[term]!;
      cursor.advance(document);
      const score = cursor.document === document ? cursor.score(lengthNorms) : 0;
      contributions[term] = score;
      bound += score - blockBounds[term]!;
      if (bound * boundSlack < threshold) return -1;
    }
  }
  // Summed in the in-memory index's term order, zeros included (adding 0 changes nothing).
  let score = 0;
  for (let term = 0; term < termCount; term += 1) score += contributions[term]!;
  return score;
}

/**
 * One document-at-a-time pass over the passages below `endDocument` that hold one of the first `essential`
 * terms, pruning against `threshold` (a known lower bound of the k-th score, 0 if none) and the heap's.
 */
function runPass(
  cursors: readonly PostingCursor[],
  pass: Pass,
  heap: TopDocumentHeap,
  threshold: number,
  essential: number,
  endDocument: number,
): void {
  const { boundFrom } = pass;
  if (heap.capacity === 0) return;
  while (essential > 0 && boundFrom[essential - 1]! * boundSlack < threshold) essential -= 1;
  // The passages up to regionEnd were found not prunable as a region: each is checked on its own.
  let regionEnd = -1;
  while (essential > 0) {
    const document = smallestDocument(cursors, essential);
    if (document >= endDocument) return;
    if (document > regionEnd && threshold > 0) {
      const end = prunableRegionEnd(cursors, essential, boundFrom, threshold);
      if (end >= document) {
        for (let term = 0; term < essential; term += 1) cursors[term]!.skipTo(end + 1);
        continue;
      }
      regionEnd = -end - 1;
    }
    if (materializeAt(cursors, essential, document)) continue;
    const score = scoreCandidate(cursors, pass, essential, document, threshold);
    if (score < 0) continue;
    if (heap.offer(document, score) && heap.full && heap.worstScore > threshold) {
      threshold = heap.worstScore;
      while (essential > 0 && boundFrom[essential - 1]! * boundSlack < threshold) essential -= 1;
    }
  }
}
