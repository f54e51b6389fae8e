/**
 * A deliberately plain BM25, written straight from the formula, for tests and the quality benchmark:
 * every passage is scored against every query, no index, no shortcuts.
 *
 *   score(q, d) = Σ over query terms t (repeats included) of
 *                 ln(1 + (N − df(t) + 0.5) / (df(t) + 0.5)) · tf(t, d) · (k1 + 1) / (tf(t, d) + k1 · (1 − b + b · |d| / avgdl))
 *
 * Passages with score 0 are left out; ties go to the smaller id (JavaScript `<`).
 */
export interface ReferencePassage {
  id: string;
  contents: string;
}

/** Lowercased runs of Unicode letters and digits: no stopwords, no stemming. */
export function plainTerms(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

export class ReferenceBm25 {
  private readonly passages: readonly ReferencePassage[];
  private readonly frequencies: Map<string, number>[];
  private readonly lengths: number[];
  private readonly documentFrequencies = new Map<string, number>();
  private readonly averageLength: number;

  constructor(
    passages: readonly ReferencePassage[],
    private readonly options: { k1: number; b: number; terms: (text: string) => string[] } = {
      k1: 0.9,
      b: 0.4,
      terms: plainTerms,
    },
  ) {
    this.passages = passages;
    this.frequencies = passages.map((passage) => {
      const counts = new Map<string, number>();
      for (const term of options.terms(passage.contents)) counts.set(term, (counts.get(term) ?? 0) + 1);
      return counts;
    });
    this.lengths = passages.map((passage) => options.terms(passage.contents).length);
    for (const counts of this.frequencies) {
      for (const term of counts.keys())
        this.documentFrequencies.set(term, (this.documentFrequencies.get(term) ?? 0) + 1);
    }
    this.averageLength = this.lengths.reduce((sum, length) => sum + length, 0) / passages.length;
  }

  /** The score of passage `index` for `query`. */
  score(query: string, index: number): number {
    return this.scoreTerms(this.options.terms(query), index);
  }

  private scoreTerms(queryTerms: readonly string[], index: number): number {
    const { k1, b } = this.options;
    const count = this.passages.length;
    let score = 0;
    for (const term of queryTerms) {
      const frequency = this.frequencies[index]!.get(term) ?? 0;
      if (frequency === 0) continue;
      const documentFrequency = this.documentFrequencies.get(term)!;
      const idf = Math.log(1 + (count - documentFrequency + 0.5) / (documentFrequency + 0.5));
      score +=
        (idf * (frequency * (k1 + 1))) / (frequency + k1 * (1 - b + (b * this.lengths[index]!) / this.averageLength));
    }
    return score;
  }

  search(query: string, k: number): Array<{ id: string; score: number }> {
    const scored: Array<{ id: string; score: number }> = [];
    const queryTerms = this.options.terms(query);
    this.passages.forEach((passage, index) => {
      const score = this.scoreTerms(queryTerms, index);
      if (score > 0) scored.push({ id: passage.id, score });
    });
    scored.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return scored.slice(0, k);
  }
}
