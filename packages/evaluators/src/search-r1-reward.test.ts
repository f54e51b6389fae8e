import { InvalidConfigError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import {
  createSearchR1EmReward,
  createSearchR1FormatReward,
  extractSearchR1Answer,
  searchR1EmReward,
} from './search-r1-reward';

const golds = ['Beijing'];
const information = '\n\n<information>Doc 1(Title: Beijing) Beijing is the capital of China.\n</information>\n\n';
const noHit = '\n\n<information>Doc 1(Title: Shanghai) Shanghai is a city.\n</information>\n\n';
const valid = (answer: string, docs = information) =>
  `<think> I should search. </think>\n<search> capital of China </search>${docs}<think> Found it. </think>\n<answer> ${answer} </answer>`;

describe('extractSearchR1Answer', () => {
  it.each([
    ['<answer> Beijing </answer>', 'Beijing'],
    // the last of several answers, stripped the Python way (U+0085 is whitespace there)
    ['<answer>Shanghai</answer> then <answer>\u0085 Beijing\n</answer>', 'Beijing'],
    ['<answer></answer>', ''],
    ['<answer> open only', undefined],
    ['no tags', undefined],
    // lazy match: the span ends at the first </answer>
    ['<answer> a <answer> b </answer> c </answer>', 'a <answer> b'],
  ])('%j → %j', (response, expected) => {
    expect(extractSearchR1Answer(response)).toBe(expected);
  });
});

describe('searchR1EmReward (compute_score_em over the response)', () => {
  it.each([
    ['exact match', '<answer> beijing. </answer>', 1, 'ok', 'beijing.', 1],
    ['the last answer counts', '<answer> Beijing </answer> <answer> Paris </answer>', 0, 'wrong-answer', 'Paris', 0],
    [
      'EM, not F1: a longer answer scores 0',
      '<answer> Beijing, China </answer>',
      0,
      'wrong-answer',
      'Beijing, China',
      0,
    ],
    ['no answer', '<think> hmm </think>', 0, 'answer-missing', undefined, 0],
    // Search-R1 ignores the format entirely
    ['no think, still scored', 'Beijing <answer>The Beijing</answer> junk', 1, 'ok', 'The Beijing', 1],
  ] as const)('%s', (_label, response, score, reason, prediction, em) => {
    const result = searchR1EmReward.score({ response, goldenAnswers: golds, endedWithEos: false });
    expect(result).toMatchObject({ score, reason, components: { em } });
    expect(result.prediction).toBe(prediction);
  });

  it('uses its score and formatScore options', () => {
    const reward = createSearchR1EmReward({ score: 2, formatScore: 0.3 });
    expect(reward.score({ response: '<answer>Beijing</answer>', goldenAnswers: golds, endedWithEos: true }).score).toBe(
      2,
    );
    expect(reward.score({ response: '<answer>Paris</answer>', goldenAnswers: golds, endedWithEos: true }).score).toBe(
      0.3,
    );
    expect(reward.score({ response: 'none', goldenAnswers: golds, endedWithEos: true }).score).toBe(0);
  });

  it('rejects options that are not finite numbers', () => {
    expect(() => createSearchR1EmReward({ score: Number.NaN })).toThrow(InvalidConfigError);
    expect(() => createSearchR1FormatReward({ retrievalScore: Infinity })).toThrow(
      'config field "retrievalScore": must be a finite number, got Infinity',
    );
  });
});

describe('createSearchR1FormatReward (v0.3, script scores 0.2 / 0.1 / 0)', () => {
  const reward = createSearchR1FormatReward();
  const withRetrieval = createSearchR1FormatReward({
    structureFormatScore: 0.2,
    finalFormatScore: 0.1,
    retrievalScore: 0.1,
  });

  it.each([
    // [label, response, default score, score with retrievalScore 0.1, reason, em, format, retrievalHit]
    ['EM, valid format', valid('Beijing'), 1, 1, 'ok', 1, 1, 1],
    ['EM, invalid format', `Sure. ${valid('Beijing')}`, 0.8, 0.8, 'unexpected-content', 1, 0, 0],
    ['wrong, valid, retrieval hit', valid('Shanghai'), 0.2, 0.2 + 0.1, 'wrong-answer', 0, 1, 1],
    ['wrong, valid, no hit', valid('Shanghai', noHit), 0.2, 0.2, 'wrong-answer', 0, 1, 0],
    ['wrong, invalid, with an answer', '<answer> Shanghai </answer>', 0.1, 0.1, 'unexpected-tag', 0, 0, 0],
    ['no answer, invalid', `<think> a </think>${information}`, 0, 0, 'unexpected-tag', 0, 0, 0],
  ] as const)('%s', (_label, response, score, scoreWithRetrieval, reason, em, format, retrievalHit) => {
    const result = reward.score({ response, goldenAnswers: golds, endedWithEos: true });
    expect(result.score).toBeCloseTo(score, 15);
    expect(result.reason).toBe(reason);
    expect(result.formatOk).toBe(format === 1);
    expect(result.components).toEqual({ em, format, retrievalHit });
    expect(withRetrieval.score({ response, goldenAnswers: golds, endedWithEos: true }).score).toBeCloseTo(
      scoreWithRetrieval,
      15,
    );
  });

  it("keeps Search-R1's own defaults available (all three 0)", () => {
    const plain = createSearchR1FormatReward({ structureFormatScore: 0, finalFormatScore: 0, retrievalScore: 0 });
    expect(plain.score({ response: valid('Shanghai'), goldenAnswers: golds, endedWithEos: true }).score).toBe(0);
    expect(plain.score({ response: `x ${valid('Beijing')}`, goldenAnswers: golds, endedWithEos: true }).score).toBe(1);
    expect(plain.name).toBe('search-r1-em-format');
  });
});
