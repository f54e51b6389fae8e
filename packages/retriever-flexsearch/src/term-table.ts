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

export class TermTable {
  /** `[slots × 4]`: hash, term number or −1, offset of the term's characters in `pool`, their count. */
  private table = new Int32Array(initialSlots * slotWidth).fill(-1);
  /** Slot index mask (slots − 1). */
  private mask = initialSlots - 1;
  private pool = new Uint16Array(1 << 16);
  private poolLength = 0;
  /** `terms[n]` is the term numbered `n`. */
  readonly terms: string[] = [];

  get size(): number {
    return this.terms.length;
  }

  /** The number of `term`, assigning the next one if it is new. */
  numberOf(term: string): number {
    return this.numberOfRange(term, 0, term.length, termHash(term));
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
    const number = this.terms.length;
    this.terms.push(this.stringAt(offset, length));
    this.table[base] = hash;
    this.table[base + 1] = number;
    this.table[base + 2] = offset;
    this.table[base + 3] = length;
    if (this.terms.length * 2 > this.mask + 1) this.grow();
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
