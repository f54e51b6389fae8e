import type { JudgeItem } from '@research-ts/spec';
import { pythonListRepr } from './python-list-repr';

/**
 * ReSearch's LLM-as-a-judge prompt (`scripts/evaluation/llm_judge.py`; paper App. A), quoted in
 * research-paper.md §1.8, after Python's `.format`: single braces around the JSON example, a trailing
 * space after the opening fence, and no newline after `Your output:`. It is kept byte for byte so that
 * judge scores compare with the paper's LJ column.
 */
const promptLines = (question: string, goldenAnswersRepr: string, prediction: string): string[] => [
  'You will be given a question and its ground truth answer list where each item can be a ground truth answer. ' +
    'Provided a pred_answer, you need to judge if the pred_answer correctly answers the question based on the ground truth answer list. ' +
    'You should first give your rationale for the judgement, and then give your judgement result (i.e., correct or incorrect).',
  '',
  'Here is the criteria for the judgement:',
  "1. The pred_answer doesn't need to be exactly the same as any of the ground truth answers, but should be semantically same for the question.",
  '2. Each item in the ground truth answer list can be viewed as a ground truth answer for the question, and the pred_answer should be semantically same to at least one of them.',
  '',
  `question: ${question}`,
  `ground truth answers: ${goldenAnswersRepr}`,
  `pred_answer: ${prediction}`,
  '',
  'The output should in the following json format:',
  '```json ',
  '{',
  '    "rationale": "your rationale for the judgement, as a text",',
  `    "judgement": "your judgement result, can only be 'correct' or 'incorrect'"`,
  '}',
  '```',
  '',
  'Your output:',
];

/**
 * The judge prompt for one item: `gt_answer` is the Python list repr of the golden answers
 * (`['James Madison']`), as ReSearch fills it with `str(golden_answers)`. Substituted values are
 * inserted verbatim (Python's `.format` does not re-read braces inside them).
 */
export function renderJudgePrompt(item: JudgeItem): string {
  return promptLines(item.question, pythonListRepr(item.goldenAnswers), item.prediction).join('\n');
}
