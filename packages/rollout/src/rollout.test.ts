import {
  ApiCallError,
  InvalidConfigError,
  type GenerateRequest,
  type Passage,
  type RolloutEvent,
} from '@research-ts/spec';
import { RESEARCH_INSTRUCT_SYSTEM_PROMPT } from '@research-ts/tags';
import { MockPolicy, MockRetriever, MockTokenizer, type MockCompletion } from '@research-ts/testing';
import { describe, expect, it } from 'vitest';
import { buildReSearchPrompt } from './build-research-prompt';
import { rollout } from './rollout';

const tokenizer = new MockTokenizer();
const corpus: Passage[] = [
  { id: 'p1', contents: '"X"\nx1' },
  { id: 'p2', contents: '"Y"\nx y' },
];
const fast = { attempts: 3, delayMs: 1, backoff: 2 };

/** A policy scripted per (call, index in the call) — with all samples active, the index is the sample. */
function scriptedPolicy(table: Record<string, MockCompletion>, fallback?: MockCompletion): MockPolicy {
  return new MockPolicy({
    tokenizer,
    script: (_request: GenerateRequest, { call, index }) => {
      const completion = table[`${call}:${index}`] ?? fallback;
      if (completion === undefined) throw new Error(`no completion for call ${call}, index ${index}`);
      return completion;
    },
  });
}

describe('rollout: the worked two-search example', () => {
  // Character-level tokenizer: one token per character, `<|im_end|>` one token (id 2).
  const turns = ['<think>a</think><search>x</search>', '<search>y</search>', '<answer>\\boxed{z}</answer><|im_end|>'];
  // Query "x": p1 and p2 both contain the term x (score 1 each) -> p1, p2 by id. Query "y": p2 only.
  const block1 = ' <result>\n"X"\nx1\n\n"Y"\nx y\n</result>';
  const block2 = ' <result>\n"Y"\nx y\n</result>';

  async function run() {
    const policy = scriptedPolicy({ '0:0': turns[0]!, '1:0': turns[1]!, '2:0': turns[2]! });
    const retriever = new MockRetriever(corpus);
    const events: RolloutEvent[] = [];
    const [sample, ...rest] = await rollout({
      policy,
      retriever,
      tokenizer,
      prompts: [tokenizer.encode('Q?')],
      onEvent: (event) => events.push(event),
    });
    expect(rest).toEqual([]);
    return { policy, retriever, events, sample: sample! };
  }

  it('produces the exact responseIds, lossMask, segments and text', async () => {
    const { trajectory } = (await run()).sample;
    // Lengths: turn 1 = 7+1+8+8+1+9 = 34; block 1 = 10+6+2+7+10 = 35; turn 2 = 8+1+9 = 18;
    // block 2 = 10+7+10 = 27; turn 3 = 8+9+9 characters + 1 EOS token = 27. Total 141.
    const pieces = [turns[0]!, block1, turns[1]!, block2, turns[2]!];
    expect(pieces.map((piece) => tokenizer.encode(piece).length)).toEqual([34, 35, 18, 27, 27]);
    expect(trajectory.promptIds).toEqual(tokenizer.encode('Q?'));
    expect(trajectory.responseIds).toEqual(pieces.flatMap((piece) => tokenizer.encode(piece)));
    expect(trajectory.segments).toEqual([
      { kind: 'model', start: 0, end: 34, text: turns[0] },
      { kind: 'result', start: 34, end: 69, text: block1 },
      { kind: 'model', start: 69, end: 87, text: turns[1] },
      { kind: 'result', start: 87, end: 114, text: block2 },
      { kind: 'model', start: 114, end: 141, text: turns[2] },
    ]);
    const expectedMask = [
      ...Array<number>(34).fill(1),
      ...Array<number>(35).fill(0),
      ...Array<number>(18).fill(1),
      ...Array<number>(27).fill(0),
      ...Array<number>(27).fill(1),
    ];
    expect([...trajectory.lossMask]).toEqual(expectedMask);
    expect(trajectory.text).toBe(pieces.join(''));
    expect(trajectory.finishReason).toBe('eos');
    expect(trajectory.error).toBeUndefined();
    expect(trajectory.searches).toEqual([
      {
        turn: 0,
        query: 'x',
        passages: [
          { ...corpus[0], score: 1 },
          { ...corpus[1], score: 1 },
        ],
      },
      { turn: 1, query: 'y', passages: [{ ...corpus[1], score: 1 }] },
    ]);
    expect(Object.isFrozen(trajectory)).toBe(true);
  });

  it('feeds the policy prompt + responseIds so far, with the remaining budget and the </search> stop', async () => {
    const { policy, sample } = await run();
    const ids = sample.trajectory.responseIds;
    const prompt = tokenizer.encode('Q?');
    expect(
      policy.calls.map((call) =>
        call.requests.map((request) => [request.inputIds, request.maxNewTokens, request.stopStrings]),
      ),
    ).toEqual([
      [[prompt, 8192, ['</search>']]],
      [[[...prompt, ...ids.slice(0, 69)], 8192 - 69, ['</search>']]],
      [[[...prompt, ...ids.slice(0, 114)], 8192 - 114, ['</search>']]],
    ]);
  });

  it('sends one search call per step with top-5', async () => {
    const { retriever } = await run();
    expect(retriever.calls).toEqual([
      { queries: ['x'], k: 5, failed: false },
      { queries: ['y'], k: 5, failed: false },
    ]);
  });

  it('emits the events in order, streaming the model text', async () => {
    const { events, sample } = await run();
    const deltas = events.filter((event) => event.type === 'text-delta');
    expect(deltas.map((event) => event.delta).join('')).toBe(turns.join(''));
    expect(deltas.every((event) => event.sample === 0)).toBe(true);
    const others = events.filter((event) => event.type !== 'text-delta');
    expect(others).toEqual([
      { type: 'turn-start', sample: 0, turn: 0 },
      { type: 'search-start', sample: 0, turn: 0, query: 'x' },
      { type: 'search-end', sample: 0, turn: 0, query: 'x', passages: sample.trajectory.searches[0]!.passages },
      { type: 'result-inserted', sample: 0, turn: 0, tokenCount: 35 },
      { type: 'turn-start', sample: 0, turn: 1 },
      { type: 'search-start', sample: 0, turn: 1, query: 'y' },
      { type: 'search-end', sample: 0, turn: 1, query: 'y', passages: sample.trajectory.searches[1]!.passages },
      { type: 'result-inserted', sample: 0, turn: 1, tokenCount: 27 },
      { type: 'turn-start', sample: 0, turn: 2 },
      { type: 'trajectory-end', sample: 0, trajectory: sample.trajectory },
    ]);
  });
});

