import { ApiCallError, type Passage } from '@research-ts/spec';
import { MockPolicy, MockRetriever, MockTokenizer } from '@research-ts/testing';
import { describe, expect, it } from 'vitest';
import { evaluateQuestions, summarizePredictions } from './evaluate-questions';

const tokenizer = new MockTokenizer();
const corpus: Passage[] = [{ id: 'p1', contents: '"Paris"\nParis is in France.' }];
const questions = [
  { id: 'q0', question: 'first', goldenAnswers: ['a'] },
  { id: 'q1', question: 'second', goldenAnswers: ['Paris'] },
  { id: 'q2', question: 'third', goldenAnswers: ['c'] },
];

/** `second` searches once and then answers; the others answer at once. */
const policy = () =>
  new MockPolicy({
    tokenizer,
    script: (_request, { contextText }) => {
      if (!contextText.includes('second'))
        return `<answer>\\boxed{${contextText.includes('first') ? 'a' : 'x'}}</answer><|im_end|>`;
      return contextText.includes('<result>') ? '<answer>\\boxed{Paris}</answer><|im_end|>' : '<search>Paris</search>';
    },
  });

describe('evaluateQuestions', () => {
  it('reports each prediction and the progress as each question finishes, and returns them in question order', async () => {
    const ended: [string, number][] = [];
    const progress: [number, number, number][] = [];
    const predictions = await evaluateQuestions({
      policy: policy(),
      retriever: new MockRetriever(corpus),
      tokenizer,
      questions,
      template: 'compact',
      responseBudget: 200,
      topK: 1,
      onPrediction: (prediction, index) => ended.push([prediction.id, index]),
      onProgress: (done, total, failed) => progress.push([done, total, failed]),
    });
    // the two one-turn questions end before the one that searched; the batch is one rollout call
    expect(ended).toEqual([
      ['q0', 0],
      ['q2', 2],
      ['q1', 1],
    ]);
    expect(progress).toEqual([
      [1, 3, 0],
      [2, 3, 0],
      [3, 3, 0],
    ]);
    expect(predictions.map((prediction) => [prediction.id, prediction.prediction, prediction.exactMatch])).toEqual([
      ['q0', 'a', true],
      ['q1', 'Paris', true],
      ['q2', 'x', false],
    ]);
    expect(summarizePredictions(predictions)).toMatchObject({ count: 3, searches: 1 / 3, failedSearches: 0 });
  });

  it('counts failed searches, and stops past maxFailedSearchShare with an error naming the retriever', async () => {
    const failing = () =>
      new MockRetriever(corpus, {
        name: 'down',
        failTimes: 100,
        failWith: () => new ApiCallError('refused', { url: 'http://retriever', isRetryable: false }),
      });
    const base = { policy: policy(), tokenizer, questions, template: 'compact' as const, responseBudget: 200, topK: 1 };
    const predictions = await evaluateQuestions({ ...base, retriever: failing(), maxFailedSearchShare: 1 });
    expect(predictions[1]).toMatchObject({ finishReason: 'error', failedSearches: 1, reward: 0 });
    expect(summarizePredictions(predictions).failedSearches).toBe(1);
    const ended: string[] = [];
    await expect(
      evaluateQuestions({
        ...base,
        policy: policy(),
        retriever: failing(),
        maxFailedSearchShare: 0,
        onPrediction: (prediction) => ended.push(prediction.id),
      }),
    ).rejects.toThrow(
      /^retriever "down" failed after 1 try: refused \(1 of 1 searches failed so far in this batch; none may fail/,
    );
    // every question that ended was reported, the one whose search failed included (a resumed evaluation asks it again)
    expect(ended).toEqual(['q0', 'q2', 'q1']);
  });
});
