/** The four benchmarks of ReSearch's Table 2, by their FlashRAG dataset names. */
export type PaperDataset = 'hotpotqa' | '2wikimultihopqa' | 'musique' | 'bamboogle';

export const PAPER_DATASETS: readonly PaperDataset[] = ['hotpotqa', '2wikimultihopqa', 'musique', 'bamboogle'];

/** One row of Table 2: exact match and LLM-as-a-judge, in percent, per benchmark. */
export interface PaperTableRow {
  /** The row as the table names it, with the model the baselines ran on (the instruct model of that size). */
  label: string;
  modelSize: '7B' | '32B';
  method: 'Naive Generation' | 'Naive RAG' | 'Iter-RetGen' | 'IRCoT' | 'ReSearch (base)' | 'ReSearch (instruct)';
  scores: Readonly<Record<PaperDataset, { exactMatch: number; llmJudge: number }>>;
}

type Cells = [number, number, number, number, number, number, number, number];

function row(modelSize: '7B' | '32B', method: PaperTableRow['method'], cells: Cells): PaperTableRow {
  const label =
    method === 'ReSearch (base)'
      ? `ReSearch-Qwen-${modelSize}`
      : method === 'ReSearch (instruct)'
        ? `ReSearch-Qwen-${modelSize}-Instruct`
        : `${method} (Qwen2.5-${modelSize}-Instruct)`;
  const [hotpotEm, hotpotLj, wikiEm, wikiLj, musiqueEm, musiqueLj, bamboogleEm, bamboogleLj] = cells;
  return {
    label,
    modelSize,
    method,
    scores: {
      hotpotqa: { exactMatch: hotpotEm, llmJudge: hotpotLj },
      '2wikimultihopqa': { exactMatch: wikiEm, llmJudge: wikiLj },
      musique: { exactMatch: musiqueEm, llmJudge: musiqueLj },
      bamboogle: { exactMatch: bamboogleEm, llmJudge: bamboogleLj },
    },
  };
}

/**
 * ReSearch paper (arXiv 2503.19470) Table 2, EM % / LJ % on the full dev sets of HotpotQA (7,405),
 * 2WikiMultiHopQA (12,576), MuSiQue (2,417) and the Bamboogle test set (125), as quoted in
 * research-paper.md §1.9. Baselines ran on the instruct model of each size; the judge is gpt-4o-mini.
 */
export const PAPER_TABLE_2: readonly PaperTableRow[] = [
  row('7B', 'Naive Generation', [19.18, 30.64, 25.76, 27.87, 3.76, 10.38, 10.4, 22.4]),
  row('7B', 'Naive RAG', [31.9, 49.59, 25.78, 29.52, 6.21, 12.78, 20.8, 32.0]),
  row('7B', 'Iter-RetGen', [34.36, 52.22, 27.92, 31.86, 8.69, 16.14, 21.6, 35.2]),
  row('7B', 'IRCoT', [30.33, 52.06, 21.57, 30.65, 6.99, 14.19, 24.8, 36.8]),
  row('7B', 'ReSearch (base)', [40.57, 60.26, 44.67, 50.06, 21.68, 32.19, 43.2, 54.4]),
  row('7B', 'ReSearch (instruct)', [43.52, 63.62, 47.59, 54.22, 22.3, 33.43, 42.4, 54.4]),
  row('32B', 'Naive Generation', [24.63, 38.26, 27.23, 29.68, 6.12, 14.23, 18.4, 29.6]),
  row('32B', 'Naive RAG', [36.46, 55.73, 30.38, 34.87, 9.27, 15.97, 23.2, 40.8]),
  row('32B', 'Iter-RetGen', [39.81, 58.8, 33.64, 38.22, 12.49, 20.11, 29.6, 44.8]),
  row('32B', 'IRCoT', [28.44, 55.44, 13.53, 29.5, 7.82, 18.2, 31.2, 47.2]),
  row('32B', 'ReSearch (base)', [42.77, 64.27, 38.52, 45.59, 26.4, 37.57, 54.4, 66.4]),
  row('32B', 'ReSearch (instruct)', [46.73, 67.7, 44.9, 50.3, 26.4, 38.56, 56.8, 67.2]),
];