describe('rollout: batching and groups', () => {
  it('batches all queries of a step into one retriever call and all active samples into one generate call', async () => {
    // 2 prompts x 2 samples. Step 1: samples 0, 1, 2 search; sample 3 ends with EOS. Step 2: all end.
    const policy = scriptedPolicy(
      {
        '0:0': '<search>x</search>',
        '0:1': '<search>y</search>',
        '0:2': '<search>x y</search>',
        '0:3': 'done<|im_end|>',
      },
      'ok<|im_end|>',
    );
    const retriever = new MockRetriever(corpus);
    const samples = await rollout({
      policy,
      retriever,
      tokenizer,
      prompts: [tokenizer.encode('A'), tokenizer.encode('BB')],
      samplesPerPrompt: 2,
    });
    expect(retriever.calls).toEqual([{ queries: ['x', 'y', 'x y'], k: 5, failed: false }]);
    expect(policy.calls.map((call) => call.requests.length)).toEqual([4, 3]);
    expect(samples.map(({ sample, promptIndex, sampleIndex }) => [sample, promptIndex, sampleIndex])).toEqual([
      [0, 0, 0],
      [1, 0, 1],
      [2, 1, 0],
      [3, 1, 1],
    ]);
    expect(samples.map((sample) => sample.trajectory.promptIds)).toEqual([[68], [68], [69, 69], [69, 69]]);
    expect(samples.map((sample) => sample.trajectory.finishReason)).toEqual(['eos', 'eos', 'eos', 'eos']);
    expect(samples[2]!.trajectory.searches[0]!.passages.map((passage) => passage.id)).toEqual(['p2', 'p1']);
    expect(samples[3]!.trajectory.text).toBe('done<|im_end|>');
  });

  it('gives each sample and turn its own seed, reproducibly', async () => {
    const seeds = async () => {
      const policy = scriptedPolicy({}, '<|im_end|>');
      await rollout({
        policy,
        retriever: new MockRetriever(corpus),
        tokenizer,
        prompts: [[68], [69]],
        samplesPerPrompt: 3,
        sampling: { temperature: 1, seed: 42 },
      });
      return policy.calls[0]!.requests.map((request) => request.sampling);
    };
    const first = await seeds();
    expect(new Set(first.map((sampling) => sampling!.seed)).size).toBe(6);
    expect(first.every((sampling) => sampling!.temperature === 1)).toBe(true);
    expect(await seeds()).toEqual(first);
    const unseeded = scriptedPolicy({}, '<|im_end|>');
    await rollout({
      policy: unseeded,
      retriever: new MockRetriever(corpus),
      tokenizer,
      prompts: [[68]],
      samplesPerPrompt: 2,
      sampling: { temperature: 0 },
    });
    expect(unseeded.calls[0]!.requests.map((request) => request.sampling)).toEqual([
      { temperature: 0 },
      { temperature: 0 },
    ]);
  });

  it('routes streamed text to the right sample', async () => {
    const policy = scriptedPolicy({ '0:0': 'ab<|im_end|>', '0:1': 'cd<|im_end|>' });
    const streamed: Record<number, string> = {};
    await rollout({
      policy,
      retriever: new MockRetriever(corpus),
      tokenizer,
      prompts: [[68], [69]],
      onEvent: (event) => {
        if (event.type === 'text-delta') streamed[event.sample] = (streamed[event.sample] ?? '') + event.delta;
      },
    });
    expect(streamed).toEqual({ 0: 'ab<|im_end|>', 1: 'cd<|im_end|>' });
  });
});

