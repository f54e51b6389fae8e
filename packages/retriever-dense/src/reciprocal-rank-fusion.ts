/** One ranked list to fuse: ids best first, optionally their scores, and the list's weight. */
export interface RankedList {
  ids: readonly string[];
  /** Scores of `ids` (non-increasing). Entries with equal scores share one rank. */
  scores?: ReadonlyArray<number | undefined>;
  weight: number;
}

/**
 * The 1-based rank of each position of a list: its position + 1, except that entries with the same
 * score as the entry before them share that entry's rank (competition ranking, `1, 2, 2, 4`), so a
 * retriever's ties stay ties after fusion.
 */
export function competitionRanks(length: number, scores?: ReadonlyArray<number | undefined>): number[] {
  const ranks: number[] = [];
  for (let position = 0; position < length; position += 1) {
    const score = scores?.[position];
    const tied = position > 0 && score !== undefined && score === scores?.[position - 1];
    ranks.push(tied ? ranks[position - 1]! : position + 1);
  }
  return ranks;
}

/**
 * Reciprocal rank fusion (Cormack, Clarke & Büttcher, SIGIR 2009): each id scores
 * `Σ weight / (rankConstant + rank)` over the lists it appears in; an id missing from a list gets
 * nothing from it. Ranks are 1-based, equal scores sharing a rank (see {@link competitionRanks}); a
 * repeated id in one list counts at its first rank only. Sorted by fused score descending, then id
 * ascending (JavaScript `<`).
 */
export function reciprocalRankFusion(
  lists: readonly RankedList[],
  rankConstant: number,
): Array<{ id: string; score: number }> {
  const scores = new Map<string, number>();
  for (const { ids, scores: listScores, weight } of lists) {
    const ranks = competitionRanks(ids.length, listScores);
    const seen = new Set<string>();
    ids.forEach((id, position) => {
      if (seen.has(id)) return;
      seen.add(id);
      scores.set(id, (scores.get(id) ?? 0) + weight / (rankConstant + ranks[position]!));
    });
  }
  return [...scores]
    .map(([id, score]) => ({ id, score }))
    .sort((left, right) => right.score - left.score || (left.id < right.id ? -1 : left.id > right.id ? 1 : 0));
}
