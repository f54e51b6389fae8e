/**
 * Term → term number while an index is built: an open-addressing hash table in one `Int32Array`, with
 * the terms' characters in a `Uint16Array` pool. A term can be looked up as a range of a longer text
 * (`text[start…end)`), so the indexer never creates a string for a term it has seen before; only a new
 * term becomes a string (copied from the pool, so it does not keep the passage text alive).
 *
 * Term numbers are 0, 1, 2, … in the order terms were first seen; {@link TermTable.terms} lists them.
 */

/** FNV-1a over the UTF-16 code units of `text[start…end)`, as a signed 32-bit integer. */
export function termHash(text: string, start = 0, end = text.length): number {
  let hash = 0x811c9dc5 | 0;
  for (let index = start; index < end; index += 1) hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193);
  return hash;
}

/** Ints per table slot: hash, term number (−1 when empty), pool offset, length. */
const slotWidth = 4;
const initialSlots = 1 << 12;
/** Longest run of code units handed to one `String.fromCharCode` call. */
const fromCharCodeChunk = 4096;

export interface TermTableOptions {
  /** Keep each term as a string in {@link TermTable.terms} (default true); false keeps only the pooled characters. */
  keepStrings?: boolean;
}

export class TermTable {
  /** `[slots × 4]`: hash, term number or −1, offset of the term's characters in `pool`, their count. */
  private table = new Int32Array(initialSlots * slotWidth).fill(-1);
  /** Slot index mask (slots − 1). */
  private mask = initialSlots - 1;
  private pool = new Uint16Array(1 << 16);
  private poolLength = 0;
  /** `[terms + 1]` offset in `pool` of each term's characters, by term number (the pool is in number order). */
  private starts = new Uint32Array(1024);
  private count = 0;
  private readonly keepStrings: boolean;
  /** `terms[n]` is the term numbered `n` (empty with `keepStrings: false`). */
  readonly terms: string[] = [];

  constructor(options: TermTableOptions = {}) {
    this.keepStrings = options.keepStrings ?? true;
  }

  get size(): number {
    return this.count;
  }

  /**
   * Bytes the terms take (an estimate: 16 bytes of table per slot at half load, 2 per character in the pool,
   * 4 for the start, and with `keepStrings` 40 bytes plus 2 per character for the string).
   */
  get bytesUsed(): number {
    const strings = this.keepStrings ? this.count * 40 + this.poolLength * 2 : 0;
    return this.count * 36 + this.poolLength * 2 + strings;
  }

  /** The term numbered `number`, as a fresh string. */
  termAt(number: number): string {
    return this.stringAt(this.starts[number]!, this.starts[number + 1]! - this.starts[number]!);
  }

  /**
   * Orders terms `a` and `b` as JavaScript's `<` orders their strings (by UTF-16 code units): negative when
   * `a` comes first, 0 when equal, positive otherwise.
   */
  compare(a: number, b: number): number {
    const pool = this.pool;
    let left = this.starts[a]!;
    const leftEnd = this.starts[a + 1]!;
    let right = this.starts[b]!;
    const rightEnd = this.starts[b + 1]!;
    for (; left < leftEnd && right < rightEnd; left += 1, right += 1) {
      const difference = pool[left]! - pool[right]!;
      if (difference !== 0) return difference;
    }
    return leftEnd - left - (rightEnd - right);
  }

  /** The number of `term`, assigning the next one if it is new. */
  numberOf(term: string): number {
    return this.numberOfRange(term, 0, term.length, termHash(term));
  }

  /** The number of `term`, or −1 when it is not in the table (nothing is added). */
  find(term: string): number {
    const hash = termHash(term);
    const length = term.length;
    let slot = (hash ^ (hash >>> 15)) & this.mask;
    for (;;) {
      const base = slot * slotWidth;
      const number = this.table[base + 1]!;
      if (number < 0) return -1;
      if (this.table[base] === hash && this.table[base + 3] === length) {
        const offset = this.table[base + 2]!;
        let index = 0;
        while (index < length && this.pool[offset + index] === term.charCodeAt(index)) index += 1;
        if (index === length) return number;
      }
      slot = (slot + 1) & this.mask;
    }
  }

  /**
   * The number of the term `text[start…end)` (non-empty), assigning the next one if it is new. `hash`
   * must be `termHash(text, start, end)` (a caller scanning the text computes it on the way).
   */
  numberOfRange(text: string, start: number, end: number, hash: number): number {
    const table = this.table;
    const pool = this.pool;
    const mask = this.mask;
    const length = end - start;
    let slot = (hash ^ (hash >>> 15)) & mask;
    for (;;) {
      const base = slot * slotWidth;
      const number = table[base + 1]!;
      if (number < 0) return this.insert(base, text, start, end, hash);
      if (table[base] === hash && table[base + 3] === length) {
        const offset = table[base + 2]!;
        let index = 0;
        while (index < length && pool[offset + index] === text.charCodeAt(start + index)) index += 1;
        if (index === length) return number;
      }
      slot = (slot + 1) & mask;
    }
  }

  private insert(base: number, text: string, start: number, end: number, hash: number): number {
    const length = end - start;
    if (this.poolLength + length > this.pool.length) {
      const grown = new Uint16Array(Math.max(this.pool.length * 2, this.poolLength + length));
      grown.set(this.pool.subarray(0, this.poolLength));
      this.pool = grown;
    }
    const offset = this.poolLength;
    for (let index = 0; index < length; index += 1) this.pool[offset + index] = text.charCodeAt(start + index);
    this.poolLength += length;
    const number = this.count;
    this.count += 1;
    if (this.count + 1 > this.starts.length) {
      const grown = new Uint32Array(this.starts.length * 2);
      grown.set(this.starts);
      this.starts = grown;
    }
    this.starts[this.count] = this.poolLength;
    if (this.keepStrings) this.terms.push(this.stringAt(offset, length));
    this.table[base] = hash;
    this.table[base + 1] = number;
    this.table[base + 2] = offset;
    this.table[base + 3] = length;
    if (this.count * 2 > this.mask + 1) this.grow();
    return number;
  }

  /** A fresh flat string of `pool[offset…offset + length)`. */
  private stringAt(offset: number, length: number): string {
    if (length <= fromCharCodeChunk)
      return String.fromCharCode.apply(null, this.pool.subarray(offset, offset + length) as unknown as number[]);
    const parts: string[] = [];
    for (let from = offset; from < offset + length; from += fromCharCodeChunk) {
      parts.push(
        String.fromCharCode.apply(
          null,
          this.pool.subarray(from, Math.min(offset + length, from + fromCharCodeChunk)) as unknown as number[],
        ),
      );
    }
    return parts.join('');
  }

  /** Doubles the table (kept at most half full), re-placing every term by its stored hash. */
  private grow(): void {
    const old = this.table;
    const slots = (this.mask + 1) * 2;
    const table = new Int32Array(slots * slotWidth).fill(-1);
    const mask = slots - 1;
    for (let base = 0; base < old.length; base += slotWidth) {
      if (old[base + 1]! < 0) continue;
      const hash = old[base]!;
      let slot = (hash ^ (hash >>> 15)) & mask;
      while (table[slot * slotWidth + 1]! >= 0) slot = (slot + 1) & mask;
      table.set(old.subarray(base, base + slotWidth), slot * slotWidth);
    }
    this.table = table;
    this.mask = mask;
  }
}