describe('rollout: stopping', () => {
  it('ends on EOS after one turn without searching', async () => {
    const policy = scriptedPolicy({ '0:0': '<answer>\\boxed{1}</answer><|im_end|>' });
    const retriever = new MockRetriever(corpus);
    const [sample] = await rollout({ policy, retriever, tokenizer, prompts: [[68]] });
    expect(sample!.trajectory.finishReason).toBe('eos');
    expect(sample!.trajectory.segments).toEqual([
      { kind: 'model', start: 0, end: 27, text: '<answer>\\boxed{1}</answer><|im_end|>' },
    ]);
    expect(retriever.calls).toEqual([]);
    expect(policy.calls).toHaveLength(1);
  });

  it('counts inserted tokens against the budget and truncates the result block exactly', async () => {
    // Turn 1 is 18 tokens; budget 25 leaves 7 of the 27-token block: " <resul".
    const policy = scriptedPolicy({ '0:0': '<search>y</search>' });
    const events: RolloutEvent[] = [];
    const [sample] = await rollout({
      policy,
      retriever: new MockRetriever(corpus),
      tokenizer,
      prompts: [[68]],
      responseBudget: 25,
      onEvent: (event) => events.push(event),
    });
    const { trajectory } = sample!;
    expect(trajectory.finishReason).toBe('budget');
    expect(trajectory.responseIds).toHaveLength(25);
    expect(trajectory.segments).toEqual([
      { kind: 'model', start: 0, end: 18, text: '<search>y</search>' },
      { kind: 'result', start: 18, end: 25, text: ' <resul' },
    ]);
    expect([...trajectory.lossMask]).toEqual([...Array<number>(18).fill(1), ...Array<number>(7).fill(0)]);
    expect(trajectory.text).toBe('<search>y</search> <resul');
    expect(trajectory.searches).toHaveLength(1);
    expect(events.find((event) => event.type === 'result-inserted')).toEqual({
      type: 'result-inserted',
      sample: 0,
      turn: 0,
      tokenCount: 7,
    });
    expect(policy.calls).toHaveLength(1);
  });

  it("ends with 'budget' when an untruncated insertion reaches the budget exactly", async () => {
    const policy = scriptedPolicy({ '0:0': '<search>y</search>' });
    const [sample] = await rollout({
      policy,
      retriever: new MockRetriever(corpus),
      tokenizer,
      prompts: [[68]],
      responseBudget: 18 + 27,
    });
    expect(sample!.trajectory.finishReason).toBe('budget');
    expect(sample!.trajectory.segments.map((segment) => [segment.kind, segment.start, segment.end])).toEqual([
      ['model', 0, 18],
      ['result', 18, 45],
    ]);
  });

  it("ends with 'budget' when the policy uses the whole budget, and asks for exactly the room left", async () => {
    const policy = scriptedPolicy({ '0:0': '<search>x</search>', '1:0': 'a long thought that never ends' });
    const retriever = new MockRetriever(corpus);
    const [sample] = await rollout({ policy, retriever, tokenizer, prompts: [[68]], responseBudget: 60 });
    // 18 generated + 35 inserted = 53, so turn 2 may generate 7 tokens.
    expect(policy.calls[1]!.requests[0]!.maxNewTokens).toBe(7);
    expect(sample!.trajectory.finishReason).toBe('budget');
    expect(sample!.trajectory.responseIds).toHaveLength(60);
    expect(sample!.trajectory.segments.at(-1)).toEqual({ kind: 'model', start: 53, end: 60, text: 'a long ' });
  });

  it("ends with 'budget' and no search when </search> is the last token the budget allows", async () => {
    const policy = scriptedPolicy({ '0:0': '<search>y</search>' });
    const retriever = new MockRetriever(corpus);
    const [sample] = await rollout({ policy, retriever, tokenizer, prompts: [[68]], responseBudget: 18 });
    expect(sample!.trajectory.finishReason).toBe('budget');
    expect(retriever.calls).toEqual([]);
    expect(sample!.trajectory.searches).toEqual([]);
  });

  it("ends with 'length' when the policy stops for length before the budget", async () => {
    const short: MockPolicy = scriptedPolicy({ '0:0': 'abc' });
    const policy = {
      specificationVersion: 'v1' as const,
      name: 'capped',
      generate: (requests: readonly GenerateRequest[]) =>
        short.generate(requests.map((request) => ({ ...request, maxNewTokens: 2 }))),
    };
    const [sample] = await rollout({ policy, retriever: new MockRetriever(corpus), tokenizer, prompts: [[68]] });
    expect(sample!.trajectory.finishReason).toBe('length');
    expect(sample!.trajectory.text).toBe('ab');
  });

  it('stops at maxTurns without searching after the last allowed turn', async () => {
    const policy = scriptedPolicy({}, '<search>x</search>');
    const retriever = new MockRetriever(corpus);
    const [sample] = await rollout({ policy, retriever, tokenizer, prompts: [[68]], maxTurns: 2 });
    expect(sample!.trajectory.finishReason).toBe('max-turns');
    expect(policy.calls).toHaveLength(2);
    expect(retriever.calls).toHaveLength(1);
    expect(sample!.trajectory.segments.map((segment) => segment.kind)).toEqual(['model', 'result', 'model']);
  });

  it('has no turn limit by default: only the budget stops a sample that keeps searching', async () => {
    const policy = scriptedPolicy({}, '<search>y</search>');
    const [sample] = await rollout({
      policy,
      retriever: new MockRetriever(corpus),
      tokenizer,
      prompts: [[68]],
      responseBudget: 450,
    });
    // Each turn adds 18 + 27 = 45 tokens: 10 searches fill 450 exactly.
    expect(sample!.trajectory.finishReason).toBe('budget');
    expect(policy.calls).toHaveLength(10);
    expect(sample!.trajectory.searches).toHaveLength(10);
  });
});

