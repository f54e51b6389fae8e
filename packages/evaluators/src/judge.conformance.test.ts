import type { JudgeVerdict } from '@research-ts/spec';
import { exactMatchVerdict, judgeConformanceCases, runJudgeConformance } from '@research-ts/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { closedPortBaseURL, startFakeJudgeServer, type FakeJudgeServer } from './__fixtures__/fake-judge-server';
import { renderJudgePrompt } from './judge-prompt';
import { createOpenAIJudge, type OpenAIJudgeOptions } from './openai-judge';

// The fake model knows the suite's items: it answers each prompt with the exact-match verdict of its item.
const verdicts = new Map<string, JudgeVerdict>(
  judgeConformanceCases.map(({ item }) => [renderJudgePrompt(item), exactMatchVerdict(item)]),
);

let server: FakeJudgeServer;
let deadBaseURL: string;

beforeAll(async () => {
  server = await startFakeJudgeServer({ verdictOf: (prompt) => verdicts.get(prompt) });
  deadBaseURL = await closedPortBaseURL();
});

afterAll(() => server.close());

/** Fast retries, so the fault checks take milliseconds. */
const judgeOptions = (baseURL: string): OpenAIJudgeOptions => ({
  baseURL,
  maxRetries: 1,
  initialBackoffMs: 1,
  maxBackoffMs: 5,
  concurrency: 4,
});

runJudgeConformance({
  name: 'createOpenAIJudge (fake chat-completions server)',
  createJudge: () => createOpenAIJudge(judgeOptions(server.baseURL('verdict'))),
  faults: {
    unreachable: () => createOpenAIJudge(judgeOptions(deadBaseURL)),
    hanging: () => createOpenAIJudge(judgeOptions(server.baseURL('hang'))),
    malformedOutput: () => createOpenAIJudge(judgeOptions(server.baseURL('malformed'))),
  },
});

it('the fault judges reached the fake server (hang and malformed modes)', () => {
  expect(server.requests.hang).toBeGreaterThan(0);
  expect(server.requests.malformed).toBeGreaterThan(0);
});
