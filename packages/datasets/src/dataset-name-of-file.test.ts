import { describe, expect, it } from 'vitest';
import { datasetNameOfFile } from './dataset-name-of-file';

describe('datasetNameOfFile', () => {
  it.each([
    ['../shared/research-data/qa-dev/bamboogle_test.json', 'bamboogle_test'],
    ['/data/qa-dev/2wikimultihopqa_dev.json', '2wikimultihopqa_dev'],
    ['flashrag-sample/nq_test.jsonl', 'nq_test'],
    ['/data/FlashRAG_datasets/hotpotqa/dev.jsonl', 'hotpotqa_dev'],
    ['FlashRAG_datasets/bamboogle/test.jsonl.gz', 'bamboogle_test'],
    ['musique/DEV.json', 'musique_DEV'],
    ['dev.jsonl', 'dev'],
    ['/dev.jsonl', 'dev'],
  ])('%s → %s', (path, name) => {
    expect(datasetNameOfFile(path)).toBe(name);
  });
});