describe('rollout: empty queries', () => {
  it("inserts 'nothing to search' without retrieving for a blank or missing query", async () => {
    const policy = scriptedPolicy({ '0:0': '<search> \n</search>', '0:1': 'no tag</search>' }, '<|im_end|>');
    const retriever = new MockRetriever(corpus);
    const samples = await rollout({ policy, retriever, tokenizer, prompts: [[68]], samplesPerPrompt: 2 });
    expect(retriever.calls).toEqual([]);
    for (const sample of samples) {
      expect(sample.trajectory.searches).toEqual([{ turn: 0, query: '', passages: [] }]);
      expect(sample.trajectory.segments[1]).toMatchObject({
        kind: 'result',
        text: ' <result>\nnothing to search\n</result>',
      });
      expect(sample.trajectory.finishReason).toBe('eos');
    }
  });

  it('takes the query from the latest generation only', async () => {
    // Turn 2 closes a search it never opened; the whole response would pair it with turn 1's <search>.
    const policy = scriptedPolicy({ '0:0': '<search>x</search>', '1:0': 'oops</search>' }, '<|im_end|>');
    const retriever = new MockRetriever(corpus);
    const [sample] = await rollout({ policy, retriever, tokenizer, prompts: [[68]] });
    expect(retriever.calls.map((call) => call.queries)).toEqual([['x']]);
    expect(sample!.trajectory.searches.map((search) => search.query)).toEqual(['x', '']);
  });
});

