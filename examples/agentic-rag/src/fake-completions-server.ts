import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Tokenizer } from '@research-ts/spec';

export interface FakeCompletionsServer {
  /** The API root to give the policy, e.g. `http://127.0.0.1:41234/v1`. */
  baseURL: string;
  close(): Promise<void>;
}

export interface FakeCompletionsServerOptions {
  tokenizer: Tokenizer;
  /**
   * What the "model" writes, turn by turn. The turn is the number of these texts already in the prompt,
   * so a turn is replayed from the context the rollout loop sends, as a stateless server must.
   */
  turns: readonly string[];
  /** Milliseconds between streamed chunks (to make the streaming visible). Default 10. */
  chunkDelayMs?: number;
}

interface CompletionBody {
  prompt?: unknown;
  max_tokens?: number;
  stop?: string[];
  stream?: boolean;
  model?: string;
}

async function readBody(request: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of request) body += chunk;
  return body;
}

/**
 * A stand-in for `vllm serve` that speaks the part of the OpenAI `/v1/completions` API that
 * `@research-ts/policy-openai` uses in its vLLM dialect: token-id prompts, `stop` strings kept in the
 * output, `token_ids` in each choice, `stop_reason`, and `stream: true` as server-sent events. It replays
 * scripted turns, so the example runs offline; every other part of the loop (tokenizer, rollout, retrieval,
 * reward) is real.
 */
export async function startFakeCompletionsServer(
  options: FakeCompletionsServerOptions,
): Promise<FakeCompletionsServer> {
  const { tokenizer, turns } = options;
  const eosId = tokenizer.eosTokenIds[0]!;
  const chunkDelayMs = options.chunkDelayMs ?? 10;

  function complete(body: CompletionBody) {
    if (!Array.isArray(body.prompt) || !body.prompt.every((id) => Number.isInteger(id)))
      throw new Error('prompt must be token ids (vLLM dialect)');
    const context = tokenizer.decode(body.prompt as number[]);
    let turn = 0;
    while (turn < turns.length && context.includes(turns[turn]!)) turn += 1;
    let text = turns[turn] ?? '';
    let stopReason: string | null = null;
    for (const stop of body.stop ?? []) {
      const at = text.indexOf(stop);
      if (at >= 0 && (stopReason === null || at + stop.length < text.length)) {
        text = text.slice(0, at + stop.length);
        stopReason = stop;
      }
    }
    let ids = tokenizer.encode(text);
    if (stopReason === null) ids.push(eosId);
    let finishReason = 'stop';
    const maxTokens = body.max_tokens ?? Number.POSITIVE_INFINITY;
    if (ids.length > maxTokens) {
      ids = ids.slice(0, maxTokens);
      finishReason = 'length';
      stopReason = null;
    }
    return { ids, finishReason, stopReason };
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method !== 'POST' || request.url !== '/v1/completions') {
      response
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ object: 'error', message: `no route ${request.method} ${request.url}` }));
      return;
    }
    const body = JSON.parse(await readBody(request)) as CompletionBody;
    const { ids, finishReason, stopReason } = complete(body);
    const base = {
      id: 'cmpl-fake',
      object: 'text_completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model ?? 'fake',
    };
    if (body.stream !== true) {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          ...base,
          choices: [
            {
              index: 0,
              text: tokenizer.decode(ids),
              token_ids: ids,
              finish_reason: finishReason,
              stop_reason: stopReason,
            },
          ],
        }),
      );
      return;
    }
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const send = (choice: Record<string, unknown>) =>
      response.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, ...choice }] })}\n\n`);
    const tokensPerChunk = 3;
    for (let at = 0; at < ids.length; at += tokensPerChunk) {
      const chunkIds = ids.slice(at, at + tokensPerChunk);
      // Decode the running prefix so that characters spanning chunk boundaries come out whole.
      const delta = tokenizer
        .decode(ids.slice(0, at + chunkIds.length))
        .slice(tokenizer.decode(ids.slice(0, at)).length);
      send({ text: delta, token_ids: chunkIds, finish_reason: null });
      if (chunkDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, chunkDelayMs));
    }
    send({ text: '', token_ids: [], finish_reason: finishReason, stop_reason: stopReason });
    response.end('data: [DONE]\n\n');
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      response
        .writeHead(400, { 'content-type': 'application/json' })
        .end(JSON.stringify({ object: 'error', message: String(error) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
