import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Retriever } from '@research-ts/spec';

export interface FakeRetrieverServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** The query lists of every `/batch_search` call, in order. */
  calls: string[][];
  /** While true, `/batch_search` answers HTTP 422 (a server gone wrong) instead of searching. */
  failing: boolean;
  close(): Promise<void>;
}

/**
 * A FlashRAG retrieval server on 127.0.0.1:0 (`POST /batch_search` with `return_score`) over a spec
 * `Retriever`, whose searches can be made to fail: `failAfter` calls answered (the test search of a run
 * included), it answers HTTP 422 until `failing` is set to false.
 */
export async function startFakeRetrieverServer(
  retriever: Retriever,
  options: { failAfter?: number } = {},
): Promise<FakeRetrieverServer> {
  const calls: string[][] = [];
  const state = { failing: false };
  const server: Server = createServer((request, response) => {
    void (async () => {
      let body = '';
      for await (const chunk of request) body += String(chunk);
      if (request.url !== '/batch_search')
        return void response.writeHead(404, { 'content-type': 'application/json' }).end('{"detail":"Not Found"}');
      const { query, top_n: topN } = JSON.parse(body) as { query: string[]; top_n: number };
      calls.push(query);
      if (calls.length === (options.failAfter ?? Infinity) + 1) state.failing = true;
      if (state.failing)
        return void response
          .writeHead(422, { 'content-type': 'application/json' })
          .end('{"detail":"the index is not loaded"}');
      const results = await retriever.search(query, topN);
      const documents = results.map((passages) =>
        passages.map((passage) => ({ id: passage.id, contents: passage.contents })),
      );
      const scores = results.map((passages) => passages.map((passage) => passage.score ?? 0));
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify([documents, scores]));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    get failing() {
      return state.failing;
    },
    set failing(value: boolean) {
      state.failing = value;
    },
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
