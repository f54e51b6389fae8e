import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Tokenizer } from '@research-ts/spec';

export interface FakeOpenAIServer {
  /** `http://127.0.0.1:<port>/v1` */
  baseURL: string;
  /** Every decoded completion prompt, in order. */
  prompts: string[];
  /** Every judge request's user message. */
  judgePrompts: string[];
  /** The Authorization header of every judge request (undefined when none was sent). */
  judgeAuthorizations: (string | undefined)[];
  close(): Promise<void>;
}

export interface FakeOpenAIServerOptions {
  tokenizer: Tokenizer;
  /** The completion for a decoded prompt: the text, and whether it ended at `</search>` (else at EOS). */
  complete(prompt: string): { text: string; stop: 'search' | 'eos' };
  /** The judge's verdict for a judge prompt (default: always correct). */
  judge?(prompt: string): 'correct' | 'incorrect';
  /** An HTTP status to answer a completion prompt with instead of completing it (a server gone down); default none. */
  fail?(prompt: string): number | undefined;
}

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  let body = '';
  for await (const chunk of request) body += String(chunk);
  return JSON.parse(body) as Record<string, unknown>;
}

/**
 * An OpenAI-compatible server on 127.0.0.1:0 that answers like vLLM: `/v1/completions` takes token-id
 * prompts and returns `choices[0].text` with `token_ids` and a `stop_reason` (`"</search>"` for a stop
 * string, the EOS id for EOS); `/v1/chat/completions` answers the LLM judge with JSON.
 */
export async function startFakeOpenAIServer(options: FakeOpenAIServerOptions): Promise<FakeOpenAIServer> {
  const prompts: string[] = [];
  const judgePrompts: string[] = [];
  const judgeAuthorizations: (string | undefined)[] = [];
  const eosId = options.tokenizer.tokenToId(options.tokenizer.eosToken!)!;
  const server: Server = createServer((request, response) => {
    void (async () => {
      const body = await readJson(request);
      const reply = (payload: unknown) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(payload));
      };
      if (request.url === '/v1/completions') {
        const prompt = options.tokenizer.decode(body.prompt as number[]);
        prompts.push(prompt);
        const status = options.fail?.(prompt);
        if (status !== undefined)
          return void response
            .writeHead(status, { 'content-type': 'application/json' })
            .end('{"error":{"message":"the server is restarting"}}');
        const { text, stop } = options.complete(prompt);
        const ids = options.tokenizer.encode(text, { addSpecialTokens: false });
        reply({
          id: 'cmpl-1',
          object: 'text_completion',
          model: body.model,
          choices: [
            {
              index: 0,
              text,
              token_ids: ids,
              finish_reason: 'stop',
              stop_reason: stop === 'search' ? '</search>' : eosId,
            },
          ],
        });
      } else if (request.url === '/v1/chat/completions') {
        const messages = body.messages as { content: string }[];
        const prompt = messages.at(-1)!.content;
        judgePrompts.push(prompt);
        judgeAuthorizations.push(request.headers.authorization);
        const judgement = options.judge?.(prompt) ?? 'correct';
        reply({
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: JSON.stringify({ rationale: 'scripted', judgement }) },
              finish_reason: 'stop',
            },
          ],
        });
      } else {
        response.writeHead(404).end();
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    prompts,
    judgePrompts,
    judgeAuthorizations,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
