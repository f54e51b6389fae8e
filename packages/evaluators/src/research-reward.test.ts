import { InvalidInputError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { RESEARCH_FORMAT_REWARD, reSearchReward, scoreReSearchSequence } from './research-reward';

const search =
  ' <search> first king of the Han dynasty </search> <result>\n"Liu Bang"\nLiu Bang was the founder of the Han dynasty.\n</result>';
const wellFormed = (answer: string) =>
  `<think> I need the founder. </think>${search} <think> It is Liu Bang. </think> <answer> The final answer is \\[ \\boxed{${answer}} \\] </answer>`;
const golds = ['Liu Bang', 'Emperor Gaozu of Han'];

describe('reSearchReward: every branch of compute_score', () => {
  it.each([
    // [label, response, endedWithEos, score, formatOk, reason, prediction, f1]
    ['exact answer', wellFormed('Liu Bang'), true, 1, true, 'ok', 'Liu Bang', 1],
    // "Emperor Gaozu" vs "Emperor Gaozu of Han": P 2/2, R 2/4 → F1 2/3
    ['partial answer scores its F1', wellFormed('Emperor Gaozu'), true, 2 / 3, true, 'ok', 'Emperor Gaozu', 2 / 3],
    [
      'wrong answer, good format → 0.1',
      wellFormed('Qin Shi Huang'),
      true,
      0.1,
      true,
      'wrong-answer',
      'Qin Shi Huang',
      0,
    ],
    ['an answer that normalizes to nothing → 0.1', wellFormed('The'), true, 0.1, true, 'wrong-answer', 'The', 0],
    ['a correct answer without EOS → 0', wellFormed('Liu Bang'), false, 0, true, 'over-length', undefined, 0],
    ['think tags not paired', `<think> a ${wellFormed('Liu Bang')}`, true, 0, false, 'think-unpaired', undefined, 0],
    ['no think at all', '<answer> \\boxed{Liu Bang} </answer>', true, 0, false, 'think-missing', undefined, 0],
    [
      'two answers',
      `${wellFormed('Liu Bang')} <answer> \\boxed{x} </answer>`,
      true,
      0,
      false,
      'answer-count',
      undefined,
      0,
    ],
    ['no answer', '<think> hmm </think>', true, 0, false, 'answer-count', undefined, 0],
    [
      'search without result',
      '<think> a </think> <search> q </search> <answer> \\boxed{Liu Bang} </answer>',
      true,
      0,
      false,
      'search-incomplete',
      undefined,
      0,
    ],
    [
      'result before the search closes',
      '<think> a </think> <search> q <result> r </result> </search> <answer> \\boxed{Liu Bang} </answer>',
      true,
      0,
      false,
      'search-wrong-order',
      undefined,
      0,
    ],
    [
      'answer closed before opened',
      '<think> a </think> </answer> \\boxed{Liu Bang} <answer>',
      true,
      0,
      false,
      'answer-order',
      undefined,
      0,
    ],
    [
      'no \\boxed{ in the answer',
      '<think> a </think> <answer> Liu Bang </answer>',
      true,
      0,
      false,
      'boxed-missing',
      undefined,
      0,
    ],
    // The format passes (the span holds "\boxed{" and a "}"), but the last \boxed has no closing brace.
    [
      'unbalanced box: extraction fails',
      '<think> a </think> <answer> } \\boxed{Liu Bang </answer>',
      true,
      0,
      true,
      'boxed-missing',
      undefined,
      0,
    ],
    // The last \boxed is "\boxedx{…}", which remove_boxed rejects.
    [
      'malformed last box',
      '<think> a </think> <answer> \\boxed{Liu Bang} \\boxedx{y} </answer>',
      true,
      0,
      true,
      'boxed-malformed',
      undefined,
      0,
    ],
    // "\boxed " (with a space) anywhere wins over a later \boxed{…}, up to the first "$".
    [
      'the "\\boxed " form',
      '<think> a </think> <answer> \\boxed{x} \\boxed Liu Bang$ tail </answer>',
      true,
      1,
      true,
      'ok',
      'Liu Bang',
      1,
    ],
    // The last \boxed{} is scored with its braces matched; "\text{Liu Bang}" normalizes to
    // "textliu bang" (backslash and braces dropped), which shares "bang" with "liu bang": F1 1/2.
    [
      'nested braces',
      '<think> a </think> <answer> \\boxed{x} \\boxed{\\text{Liu Bang}} </answer>',
      true,
      0.5,
      true,
      'ok',
      '\\text{Liu Bang}',
      0.5,
    ],
    // yes/no must match exactly after normalization
    ['yes against no', '<think> a </think> <answer> \\boxed{yes} </answer>', true, 0.1, true, 'wrong-answer', 'yes', 0],
  ] as const)('%s', (_label, response, endedWithEos, score, formatOk, reason, prediction, f1) => {
    const result = reSearchReward.score({ response, goldenAnswers: golds, endedWithEos });
    expect(result.score).toBeCloseTo(score, 15);
    expect(result.formatOk).toBe(formatOk);
    expect(result.reason).toBe(reason);
    expect(result.prediction).toBe(prediction);
    expect(result.components.f1).toBeCloseTo(f1, 15);
    expect(result.components.format).toBe(formatOk ? 1 : 0);
  });

  it('scores yes against a yes golden answer', () => {
    const result = reSearchReward.score({
      response: '<think> a </think> <answer> \\boxed{Yes.} </answer>',
      goldenAnswers: ['yes'],
      endedWithEos: true,
    });
    expect(result).toEqual({
      score: 1,
      formatOk: true,
      reason: 'ok',
      prediction: 'Yes.',
      components: { f1: 1, format: 1 },
    });
  });

  it('exposes the spec fields and the 0.1 constant', () => {
    expect(reSearchReward.specificationVersion).toBe('v1');
    expect(reSearchReward.name).toBe('research-f1');
    expect(RESEARCH_FORMAT_REWARD).toBe(0.1);
  });
});

describe('scoreReSearchSequence: the full decoded prompt + response', () => {
  const basePrompt = 'A conversation between User and Assistant. … User: Who founded the Han dynasty?. Assistant:';
  const instructPrompt =
    '<|im_start|>system\nYou are a helpful assistant …<|im_end|>\n<|im_start|>user\nWho founded the Han dynasty?<|im_end|>\n<|im_start|>assistant\n';

  it('scores a base-template sequence ending with <|endoftext|>', () => {
    const decoded = `${basePrompt} ${wellFormed('Liu Bang')}<|endoftext|>`;
    expect(
      scoreReSearchSequence({ decoded, eosToken: '<|endoftext|>', template: 'base', goldenAnswers: golds }),
    ).toEqual({
      score: 1,
      formatOk: true,
      reason: 'ok',
      prediction: 'Liu Bang',
      components: { f1: 1, format: 1 },
    });
  });

  it('scores an instruct-template sequence ending with <|im_end|>', () => {
    const decoded = `${instructPrompt}${wellFormed('Emperor Gaozu')}<|im_end|>`;
    const result = scoreReSearchSequence({
      decoded,
      eosToken: '<|im_end|>',
      template: 'instruct',
      goldenAnswers: golds,
    });
    expect(result.score).toBeCloseTo(2 / 3, 15);
    expect(result.reason).toBe('ok');
  });

  it('counts a response ending with another special token as over length', () => {
    const decoded = `${instructPrompt}${wellFormed('Liu Bang')}<|endoftext|>`;
    expect(scoreReSearchSequence({ decoded, eosToken: '<|im_end|>', goldenAnswers: golds })).toMatchObject({
      score: 0,
      reason: 'over-length',
    });
    const truncated = `${instructPrompt}${wellFormed('Liu Bang')}`;
    expect(scoreReSearchSequence({ decoded: truncated, eosToken: '<|im_end|>', goldenAnswers: golds })).toMatchObject({
      score: 0,
      formatOk: true,
      reason: 'over-length',
    });
  });

  it('checks the format before the EOS', () => {
    const decoded = `${basePrompt} <think> a </think>`;
    expect(scoreReSearchSequence({ decoded, eosToken: '<|endoftext|>', goldenAnswers: golds })).toMatchObject({
      score: 0,
      formatOk: false,
      reason: 'answer-count',
    });
  });

  it("takes part [1] of the split, so a response that writes the marker again is cut there (ReSearch's behaviour)", () => {
    const decoded = `${basePrompt} <think> a </think> Assistant: <answer> \\boxed{Liu Bang} </answer><|endoftext|>`;
    expect(
      scoreReSearchSequence({ decoded, eosToken: '<|endoftext|>', template: 'base', goldenAnswers: golds }),
    ).toMatchObject({
      score: 0,
      reason: 'answer-count',
    });
  });

  it("picks the marker as ReSearch does under 'auto'", () => {
    // The instruct marker wins when present, even if "Assistant:" occurs earlier.
    const decoded = `<|im_start|>user\nAssistant: hi<|im_end|>\n<|im_start|>assistant\n${wellFormed('Liu Bang')}<|im_end|>`;
    expect(scoreReSearchSequence({ decoded, eosToken: '<|im_end|>', goldenAnswers: golds }).score).toBe(1);
    // Forcing 'base' splits on "Assistant:" and the response becomes " hi<|im_end|>…".
    expect(
      scoreReSearchSequence({ decoded, eosToken: '<|im_end|>', template: 'base', goldenAnswers: golds }).score,
    ).toBe(1);
    const baseDecoded = `${basePrompt} ${wellFormed('Qin')}<|endoftext|>`;
    expect(
      scoreReSearchSequence({ decoded: baseDecoded, eosToken: '<|endoftext|>', goldenAnswers: golds }),
    ).toMatchObject({
      score: 0.1,
      reason: 'wrong-answer',
    });
  });

  it('throws when the marker is missing or the EOS text is empty', () => {
    expect(() =>
      scoreReSearchSequence({
        decoded: 'no marker here',
        eosToken: '<|im_end|>',
        template: 'instruct',
        goldenAnswers: golds,
      }),
    ).toThrow(InvalidInputError);
    expect(() =>
      scoreReSearchSequence({ decoded: 'no marker here', eosToken: '<|im_end|>', goldenAnswers: golds }),
    ).toThrow('field "decoded": the decoded sequence has no "Assistant:" marker before the response');
    expect(() => scoreReSearchSequence({ decoded: `${basePrompt} x`, eosToken: '', goldenAnswers: golds })).toThrow(
      'field "eosToken": eosToken must be the non-empty text of the EOS token',
    );
  });
});
