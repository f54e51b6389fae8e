import { describe, expect, it } from 'vitest';
import { renderJudgePrompt } from './judge-prompt';

describe('renderJudgePrompt', () => {
  const prompt = renderJudgePrompt({
    question: 'Who was the fourth president of the United States?',
    goldenAnswers: ['James Madison', "Madison's"],
    prediction: 'Madison',
  });

  it('fills question, the Python list repr of the golden answers, and the prediction', () => {
    expect(prompt).toContain(
      [
        'question: Who was the fourth president of the United States?',
        `ground truth answers: ['James Madison', "Madison's"]`,
        'pred_answer: Madison',
        '',
      ].join('\n'),
    );
  });

  it('keeps the JSON block exactly: trailing space after the fence, single braces, 4-space indent', () => {
    expect(prompt).toContain(
      '\n\nThe output should in the following json format:\n```json \n{\n    "rationale": "your rationale for the judgement, as a text",\n' +
        `    "judgement": "your judgement result, can only be 'correct' or 'incorrect'"\n}\n\`\`\`\n\nYour output:`,
    );
    expect(prompt.endsWith('Your output:')).toBe(true);
    expect(prompt).not.toContain('{{');
  });

  it('starts with the three instructions on one line, then a blank line and the criteria', () => {
    const lines = prompt.split('\n');
    expect(lines).toHaveLength(19);
    expect(lines[0]).toMatch(
      /^You will be given a question .* ground truth answer\. Provided a pred_answer, .* list\. You should first .* \(i\.e\., correct or incorrect\)\.$/,
    );
    expect(lines[1]).toBe('');
    expect(lines[2]).toBe('Here is the criteria for the judgement:');
    expect(lines[3]!.startsWith("1. The pred_answer doesn't need")).toBe(true);
    expect(lines[4]!.endsWith('semantically same to at least one of them.')).toBe(true);
    // 989 characters of fixed text (Python: len(prompt.format(question='', gt_answer='', pred_answer='')))
    expect(renderJudgePrompt({ question: '', goldenAnswers: [], prediction: '' }).length).toBe(989 + '[]'.length);
  });

  it('equals the prompt Python renders for the same item, byte for byte', () => {
    // json.dumps of llm_judge_prompt.format(...) with str(golden_answers), printed by /usr/bin/python3
    const python =
      'You will be given a question and its ground truth answer list where each item can be a ground truth answer. Provided a pred_answer, you need to judge if the pred_answer correctly answers the question based on the ground truth answer list. You should first give your rationale for the judgement, and then give your judgement result (i.e., correct or incorrect).\n\nHere is the criteria for the judgement:\n1. The pred_answer doesn\'t need to be exactly the same as any of the ground truth answers, but should be semantically same for the question.\n2. Each item in the ground truth answer list can be viewed as a ground truth answer for the question, and the pred_answer should be semantically same to at least one of them.\n\nquestion: Who was the fourth president of the United States?\nground truth answers: [\'James Madison\', "Madison\'s"]\npred_answer: Madison\n\nThe output should in the following json format:\n```json \n{\n    "rationale": "your rationale for the judgement, as a text",\n    "judgement": "your judgement result, can only be \'correct\' or \'incorrect\'"\n}\n```\n\nYour output:';
    expect(prompt).toBe(python);
  });

  it('inserts braces in values verbatim', () => {
    const withBraces = renderJudgePrompt({ question: 'What is {x}?', goldenAnswers: [], prediction: '{}' });
    expect(withBraces).toContain('question: What is {x}?\nground truth answers: []\npred_answer: {}\n');
  });
});
