import { generateWorld, worldTexts } from '@research-ts/datasets';
import { reSearchReward } from '@research-ts/evaluators';
import { buildPromptIds } from '@research-ts/rollout';
import { SeededRandom, splitWorldWords } from '@research-ts/spec';
import { createFlexsearchRetriever } from '@research-ts/retriever-flexsearch';
import { validateReSearchFormat } from '@research-ts/tags';
import { buildWorldTokenizer, loadTokenizerFromJson } from '@research-ts/tokenizer';
import { describe, expect, it } from 'vitest';
import { buildWarmupTranscript } from './warmup-transcript';

const world = generateWorld({
  seed: 11,
  people: 30,
  places: 6,
  organisations: 6,
  countries: 2,
  personNameWords: 1,
  organisationSuffixes: [],
  relations: ['born_in', 'works_for', 'founded_by', 'headquartered_in'],
  questionsPerHop: { 1: 20, 2: 20, 3: 0 },
  split: 'question',
});
const tokenizer = loadTokenizerFromJson({
  tokenizerJson: buildWorldTokenizer(worldTexts(world)),
  tokenizerConfig: { eos_token: '<|im_end|>', pad_token: '<|endoftext|>' },
});
const retriever = createFlexsearchRetriever(world.passages);
const names = new Set(world.entities.map((entity) => entity.name));
const candidates = (text: string) => splitWorldWords(text).filter((word) => names.has(word));

async function transcriptOf(
  seed: number,
  questionIndex: number,
  maxSearches = 3,
  minSearches?: number,
  rates?: { query: number; answer: number; followUp?: number },
) {
  const question = world.questions.train[questionIndex]!;
  return {
    question,
    transcript: await buildWarmupTranscript({
      promptIds: buildPromptIds(tokenizer, question.question, 'compact'),
      question: question.question,
      retriever,
      tokenizer,
      rng: SeededRandom.fromSeed(seed),
      candidates,
      topK: 1,
      maxSearches,
      ...(minSearches === undefined ? {} : { minSearches }),
      ...(rates === undefined
        ? {}
        : {
            queryContextRate: rates.query,
            followUpQueryContextRate: rates.followUp ?? 1,
            answerContextRate: rates.answer,
            anyName: [...names],
          }),
    }),
  };
}