describe('rollout: retriever failures', () => {
  it('retries a failing search call, then goes on', async () => {
    const policy = scriptedPolicy({ '0:0': '<search>x</search>' }, '<|im_end|>');
    const retriever = new MockRetriever(corpus, { failTimes: 2 });
    const events: RolloutEvent[] = [];
    const [sample] = await rollout({
      policy,
      retriever,
      tokenizer,
      prompts: [[68]],
      retry: fast,
      onEvent: (event) => events.push(event),
    });
    expect(retriever.calls.map((call) => call.failed)).toEqual([true, true, false]);
    expect(sample!.trajectory.finishReason).toBe('eos');
    expect(sample!.trajectory.searches[0]!.passages.map((passage) => passage.id)).toEqual(['p1', 'p2']);
    expect(events.filter((event) => event.type === 'search-error')).toEqual([
      {
        type: 'search-error',
        sample: 0,
        turn: 0,
        query: 'x',
        error: 'mock retriever failure on call 0',
        willRetry: true,
      },
      {
        type: 'search-error',
        sample: 0,
        turn: 0,
        query: 'x',
        error: 'mock retriever failure on call 1',
        willRetry: true,
      },
    ]);
  });

  it("ends the samples of a finally failed call with 'error' and the message, never an invented result", async () => {
    const policy = scriptedPolicy(
      { '0:0': '<search>x</search>', '0:1': '<search> </search>', '0:2': '<search>y</search>' },
      '<|im_end|>',
    );
    const retriever = new MockRetriever(corpus, { failTimes: 10 });
    const events: RolloutEvent[] = [];
    const samples = await rollout({
      policy,
      retriever,
      tokenizer,
      prompts: [[68]],
      samplesPerPrompt: 3,
      retry: fast,
      onEvent: (event) => events.push(event),
    });
    expect(retriever.calls).toHaveLength(3);
    expect(retriever.calls.every((call) => call.queries.join() === 'x,y')).toBe(true);
    const [first, blank, third] = samples.map((sample) => sample.trajectory);
    for (const trajectory of [first!, third!]) {
      expect(trajectory.finishReason).toBe('error');
      expect(trajectory.error).toBe('retriever "mock" failed after 3 tries: mock retriever failure on call 2');
      expect(trajectory.segments.map((segment) => segment.kind)).toEqual(['model']);
      expect(trajectory.searches).toEqual([]);
      expect(trajectory.text).not.toContain('<result>');
    }
    expect(blank!.finishReason).toBe('eos');
    expect(
      events
        .filter((event) => event.type === 'search-error' && event.sample === 0)
        .map((event) => event.type === 'search-error' && event.willRetry),
    ).toEqual([true, true, false]);
  });

  it('does not retry a non-retryable ApiCallError', async () => {
    const retriever = new MockRetriever(corpus, {
      failTimes: 1,
      failWith: () => new ApiCallError('bad request', { url: 'http://retriever/batch_search', statusCode: 400 }),
    });
    const [sample] = await rollout({
      policy: scriptedPolicy({ '0:0': '<search>x</search>' }),
      retriever,
      tokenizer,
      prompts: [[68]],
      retry: fast,
    });
    expect(retriever.calls).toHaveLength(1);
    expect(sample!.trajectory.error).toBe('retriever "mock" failed after 1 try: bad request');
  });

  it('times out a slow call and retries it', async () => {
    const retriever = new MockRetriever(corpus, { delayMs: 60_000 });
    const [sample] = await rollout({
      policy: scriptedPolicy({ '0:0': '<search>x</search>' }),
      retriever,
      tokenizer,
      prompts: [[68]],
      retry: { attempts: 2, delayMs: 1, timeoutMs: 5 },
    });
    expect(retriever.calls).toHaveLength(2);
    expect(sample!.trajectory.finishReason).toBe('error');
    expect(sample!.trajectory.error).toBe(
      'retriever "mock" failed after 2 tries: retriever "mock" search timed out after 5 ms',
    );
  });
});

