import { frequencySlots } from './backend/flexsearch';

/**
 * The postings of one term in flexsearch's layout: `slots[s]` lists, in ascending order, the documents
 * where the term occurs `s + 1` times (the last slot: {@link frequencySlots} times or more); a slot with
 * no document is a hole. The array ends at the highest non-empty slot.
 */
export type TermSlotLists = Array<number[] | undefined>;

/**
 * Collects postings document by document in flat typed arrays (no per-posting objects, nothing for the
 * garbage collector to trace), then turns them into each term's slot lists in one counting sort.
 * Documents are numbered 0, 1, 2, … in the order they are added.
 */
export class PostingAccumulator {
  /** `[postings]` term number of each posting, in the order added. */
  private termNumbers = new Int32Array(1 << 16);
  /** `[postings]` frequency slot of each posting: min(frequency, frequencySlots) − 1. */
  private slots = new Uint8Array(1 << 16);
  private postingCount = 0;
  /** `[documents]` number of postings added up to and including each document. */
  private documentEnds = new Uint32Array(1024);
  private documents = 0;
  /** Term number → document → frequency, for the frequencies of {@link frequencySlots} and more. */
  readonly overflow = new Map<number, Map<number, number>>();

  get documentCount(): number {
    return this.documents;
  }

  /**
   * Adds the next document: `termNumbers[0…count)` are its distinct terms (any order) and
   * `frequencies[i] ≥ 1` the number of times `termNumbers[i]` occurs in it. Returns its number.
   */
  add(termNumbers: ArrayLike<number>, frequencies: ArrayLike<number>, count: number): number {
    const document = this.documents;
    if (this.postingCount + count > this.termNumbers.length) {
      const capacity = Math.max(this.termNumbers.length * 2, this.postingCount + count);
      const grownTerms = new Int32Array(capacity);
      grownTerms.set(this.termNumbers.subarray(0, this.postingCount));
      this.termNumbers = grownTerms;
      const grownSlots = new Uint8Array(capacity);
      grownSlots.set(this.slots.subarray(0, this.postingCount));
      this.slots = grownSlots;
    }
    const postingTerms = this.termNumbers;
    const slots = this.slots;
    let posting = this.postingCount;
    for (let index = 0; index < count; index += 1) {
      const term = termNumbers[index]!;
      const frequency = frequencies[index]!;
      postingTerms[posting] = term;
      if (frequency >= frequencySlots) {
        slots[posting] = frequencySlots - 1;
        let documents = this.overflow.get(term);
        if (documents === undefined) this.overflow.set(term, (documents = new Map()));
        documents.set(document, frequency);
      } else {
        slots[posting] = frequency - 1;
      }
      posting += 1;
    }
    this.postingCount = posting;
    if (document === this.documentEnds.length) {
      const grown = new Uint32Array(this.documentEnds.length * 2);
      grown.set(this.documentEnds);
      this.documentEnds = grown;
    }
    this.documentEnds[document] = posting;
    this.documents = document + 1;
    return document;
  }

  /**
   * The slot lists of terms 0…termCount−1 (a term with no posting gets an empty array). The
   * accumulator is empty afterwards.
   */
  finish(termCount: number): TermSlotLists[] {
    const total = this.postingCount;
    const postingTerms = this.termNumbers;
    const postingSlots = this.slots;
    // Counting sort by term number; within a term the documents stay in ascending order.
    const starts = new Uint32Array(termCount + 1);
    for (let posting = 0; posting < total; posting += 1) {
      const next = postingTerms[posting]! + 1;
      starts[next] = starts[next]! + 1;
    }
    for (let term = 0; term < termCount; term += 1) starts[term + 1] = starts[term + 1]! + starts[term]!;
    const cursors = starts.slice(0, termCount);
    const sortedDocuments = new Int32Array(total);
    const sortedSlots = new Uint8Array(total);
    let posting = 0;
    for (let document = 0; document < this.documents; document += 1) {
      const end = this.documentEnds[document]!;
      for (; posting < end; posting += 1) {
        const position = cursors[postingTerms[posting]!]!;
        cursors[postingTerms[posting]!] = position + 1;
        sortedDocuments[position] = document;
        sortedSlots[position] = postingSlots[posting]!;
      }
    }
    this.termNumbers = new Int32Array(0);
    this.slots = new Uint8Array(0);
    this.postingCount = 0;

    const slotSizes = new Uint32Array(frequencySlots);
    const lists: TermSlotLists[] = new Array<TermSlotLists>(termCount);
    for (let term = 0; term < termCount; term += 1) {
      const from = starts[term]!;
      const to = starts[term + 1]!;
      slotSizes.fill(0);
      let highest = -1;
      for (let position = from; position < to; position += 1) {
        const slot = sortedSlots[position]!;
        slotSizes[slot] = slotSizes[slot]! + 1;
        if (slot > highest) highest = slot;
      }
      const termLists: TermSlotLists = new Array<number[] | undefined>(highest + 1);
      for (let slot = 0; slot <= highest; slot += 1) {
        if (slotSizes[slot]! > 0) termLists[slot] = new Array<number>(slotSizes[slot]!);
        slotSizes[slot] = 0;
      }
      for (let position = from; position < to; position += 1) {
        const slot = sortedSlots[position]!;
        const size = slotSizes[slot]!;
        termLists[slot]![size] = sortedDocuments[position]!;
        slotSizes[slot] = size + 1;
      }
      lists[term] = termLists;
    }
    return lists;
  }
}
