/** One ranked list to fuse: ids best first, and the list's weight. */
export interface RankedList {
  ids: readonly string[];
  weight: number;
}

/**
 * Reciprocal rank fusion (Cormack, Clarke & Büttcher, SIGIR 2009): each id scores
 * `Σ weight / (rankConstant + rank)` over the lists it appears in, rank 1-based; an id missing from a
 * list gets nothing from it. Sorted by fused score descending, then id ascending (JavaScript `<`).
 * A repeated id in one list counts at its first rank only.
 */
export function reciprocalRankFusion(lists: readonly RankedList[], rankConstant: number): Array<{ id: string; score: number }> {
  const scores = new Map<string, number>();
  for (const { ids, weight } of lists) {
    const seen = new Set<string>();
    ids.forEach((id, position) => {
      if (seen.has(id)) return;
      seen.add(id);
      scores.set(id, (scores.get(id) ?? 0) + weight / (rankConstant + position + 1));
    });
  }
  return [...scores]
    .map(([id, score]) => ({ id, score }))
    .sort((left, right) => right.score - left.score || (left.id < right.id ? -1 : left.id > right.id ? 1 : 0));
}
