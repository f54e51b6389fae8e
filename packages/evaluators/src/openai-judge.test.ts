import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidConfigError, type JudgeItem } from '@research-ts/spec';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { renderJudgePrompt } from './judge-prompt';
import { createOpenAIJudge, type OpenAIJudgeOptions } from './openai-judge';

/**
 * A local stand-in for the chat-completions API. The question of each request names its scenario
 * (`scenario:attempt` counts are kept per question), so concurrent requests stay deterministic.
 */
interface RecordedRequest {
  method: string;
  url: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: Record<string, unknown>;
}

let server: Server;
let baseURL: string;
let recorded: RecordedRequest[] = [];
let attempts = new Map<string, number>();
let hanging: ServerResponse[] = [];
let onRequest: ((question: string) => void) | undefined;

function completion(content: string | null) {
  return JSON.stringify({
    id: 'chatcmpl-test',
    object: 'chat.completion',
    model: 'gpt-4o-mini',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
  });
}

const verdictJson = (judgement: string) => JSON.stringify({ rationale: `the prediction is ${judgement}`, judgement });

function reply(response: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(body);
}

function scenarioOf(prompt: string): string {
  return /question: (\S+)/.exec(prompt)![1]!;
}

async function handle(request: IncomingMessage, response: ServerResponse) {
  let raw = '';
  for await (const chunk of request) raw += chunk;
  const body = JSON.parse(raw) as { messages: { content: string }[] };
  recorded.push({
    method: request.method!,
    url: request.url!,
    authorization: request.headers.authorization,
    contentType: request.headers['content-type'],
    body,
  });
  const question = scenarioOf(body.messages[0]!.content);
  const attempt = (attempts.get(question) ?? 0) + 1;
  attempts.set(question, attempt);
  onRequest?.(question);
  const [scenario] = question.split('#');
  switch (scenario) {
    case 'correct':
      return reply(response, 200, completion(verdictJson('correct')));
    case 'incorrect':
      return reply(response, 200, completion(verdictJson('incorrect')));
    case 'malformed-then-correct':
      return reply(response, 200, completion(attempt === 1 ? 'The answer is correct.' : verdictJson('correct')));
    case 'always-malformed':
      return reply(response, 200, completion('{"rationale": "cut off'));
    case 'bad-judgement':
      return reply(response, 200, completion(JSON.stringify({ rationale: 'hm', judgement: 'Correct' })));
    case 'null-content-then-incorrect':
      return reply(response, 200, attempt === 1 ? completion(null) : completion(verdictJson('incorrect')));
    case 'not-a-completion-then-correct':
      return reply(response, 200, attempt === 1 ? '<html>gateway</html>' : completion(verdictJson('correct')));
    case '429-then-correct':
      return attempt === 1
        ? reply(response, 429, '{"error":{"message":"Rate limit reached"}}', { 'retry-after': '0.02' })
        : reply(response, 200, completion(verdictJson('correct')));
    case '429-ms-then-correct':
      return attempt === 1
        ? reply(response, 429, '{"error":{"message":"Rate limit"}}', { 'retry-after-ms': '15', 'retry-after': '7' })
        : reply(response, 200, completion(verdictJson('correct')));
    case '500-then-correct':
      return attempt <= 2
        ? reply(response, 500, '{"error":"boom"}')
        : reply(response, 200, completion(verdictJson('correct')));
    case 'always-503':
      return reply(response, 503, '{"error":"overloaded"}');
    case '401':
      return reply(response, 401, '{"error":{"message":"Incorrect API key provided"}}');
    case 'hang-then-correct':
      if (attempt === 1) {
        hanging.push(response);
        return;
      }
      return reply(response, 200, completion(verdictJson('correct')));
    case 'headers-then-hang':
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"choices": [');
      hanging.push(response);
      return;
    case 'hang':
      hanging.push(response);
      return;
    default:
      return reply(response, 500, `unknown scenario ${scenario}`);
  }
}

beforeAll(async () => {
  server = createServer((request, response) => {
    void handle(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  for (const response of hanging) response.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  for (const response of hanging) response.destroy();
  recorded = [];
  attempts = new Map();
  hanging = [];
  onRequest = undefined;
});

const item = (scenario: string, prediction = 'James Madison'): JudgeItem => ({
  question: `${scenario} who was the fourth president?`,
  goldenAnswers: ['James Madison', "Madison's"],
  prediction,
});

function testJudge(overrides: Partial<OpenAIJudgeOptions> = {}) {
  return createOpenAIJudge({
    baseURL,
    apiKey: 'sk-test',
    maxRetries: 3,
    initialBackoffMs: 2,
    maxBackoffMs: 10,
    timeoutMs: 300,
    ...overrides,
  });
}

describe('createOpenAIJudge', () => {
  it("sends ReSearch's request: one user message with the exact prompt, temperature 0, max_tokens 1024, JSON mode", async () => {
    const judge = createOpenAIJudge({ baseURL: `${baseURL}/`, apiKey: 'sk-test' });
    expect(judge.name).toBe('openai:gpt-4o-mini');
    expect(judge.specificationVersion).toBe('v1');
    const verdicts = await judge.judge([item('correct')]);
    expect(verdicts).toEqual([{ status: 'correct', rationale: 'the prediction is correct' }]);
    expect(recorded).toHaveLength(1);
    const request = recorded[0]!;
    expect(request).toMatchObject({
      method: 'POST',
      url: '/v1/chat/completions',
      authorization: 'Bearer sk-test',
      contentType: 'application/json',
    });
    expect(request.body).toEqual({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: renderJudgePrompt(item('correct')) }],
      temperature: 0,
      max_tokens: 1024,
      response_format: { type: 'json_object' },
    });
    const content = (request.body.messages as { content: string }[])[0]!.content;
    expect(content).toContain(`ground truth answers: ['James Madison', "Madison's"]\npred_answer: James Madison\n`);
    expect(content).toContain('```json \n{\n    "rationale"');
    expect(content.endsWith('\n\nYour output:')).toBe(true);
  });

  it('sends no Authorization header without an apiKey (a local judge server)', async () => {
    const verdicts = await createOpenAIJudge({ baseURL }).judge([item('correct')]);
    expect(verdicts).toEqual([{ status: 'correct', rationale: 'the prediction is correct' }]);
    expect(recorded[0]!.authorization).toBeUndefined();
  });

  it('returns verdicts in item order and honours the model option', async () => {
    const judge = testJudge({ model: 'judge-small' });
    const verdicts = await judge.judge([item('incorrect'), item('correct'), item('incorrect#2')]);
    expect(verdicts.map((verdict) => verdict.status)).toEqual(['incorrect', 'correct', 'incorrect']);
    expect(recorded.every((request) => request.body.model === 'judge-small')).toBe(true);
    expect(await judge.judge([])).toEqual([]);
  });

  it('retries unparseable output, a null content and a body that is not a completion', async () => {
    const retries: string[] = [];
    const judge = testJudge({ onRetry: (event) => retries.push(event.error) });
    const verdicts = await judge.judge([
      item('malformed-then-correct'),
      item('null-content-then-incorrect'),
      item('not-a-completion-then-correct'),
    ]);
    expect(verdicts.map((verdict) => verdict.status)).toEqual(['correct', 'incorrect', 'correct']);
    expect(attempts.get('malformed-then-correct')).toBe(2);
    expect(retries.sort()).toEqual([
      'judge output is not {"rationale", "judgement": "correct"|"incorrect"}: The answer is correct.',
      'unexpected completion body: <html>gateway</html>',
      expect.stringMatching(/^unexpected completion body: \{"id":"chatcmpl-test".*"content":null/),
    ]);
  });

  it('fails an item whose output stays unusable, after maxRetries + 1 attempts, without scoring it', async () => {
    const verdicts = await testJudge({ maxRetries: 2 }).judge([
      item('always-malformed'),
      item('bad-judgement'),
      item('correct'),
    ]);
    expect(verdicts[0]).toEqual({
      status: 'failed',
      error:
        'judge output is not {"rationale", "judgement": "correct"|"incorrect"}: {"rationale": "cut off (gave up after 3 attempts)',
    });
    expect(verdicts[1]).toEqual({
      status: 'failed',
      error:
        'judge output is not {"rationale", "judgement": "correct"|"incorrect"}: {"rationale":"hm","judgement":"Correct"} (gave up after 3 attempts)',
    });
    expect(verdicts[2]!.status).toBe('correct');
    expect(attempts.get('always-malformed')).toBe(3);
    expect(attempts.get('bad-judgement')).toBe(3);
  });

  it('honours Retry-After (seconds) and retry-after-ms on 429', async () => {
    const delays: Record<number, number> = {};
    const judge = testJudge({ onRetry: (event) => (delays[event.item] = event.delayMs) });
    const verdicts = await judge.judge([item('429-then-correct'), item('429-ms-then-correct')]);
    expect(verdicts.map((verdict) => verdict.status)).toEqual(['correct', 'correct']);
    expect(delays).toEqual({ 0: 20, 1: 15 });
  });

  it('caps a long Retry-After at maxRetryAfterMs', async () => {
    const delays: number[] = [];
    const judge = testJudge({ maxRetryAfterMs: 5, onRetry: (event) => delays.push(event.delayMs) });
    // retry-after-ms 15 is read first and capped to 5
    expect((await judge.judge([item('429-ms-then-correct')]))[0]!.status).toBe('correct');
    expect(delays).toEqual([5]);
  });

  it('backs off exponentially with jitter on 5xx, then succeeds', async () => {
    const events: { attempt: number; delayMs: number; error: string }[] = [];
    const judge = testJudge({
      initialBackoffMs: 4,
      maxBackoffMs: 6,
      random: () => 0,
      onRetry: (event) => events.push(event),
    });
    const verdicts = await judge.judge([item('500-then-correct')]);
    expect(verdicts).toEqual([{ status: 'correct', rationale: 'the prediction is correct' }]);
    // jitter factor 0.5 + 0.5·random() = 0.5: min(6, 4·2^0)·0.5 = 2, min(6, 4·2^1)·0.5 = 3
    expect(events).toEqual([
      { item: 0, attempt: 1, delayMs: 2, error: `HTTP 500 from ${baseURL}/chat/completions: {"error":"boom"}` },
      { item: 0, attempt: 2, delayMs: 3, error: `HTTP 500 from ${baseURL}/chat/completions: {"error":"boom"}` },
    ]);
  });

  it('reports a failure after retries on persistent 503s', async () => {
    const verdicts = await testJudge({ maxRetries: 1 }).judge([item('always-503')]);
    expect(verdicts).toEqual([
      {
        status: 'failed',
        error: `HTTP 503 from ${baseURL}/chat/completions: {"error":"overloaded"} (gave up after 2 attempts)`,
      },
    ]);
    expect(attempts.get('always-503')).toBe(2);
  });

  it('does not retry a non-retryable status such as 401', async () => {
    const verdicts = await testJudge().judge([item('401')]);
    expect(verdicts).toEqual([
      {
        status: 'failed',
        error: `HTTP 401 from ${baseURL}/chat/completions: {"error":{"message":"Incorrect API key provided"}}`,
      },
    ]);
    expect(attempts.get('401')).toBe(1);
  });

  it('times out a hanging response, including one that hangs mid-body, and retries', async () => {
    const verdicts = await testJudge({ timeoutMs: 100, maxRetries: 1 }).judge([
      item('hang-then-correct'),
      item('headers-then-hang'),
    ]);
    expect(verdicts[0]).toEqual({ status: 'correct', rationale: 'the prediction is correct' });
    expect(verdicts[1]).toEqual({
      status: 'failed',
      error: `judge request to ${baseURL}/chat/completions timed out after 100 ms (gave up after 2 attempts)`,
    });
  });

  it('retries network errors', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const verdicts = await testJudge({ baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 1 }).judge([
      item('correct'),
    ]);
    expect(verdicts[0]).toMatchObject({ status: 'failed' });
    expect((verdicts[0] as { error: string }).error).toMatch(
      new RegExp(
        `^network error calling http://127\\.0\\.0\\.1:${port}/v1/chat/completions: .+ \\(gave up after 2 attempts\\)$`,
      ),
    );
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    // Counted at the client, through the fetch option: a call is in flight until its response arrives.
    let clientInFlight = 0;
    let clientMaxInFlight = 0;
    const countingFetch: typeof fetch = async (input, init) => {
      clientInFlight += 1;
      clientMaxInFlight = Math.max(clientMaxInFlight, clientInFlight);
      try {
        return await fetch(input, init);
      } finally {
        clientInFlight -= 1;
      }
    };
    const items = Array.from({ length: 9 }, (_, index) => item(`correct#${index}`));
    const verdicts = await testJudge({ concurrency: 3, fetch: countingFetch }).judge(items);
    expect(verdicts.every((verdict) => verdict.status === 'correct')).toBe(true);
    expect(recorded).toHaveLength(9);
    expect(clientMaxInFlight).toBe(3);
    clientMaxInFlight = 0;
    await testJudge({ concurrency: 20, fetch: countingFetch }).judge(items);
    expect(clientMaxInFlight).toBe(9);
  });

  it("judges 20 items at once with the caller's signal and no MaxListenersExceededWarning", async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const items = Array.from({ length: 20 }, (_, index) => item(`correct#${index}`));
      const verdicts = await testJudge({ concurrency: 20 }).judge(items, { signal: new AbortController().signal });
      expect(verdicts.every((verdict) => verdict.status === 'correct')).toBe(true);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.map((warning) => `${warning.name}: ${warning.message}`)).toEqual([]);
  });

  it('rejects with the abort reason when the caller aborts', async () => {
    const controller = new AbortController();
    onRequest = () => controller.abort(new Error('stopped by user'));
    await expect(testJudge().judge([item('hang')], { signal: controller.signal })).rejects.toThrow('stopped by user');
    const aborted = new AbortController();
    aborted.abort(new Error('already'));
    await expect(testJudge().judge([item('correct')], { signal: aborted.signal })).rejects.toThrow('already');
  });

  it('validates its options', () => {
    expect(() => createOpenAIJudge({ baseURL: 'not a url', apiKey: 'k' })).toThrow(InvalidConfigError);
    expect(() => createOpenAIJudge({ baseURL, apiKey: 'k', concurrency: 0 })).toThrow(/^config field "concurrency": /);
    expect(() => createOpenAIJudge({ baseURL, apiKey: 'k', maxRetries: -1 })).toThrow(/^config field "maxRetries": /);
  });
});