describe('rollout: the share of failed searches', () => {
  it('rejects at the first search that fails after its retries when maxFailedSearchShare is 0, naming the retriever', async () => {
    const policy = scriptedPolicy({}, '<search>x</search>');
    const retriever = new MockRetriever(corpus, { name: 'flaky', failTimes: 10 });
    const error = await rollout({
      policy,
      retriever,
      tokenizer,
      prompts: [[68], [69]],
      retry: fast,
      maxFailedSearchShare: 0,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiCallError);
    expect((error as ApiCallError).url).toBe('retriever:flaky');
    expect((error as Error).message).toBe(
      'retriever "flaky" failed after 3 tries: mock retriever failure on call 2 (2 of 2 searches failed so far in this batch; none may fail: maxFailedSearchShare is 0)',
    );
    // it stopped at the first failed call: no generation after it
    expect(policy.calls).toHaveLength(1);
  });

  it('goes on while the failed share stays within maxFailedSearchShare, and rejects past it at the end of the call', async () => {
    // both samples search once (one call, answered); then sample 0 searches again and that call fails: 1 of 3 failed
    const script = { '0:0': '<search>x</search>', '0:1': '<search>y</search>', '1:0': '<search>x</search>' };
    const failSecondCall = () => {
      const retriever = new MockRetriever(corpus);
      const search = retriever.search.bind(retriever);
      let call = 0;
      retriever.search = async (queries, k, options) => {
        call += 1;
        if (call >= 2) throw new ApiCallError('down', { url: 'http://retriever', isRetryable: false });
        return search(queries, k, options);
      };
      return retriever;
    };
    // 1 failed of 3 searches: allowed at 0.5, not at 0.25
    const run = (maxFailedSearchShare: number) =>
      rollout({
        policy: scriptedPolicy(script, '<|im_end|>'),
        retriever: failSecondCall(),
        tokenizer,
        prompts: [[68]],
        samplesPerPrompt: 2,
        retry: fast,
        maxFailedSearchShare,
      });
    const samples = await run(0.5);
    expect(samples.map((sample) => sample.trajectory.finishReason)).toEqual(['error', 'eos']);
    const error = await run(0.25).catch((caught: unknown) => caught);
    expect((error as Error).message).toMatch(
      /^retriever "mock" failed after 1 try: down \(1 of 3 searches failed so far in this batch; at most 25\.0% may fail/,
    );
  });

  it('validates maxFailedSearchShare', async () => {
    const error = await rollout({
      policy: scriptedPolicy({}, '<|im_end|>'),
      retriever: new MockRetriever(corpus),
      tokenizer,
      prompts: [[68]],
      maxFailedSearchShare: 2,
    }).catch((caught: unknown) => caught);
    expect((error as Error).message).toBe('config field "maxFailedSearchShare": must be a number in [0, 1], got 2');
  });
});

describe('rollout: token ids end to end', () => {
  it('passes the policy its own ids back, never a re-tokenization of the text', async () => {
    const merged = new MockTokenizer({ merges: ['<search>', '</search>', ' <result>\n', '\n</result>'] });
    const characters = (text: string) => [...text].map((character) => merged.codePointBase + character.codePointAt(0)!);
    const turn1 = characters('<search>x</search>'); // non-canonical: the merges would encode this in 3 tokens
    expect(merged.encode(merged.decode(turn1))).not.toEqual(turn1);
    const policy = new MockPolicy({
      tokenizer: merged,
      script: (_request, { call }) => (call === 0 ? turn1 : '<|im_end|>'),
    });
    const prompt = merged.encode('Q: <search>?');
    const [sample] = await rollout({
      policy,
      retriever: new MockRetriever(corpus),
      tokenizer: merged,
      prompts: [prompt],
    });
    const block = ' <result>\n"X"\nx1\n\n"Y"\nx y\n</result>';
    const inserted = merged.encode(block, { addSpecialTokens: false });
    expect(inserted[0]).toBe(merged.tokenToId(' <result>\n'));
    expect(policy.calls[1]!.requests[0]!.inputIds).toEqual([...prompt, ...turn1, ...inserted]);
    expect(sample!.trajectory.responseIds).toEqual([...turn1, ...inserted, 2]);
    expect(sample!.trajectory.text).toBe(`<search>x</search>${block}<|im_end|>`);
  });
});

describe('rollout: prompts from questions', () => {
  it('builds instruct prompts with the chat template and base prompts with the raw template', async () => {
    for (const template of ['instruct', 'base'] as const) {
      const policy = scriptedPolicy({}, '<|im_end|>');
      await rollout({
        policy,
        retriever: new MockRetriever(corpus),
        tokenizer,
        questions: ['Who?', 'Where?'],
        template,
      });
      expect(policy.calls[0]!.requests.map((request) => request.inputIds)).toEqual([
        buildReSearchPrompt(tokenizer, 'Who?', template),
        buildReSearchPrompt(tokenizer, 'Where?', template),
      ]);
    }
    expect(tokenizer.decode(buildReSearchPrompt(tokenizer, 'Who?', 'instruct'))).toBe(
      `<|im_start|>system\n${RESEARCH_INSTRUCT_SYSTEM_PROMPT}<|im_end|>\n<|im_start|>user\nWho?<|im_end|>\n<|im_start|>assistant\n`,
    );
  });
});

describe('rollout: faults', () => {
  it('rejects when the signal aborts', async () => {
    const controller = new AbortController();
    const policy = new MockPolicy({ tokenizer, script: () => '<search>x</search>', delayMs: 60_000 });
    const pending = rollout({
      policy,
      retriever: new MockRetriever(corpus),
      tokenizer,
      prompts: [[68]],
      signal: controller.signal,
    });
    controller.abort(new Error('user stop'));
    await expect(pending).rejects.toThrow('user stop');
  });

  it('rejects when the signal aborts while waiting to retry a search', async () => {
    const controller = new AbortController();
    const retriever = new MockRetriever(corpus, { failTimes: 5 });
    const pending = rollout({
      policy: scriptedPolicy({ '0:0': '<search>x</search>' }),
      retriever,
      tokenizer,
      prompts: [[68]],
      signal: controller.signal,
      retry: { delayMs: 60_000 },
      onEvent: (event) => {
        if (event.type === 'search-error') controller.abort(new Error('stop retrying'));
      },
    });
    await expect(pending).rejects.toThrow('stop retrying');
    expect(retriever.calls).toHaveLength(1);
  });

  it('returns [] for no prompts without calling anything', async () => {
    const policy = scriptedPolicy({});
    const retriever = new MockRetriever(corpus);
    expect(await rollout({ policy, retriever, tokenizer, prompts: [] })).toEqual([]);
    expect(policy.calls).toEqual([]);
  });

  it("cuts a policy that returns more than maxNewTokens to the budget and ends with 'budget'", async () => {
    const inner = scriptedPolicy({ '0:0': 'abcdef<|im_end|>' });
    const policy = {
      specificationVersion: 'v1' as const,
      name: 'overlong',
      generate: (requests: readonly GenerateRequest[]) =>
        inner.generate(requests.map((request) => ({ ...request, maxNewTokens: 100 }))),
    };
    const [sample] = await rollout({
      policy,
      retriever: new MockRetriever(corpus),
      tokenizer,
      prompts: [[68]],
      responseBudget: 4,
    });
    expect(sample!.trajectory.finishReason).toBe('budget');
    expect(sample!.trajectory.segments).toEqual([{ kind: 'model', start: 0, end: 4, text: 'abcd' }]);
  });

  it('rejects a policy that answers a different number of requests', async () => {
    const policy = { specificationVersion: 'v1' as const, name: 'lossy', generate: async () => [] };
    await expect(rollout({ policy, retriever: new MockRetriever(corpus), tokenizer, prompts: [[68]] })).rejects.toThrow(
      'policy "lossy": returned 0 results for 1 requests',
    );
  });

  it.each([
    [{ responseBudget: 0 }, 'config field "responseBudget": must be a positive integer, got 0'],
    [{ samplesPerPrompt: 1.5 }, 'config field "samplesPerPrompt": must be a positive integer, got 1.5'],
    [{ topK: -1 }, 'config field "topK": must be a positive integer, got -1'],
    [{ maxTurns: 0 }, 'config field "maxTurns": must be a positive integer, got 0'],
    [{ retry: { attempts: 0 } }, 'config field "retry.attempts": must be a positive integer, got 0'],
    [{ retry: { backoff: 0.5 } }, 'config field "retry.backoff": must be a finite number ≥ 1, got 0.5'],
    [{ prompts: [[1, -2]] }, 'config field "prompts.0": must be an array of non-negative integer token ids'],
  ])('rejects bad options %j', async (overrides, message) => {
    const options = {
      policy: scriptedPolicy({}),
      retriever: new MockRetriever(corpus),
      tokenizer,
      prompts: [[68]],
      ...overrides,
    };
    const error = await rollout(options).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect((error as Error).message).toBe(message);
  });
});
