/** A context being prefilled: its ids and how many of them are in its cache already. */
export interface PrefillProgress {
  ids: readonly number[];
  done: number;
}

/**
 * The next prefill run: rows in order while `rows × longest new piece` stays within `prefillChunk`
 * (the first row always goes in; a longer suffix goes on in pieces of at most `prefillChunk` tokens).
 * Returns the rows and the longest piece among them.
 */
export function nextPrefillGroup<Row extends PrefillProgress>(
  pending: readonly Row[],
  prefillChunk: number,
): { group: Row[]; longest: number } {
  const group: Row[] = [];
  let longest = 0;
  for (const row of pending) {
    const piece = Math.min(row.ids.length - row.done, prefillChunk);
    if (group.length > 0 && (group.length + 1) * Math.max(longest, piece) > prefillChunk) break;
    group.push(row);
    longest = Math.max(longest, piece);
  }
  return { group, longest };
}
