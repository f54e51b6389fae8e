import type { PaperDataset } from './paper-table-2';

/** Each paper dataset under the names its files go by, after `paperDatasetOf`'s normalisation. */
const aliases: Readonly<Record<string, PaperDataset>> = {
  hotpotqa: 'hotpotqa',
  hotpot: 'hotpotqa',
  '2wikimultihopqa': '2wikimultihopqa',
  '2wikimultihop': '2wikimultihopqa',
  '2wikimqa': '2wikimultihopqa',
  '2wiki': '2wikimultihopqa',
  musique: 'musique',
  bamboogle: 'bamboogle',
};

/**
 * Words of a file or dataset name that say which split or packaging it is, not which dataset: `dev`,
 * `test`, `questions_and_answers`, MuSiQue's `ans`, HotpotQA's `distractor` / `fullwiki`, file
 * extensions; versions (`v1.0`) are dropped as well.
 */
const splitWords = new Set([
  ...[
    'train',
    'dev',
    'test',
    'val',
    'validation',
    'questions',
    'and',
    'answers',
    'ans',
    'full',
    'distractor',
    'fullwiki',
  ],
  ...['json', 'jsonl', 'ndjson', 'gz', 'parquet'],
]);

/**
 * The paper dataset (Table 2's HotpotQA, 2WikiMultiHopQA, MuSiQue, Bamboogle) that a dataset or file
 * name stands for, or undefined. Case and punctuation are ignored, and so are split and packaging
 * words, so the usual names all map: FlashRAG's (`hotpotqa`, `2wikimultihopqa`, `musique`, `bamboogle`),
 * the shared dev files (`hotpotqa_dev`, `2wikimultihopqa_dev`, `musique_dev`, `bamboogle_test`), their
 * origins (`hotpot_qa`, `2wikimultihop_test_questions_and_answers`, `musique_ans_v1.0_dev`,
 * `hotpot_dev_distractor_v1`) and short forms (`2wiki`, `2WikiMQA`, `HotpotQA`).
 */
export function paperDatasetOf(name: string): PaperDataset | undefined {
  const words = name
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(
      (word, index) =>
        word !== '' && !splitWords.has(word) && !/^v\d+$/.test(word) && !(index > 0 && /^\d+$/.test(word)),
    );
  const key = words.join('');
  return Object.hasOwn(aliases, key) ? aliases[key] : undefined;
}