describe('buildWarmupTranscript', () => {
  it('is always well-formed ReSearch, ends with EOS, and masks exactly the inserted result blocks', async () => {
    for (let seed = 0; seed < 40; seed++) {
      const { question, transcript } = await transcriptOf(seed, seed % world.questions.train.length);
      expect(validateReSearchFormat(transcript.text)).toEqual({ ok: true });
      expect(transcript.responseIds.at(-1)).toBe(tokenizer.tokenToId('<|im_end|>'));
      expect(transcript.lossMask).toHaveLength(transcript.responseIds.length);
      // the masked ids decode to the result blocks, the trained ids to everything else
      const masked = transcript.responseIds.filter((_, index) => transcript.lossMask[index] === 0);
      expect(tokenizer.decode(masked).startsWith('<result>')).toBe(true);
      expect(tokenizer.decode(masked).endsWith('</result>')).toBe(true);
      const trained = tokenizer.decode(transcript.responseIds.filter((_, index) => transcript.lossMask[index] === 1));
      expect(trained).not.toContain('<result>');
      // it scores as a rollout would: 0.1 for a wrong name, F1 for the right one; never a format failure
      const reward = reSearchReward.score({
        response: transcript.text,
        goldenAnswers: question.goldenAnswers,
        endedWithEos: true,
      });
      expect(reward.formatOk).toBe(true);
      expect([0.1, 1]).toContain(reward.score);
    }
  });

  it('draws the number of searches, the queries and the answer at random (uniform over its choices), never from the golden answer', async () => {
    const searchCounts = new Map<number, number>();
    let correct = 0;
    const runs = 300;
    for (let seed = 0; seed < runs; seed++) {
      const { question, transcript } = await transcriptOf(1000 + seed, 0);
      const searches = (transcript.text.match(/<search>/g) ?? []).length;
      searchCounts.set(searches, (searchCounts.get(searches) ?? 0) + 1);
      const queries = [...transcript.text.matchAll(/<search> (\S*) <\/search>/g)].map((match) => match[1]!);
      // the first query is a name of the question; later ones are names of the previous result
      expect(candidates(question.question)).toContain(queries[0]);
      const answer = /\\boxed\{ (\S*) \}/.exec(transcript.text)![1]!;
      expect(names.has(answer)).toBe(true);
      if (question.goldenAnswers.includes(answer)) correct += 1;
    }
    expect([...searchCounts.keys()].sort()).toEqual([1, 2, 3]);
    for (const count of searchCounts.values()) expect(count).toBeGreaterThan(runs / 3 - 40);
    // a random name of the latest result is rarely the answer: far from always, far from never
    expect(correct).toBeGreaterThan(0);
    expect(correct).toBeLessThan(runs / 2);
  });

  it('with minSearches 0 sometimes answers a name of the question without searching (scored 0.1), and rejects a minimum above the maximum', async () => {
    const searchCounts = new Map<number, number>();
    for (let seed = 0; seed < 200; seed++) {
      const { question, transcript } = await transcriptOf(2000 + seed, 1, 2, 0);
      expect(validateReSearchFormat(transcript.text)).toEqual({ ok: true });
      const searches = (transcript.text.match(/<search>/g) ?? []).length;
      searchCounts.set(searches, (searchCounts.get(searches) ?? 0) + 1);
      if (searches === 0) {
        expect(transcript.lossMask.every((bit) => bit === 1)).toBe(true);
        const answer = /\\boxed\{ (\S*) \}/.exec(transcript.text)![1]!;
        expect(candidates(question.question)).toContain(answer);
        expect(
          reSearchReward.score({ response: transcript.text, goldenAnswers: question.goldenAnswers, endedWithEos: true })
            .score,
        ).toBe(0.1);
      }
    }
    expect([...searchCounts.keys()].sort()).toEqual([0, 1, 2]);
    for (const count of searchCounts.values()) expect(count).toBeGreaterThan(200 / 3 - 30);
    await expect(transcriptOf(1, 0, 2, 3)).rejects.toThrow(
      /warmup\.minSearches.*must be an integer in 0 … maxSearches \(2\); got 3/,
    );
  });

  it('with context rates q, f and a searches a name of the question q of the time, a name of the result f of the time, and answers a name of the result a of the time; otherwise any name of the world', async () => {
    const runs = 400;
    const shares = async (rates: { query: number; answer: number }) => {
      let queryInQuestion = 0;
      let answerInResult = 0;
      for (let seed = 0; seed < runs; seed++) {
        const { question, transcript } = await transcriptOf(3000 + seed, 2, 1, 1, rates);
        expect(validateReSearchFormat(transcript.text)).toEqual({ ok: true });
        const [query] = [...transcript.text.matchAll(/<search> (\S*) <\/search>/g)].map((match) => match[1]!);
        const answer = /\\boxed\{ (\S*) \}/.exec(transcript.text)![1]!;
        expect(names.has(query!) && names.has(answer)).toBe(true);
        if (candidates(question.question).includes(query!)) queryInQuestion += 1;
        const result = transcript.text.slice(transcript.text.indexOf('<result>'), transcript.text.indexOf('</result>'));
        if (candidates(result).includes(answer)) answerInResult += 1;
      }
      return { query: queryInQuestion / runs, answer: answerInResult / runs };
    };
    // the rate, plus the chance (a few in 100) that a name of the world drawn at random is one of the context
    const queryOnly = await shares({ query: 0.4, answer: 1 });
    expect(queryOnly.query).toBeGreaterThan(0.33);
    expect(queryOnly.query).toBeLessThan(0.5);
    expect(queryOnly.answer).toBe(1);
    const answerOnly = await shares({ query: 1, answer: 0.25 });
    expect(answerOnly.query).toBe(1);
    expect(answerOnly.answer).toBeGreaterThan(0.18);
    expect(answerOnly.answer).toBeLessThan(0.4);
    // followUp 0: the first query is the question's name, the second one any name of the world
    let secondInFirstResult = 0;
    for (let seed = 0; seed < 200; seed++) {
      const { question, transcript } = await transcriptOf(4000 + seed, 2, 2, 2, { query: 1, answer: 1, followUp: 0 });
      const queries = [...transcript.text.matchAll(/<search> (\S*) <\/search>/g)].map((match) => match[1]!);
      expect(queries).toHaveLength(2);
      expect(candidates(question.question)).toContain(queries[0]);
      const firstResult = transcript.text.slice(
        transcript.text.indexOf('<result>'),
        transcript.text.indexOf('</result>'),
      );
      if (candidates(firstResult).includes(queries[1]!)) secondInFirstResult += 1;
    }
    expect(secondInFirstResult / 200).toBeLessThan(0.2);
    // rates of 1 draw exactly what the default draws (the same random stream)
    expect((await transcriptOf(9, 4, 3, 1, { query: 1, answer: 1 })).transcript).toEqual(
      (await transcriptOf(9, 4)).transcript,
    );
    await expect(transcriptOf(1, 0, 2, 1, { query: 1.5, answer: 1 })).rejects.toThrow(
      /warmup\.queryContextRate.*must be in 0 … 1; got 1\.5/,
    );
    await expect(transcriptOf(1, 0, 2, 1, { query: 1, answer: 1, followUp: 2 })).rejects.toThrow(
      /warmup\.followUpQueryContextRate.*must be in 0 … 1; got 2/,
    );
    await expect(transcriptOf(1, 0, 2, 1, { query: 1, answer: -0.1 })).rejects.toThrow(
      /warmup\.answerContextRate.*must be in 0 … 1; got -0\.1/,
    );
    await expect(
      buildWarmupTranscript({
        promptIds: [],
        question: 'Where?',
        retriever,
        tokenizer,
        rng: SeededRandom.fromSeed(1),
        candidates,
        topK: 1,
        maxSearches: 1,
        answerContextRate: 0.5,
      }),
    ).rejects.toThrow(/warmup\.answerContextRate.*anyName is empty/);
  });

  it('is deterministic for a seed', async () => {
    expect((await transcriptOf(5, 3)).transcript).toEqual((await transcriptOf(5, 3)).transcript);
  });
});

describe('buildWorldTokenizer on a generated world', () => {
  it('splits punctuation off words, keeps tags and \\boxed{ whole, and decodes with single spaces', () => {
    const passage = world.passages[0]!.contents;
    const ids = tokenizer.encode(passage, { addSpecialTokens: false });
    expect(tokenizer.decode(ids)).toBe(splitWorldWords(passage).join(' '));
    expect(ids).not.toContain(tokenizer.tokenToId('<unk>'));
    const name = world.entities[0]!.name;
    const answer = `<think> </think> <answer> \\boxed{${name}} </answer><|im_end|>`;
    const answerIds = tokenizer.encode(answer, { addSpecialTokens: false });
    expect(answerIds.map((id) => tokenizer.idToToken(id))).toEqual([
      '<think>',
      '</think>',
      '<answer>',
      '\\boxed{',
      name,
      '}',
      '</answer>',
      '<|im_end|>',
    ]);
    expect(tokenizer.vocabSize).toBeLessThan(400);
  });
});
