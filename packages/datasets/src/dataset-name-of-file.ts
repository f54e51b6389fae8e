import { basename, dirname } from 'node:path';
import { datasetBaseName } from './read-question-array';

/** File names that name only a split: FlashRAG keeps each dataset in a folder (`hotpotqa/dev.jsonl`). */
const splitNames = new Set(['train', 'dev', 'test', 'val', 'validation']);

/**
 * The dataset name of a question file: its base name (`qa-dev/hotpotqa_dev.json` → `hotpotqa_dev`),
 * or, for a file named by its split alone as FlashRAG's are, the folder and the split
 * (`FlashRAG_datasets/hotpotqa/dev.jsonl` → `hotpotqa_dev`, `nq/test.jsonl` → `nq_test`).
 */
export function datasetNameOfFile(path: string): string {
  const name = datasetBaseName(path);
  const folder = basename(dirname(path));
  return splitNames.has(name.toLowerCase()) && folder !== '' && folder !== '.' && folder !== '/'
    ? `${folder}_${name}`
    : name;
}
