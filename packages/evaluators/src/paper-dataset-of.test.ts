import { describe, expect, it } from 'vitest';
import { paperDatasetOf } from './paper-dataset-of';

describe('paperDatasetOf', () => {
  it.each([
    // FlashRAG dataset names (folders of hotpotqa/dev.jsonl …)
    ['hotpotqa', 'hotpotqa'],
    ['2wikimultihopqa', '2wikimultihopqa'],
    ['musique', 'musique'],
    ['bamboogle', 'bamboogle'],
    // the shared research-data/qa-dev files and FlashRAG-style file names
    ['hotpotqa_dev', 'hotpotqa'],
    ['2wikimultihopqa_dev', '2wikimultihopqa'],
    ['musique_dev', 'musique'],
    ['bamboogle_test', 'bamboogle'],
    ['hotpotqa_dev.jsonl', 'hotpotqa'],
    // where those files came from
    ['hotpot_qa', 'hotpotqa'],
    ['hotpotqa_test_questions_and_answers', 'hotpotqa'],
    ['2wikimultihop_test_questions_and_answers', '2wikimultihopqa'],
    ['bamboogle_test_questions_and_answers', 'bamboogle'],
    ['musique_ans_v1.0_dev', 'musique'],
    ['hotpot_dev_distractor_v1', 'hotpotqa'],
    // the paper's and other short names
    ['HotpotQA', 'hotpotqa'],
    ['2WikiMultihopQA', '2wikimultihopqa'],
    ['2wiki', '2wikimultihopqa'],
    ['2WikiMQA', '2wikimultihopqa'],
    ['MuSiQue', 'musique'],
  ])('%s → %s', (name, dataset) => {
    expect(paperDatasetOf(name)).toBe(dataset);
  });

  it.each(['nq_test', 'nq', 'triviaqa_dev', 'synthetic', 'dev', 'test', '', 'constructor', 'hotpotqa2'])(
    '%j is none of the paper’s datasets',
    (name) => {
      expect(paperDatasetOf(name)).toBeUndefined();
    },
  );
});
