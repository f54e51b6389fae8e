import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JudgeVerdict } from '@research-ts/spec';

/**
 * What the fake model does, chosen by the first path segment of the request (`{origin}/{mode}/v1`):
 * - `verdict`: answers with the verdict `verdictOf(prompt)` as ReSearch's JSON (`{ rationale, judgement }`),
 *   or HTTP 500 for a prompt it does not know;
 * - `hang`: takes the request and never answers;
 * - `malformed`: answers 200 with a completion whose content is not a verdict (prose, cut-off JSON, or a
 *   judgement that is not exactly `correct`/`incorrect`, in turn).
 */
export type FakeJudgeMode = 'verdict' | 'hang' | 'malformed';

export interface FakeJudgeServer {
  /** The base URL of an OpenAI-compatible API in the given mode. */
  baseURL(mode: FakeJudgeMode): string;
  /** Requests received, by mode. */
  readonly requests: Record<FakeJudgeMode, number>;
  close(): Promise<void>;
}

const malformedContents = [
  'The prediction is correct.',
  '{"rationale": "cut off',
  JSON.stringify({ rationale: 'close enough', judgement: 'Correct' }),
];

function completion(content: string): string {
  return JSON.stringify({
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    model: 'fake-judge',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
  });
}

function reply(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(body);
}

/** Starts an in-process chat-completions server on 127.0.0.1 that plays a judge model. */
export async function startFakeJudgeServer(options: {
  verdictOf: (prompt: string) => JudgeVerdict | undefined;
}): Promise<FakeJudgeServer> {
  const requests: Record<FakeJudgeMode, number> = { verdict: 0, hang: 0, malformed: 0 };
  const hanging = new Set<ServerResponse>();

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of request) raw += chunk;
    const mode = request.url?.split('/')[1] as FakeJudgeMode;
    if (!(mode in requests)) return reply(response, 404, `{"error":"unknown mode ${mode}"}`);
    requests[mode] += 1;
    if (mode === 'hang') {
      hanging.add(response);
      response.on('close', () => hanging.delete(response));
      return;
    }
    const prompt = (JSON.parse(raw) as { messages: { content: string }[] }).messages[0]!.content;
    if (mode === 'malformed') {
      return reply(response, 200, completion(malformedContents[requests.malformed % malformedContents.length]!));
    }
    const verdict = options.verdictOf(prompt);
    if (verdict === undefined || verdict.status === 'failed') return reply(response, 500, '{"error":"unknown item"}');
    reply(response, 200, completion(JSON.stringify({ rationale: verdict.rationale, judgement: verdict.status })));
  }

  const server = createServer((request, response) => {
    void handle(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseURL: (mode) => `${origin}/${mode}/v1`,
    requests,
    async close() {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A base URL on 127.0.0.1 where nothing listens (a port opened and closed again): a dead server. */
export async function closedPortBaseURL(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/v1`;
}
