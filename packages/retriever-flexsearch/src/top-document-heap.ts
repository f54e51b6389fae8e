/**
 * The `k` best documents seen so far, in typed arrays: by score descending, then by id rank ascending (so
 * equal scores come out in a fixed order, as `selectTopDocuments` orders them). A binary heap with the worst
 * kept document at the root, so that {@link worstScore} is the score a newcomer has to reach.
 */
export class TopDocumentHeap {
  /** `[k]` the kept documents, heap-ordered. */
  private readonly documents: Int32Array;
  /** `[k]` their scores. */
  private readonly scores: Float64Array;
  private size = 0;

  /** @param ranks `[documents]` each document's id rank (the tie order). */
  constructor(
    readonly capacity: number,
    private readonly ranks: ArrayLike<number>,
  ) {
    this.documents = new Int32Array(capacity);
    this.scores = new Float64Array(capacity);
  }

  /** Whether `capacity` documents are kept: only then does a newcomer have to beat {@link worstScore}. */
  get full(): boolean {
    return this.size === this.capacity;
  }

  /** The lowest kept score (meaningful when {@link full}). */
  get worstScore(): number {
    return this.scores[0]!;
  }

  /** Keeps `document` if it is among the `capacity` best so far; returns whether it was kept. */
  offer(document: number, score: number): boolean {
    if (this.size < this.capacity) {
      this.documents[this.size] = document;
      this.scores[this.size] = score;
      this.size += 1;
      this.siftUp(this.size - 1);
      return true;
    }
    if (this.capacity === 0 || !this.isWorse(this.scores[0]!, this.documents[0]!, score, document)) return false;
    this.documents[0] = document;
    this.scores[0] = score;
    this.siftDown(0);
    return true;
  }

  /** The kept documents and scores, best first; empties the heap. */
  drain(): { documents: number[]; scores: number[] } {
    const count = this.size;
    const documents = new Array<number>(count);
    const scores = new Array<number>(count);
    for (let index = count - 1; index >= 0; index -= 1) {
      documents[index] = this.documents[0]!;
      scores[index] = this.scores[0]!;
      this.size -= 1;
      if (this.size > 0) {
        this.documents[0] = this.documents[this.size]!;
        this.scores[0] = this.scores[this.size]!;
        this.siftDown(0);
      }
    }
    return { documents, scores };
  }

  /** Whether (scoreA, documentA) ranks below (scoreB, documentB). */
  private isWorse(scoreA: number, documentA: number, scoreB: number, documentB: number): boolean {
    return scoreA < scoreB || (scoreA === scoreB && this.ranks[documentA]! > this.ranks[documentB]!);
  }

  private siftUp(position: number): void {
    const { documents, scores } = this;
    const document = documents[position]!;
    const score = scores[position]!;
    while (position > 0) {
      const parent = (position - 1) >> 1;
      if (!this.isWorse(score, document, scores[parent]!, documents[parent]!)) break;
      documents[position] = documents[parent]!;
      scores[position] = scores[parent]!;
      position = parent;
    }
    documents[position] = document;
    scores[position] = score;
  }

  private siftDown(position: number): void {
    const { documents, scores, size } = this;
    const document = documents[position]!;
    const score = scores[position]!;
    for (;;) {
      let child = 2 * position + 1;
      if (child >= size) break;
      const right = child + 1;
      if (right < size && this.isWorse(scores[right]!, documents[right]!, scores[child]!, documents[child]!))
        child = right;
      if (!this.isWorse(scores[child]!, documents[child]!, score, document)) break;
      documents[position] = documents[child]!;
      scores[position] = scores[child]!;
      position = child;
    }
    documents[position] = document;
    scores[position] = score;
  }
}
