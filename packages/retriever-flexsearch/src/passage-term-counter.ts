import type { Analyzer } from './analyzer';
import type { TermTable } from './term-table';

/**
 * Counts the terms of one passage at a time: analyze, number each term in a {@link TermTable} (ASCII text
 * is scanned in place, without a string per term) and count the occurrences in typed arrays. After
 * {@link countTerms}, `distinctNumbers[0…distinctCount)` are the passage's distinct term numbers in
 * first-occurrence order and `frequencies[i]` the count of `distinctNumbers[i]`.
 */
export class PassageTermCounter {
  /** `[terms]` occurrences of each term in the passage being counted; zero between passages. */
  private counts = new Uint32Array(1 << 16);
  distinctNumbers = new Int32Array(256);
  frequencies = new Uint32Array(256);
  distinctCount = 0;

  /** Counts the terms of `contents`; returns its analyzed length (number of terms). */
  countTerms(analyzer: Analyzer, termTable: TermTable, contents: string): number {
    this.distinctCount = 0;
    let length = 0;
    const text = analyzer.asciiTermText(contents);
    if (text !== undefined) {
      // The terms are the maximal runs of [a-z0-9]: scan them, hashing on the way.
      const end = text.length;
      let index = 0;
      while (index < end) {
        let code = text.charCodeAt(index);
        if (!((code >= 97 && code <= 122) || (code >= 48 && code <= 57))) {
          index += 1;
          continue;
        }
        const start = index;
        let hash = 0x811c9dc5 | 0;
        do {
          hash = Math.imul(hash ^ code, 0x01000193);
          index += 1;
          code = text.charCodeAt(index);
        } while ((code >= 97 && code <= 122) || (code >= 48 && code <= 57));
        this.count(termTable.numberOfRange(text, start, index, hash));
        length += 1;
      }
    } else {
      for (const term of analyzer.terms(contents)) {
        this.count(termTable.numberOf(term));
        length += 1;
      }
    }
    const counts = this.counts;
    for (let index = 0; index < this.distinctCount; index += 1) {
      const number = this.distinctNumbers[index]!;
      this.frequencies[index] = counts[number]!;
      counts[number] = 0;
    }
    return length;
  }

  /** Frees the per-term counts (the counter must not be used afterwards). */
  release(): void {
    this.counts = new Uint32Array(0);
  }

  /** Counts one occurrence of term `number` in the passage being counted. */
  private count(number: number): void {
    if (number >= this.counts.length) {
      const grown = new Uint32Array(Math.max(this.counts.length * 2, number + 1));
      grown.set(this.counts);
      this.counts = grown;
    }
    const previous = this.counts[number]!;
    if (previous === 0) {
      if (this.distinctCount === this.distinctNumbers.length) {
        const numbers = new Int32Array(this.distinctNumbers.length * 2);
        numbers.set(this.distinctNumbers);
        this.distinctNumbers = numbers;
        this.frequencies = new Uint32Array(numbers.length);
      }
      this.distinctNumbers[this.distinctCount] = number;
      this.distinctCount += 1;
    }
    this.counts[number] = previous + 1;
  }
}
