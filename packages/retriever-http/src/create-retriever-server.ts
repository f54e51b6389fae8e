import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSemaphore, invalidConfigOf, ResearchError, type Passage, type Retriever } from '@research-ts/spec';
import { z } from 'zod';
import { firstFieldProblem, formatFieldProblem } from './field-error';
import {
  flashRagBatchSearchRequestSchema,
  flashRagBatchSearchResponse,
  flashRagDefaultTopK,
  flashRagSearchRequestSchema,
  flashRagSearchResponse,
} from './flashrag-wire';
import { readJsonBody } from './read-json-body';
import type { RequestLimits } from './request-limits';
import { searchR1DefaultTopK, searchR1RetrieveRequestSchema, searchR1RetrieveResponse } from './search-r1-wire';

/** The wire APIs a retriever server can speak. */
export type RetrieverServerApi = 'flashrag' | 'search-r1';

const optionsSchema = z.object({
  host: z
    .string()
    .min(1)
    .default('127.0.0.1')
    .describe('Interface to bind; 127.0.0.1 keeps the server off the network.'),
  port: z.number().int().min(0).max(65_535).default(0).describe('TCP port; 0 asks the OS for a free one.'),
  maxBodyBytes: z
    .number()
    .int()
    .positive()
    .default(1024 * 1024)
    .describe('Largest request body; a bigger one is refused with 413 before or while it is read.'),
  maxConcurrency: z
    .number()
    .int()
    .positive()
    .default(8)
    .describe('Retriever calls in flight at once (FlashRAG: --num_retriever); /health reports the free ones.'),
  maxQueuedRequests: z
    .number()
    .int()
    .min(0)
    .default(256)
    .describe('Requests that may wait for a free slot; one more is refused with 503.'),
  maxQueriesPerRequest: z
    .number()
    .int()
    .positive()
    .default(10_000)
    .describe('Most queries in one batch body. ReSearch sends a whole rollout batch (256 prompts x 5) in one call.'),
  maxTopK: z.number().int().positive().default(1000).describe('Largest accepted top_n / topk.'),
  defaultTopK: z
    .object({
      flashrag: z.number().int().positive().default(flashRagDefaultTopK),
      searchR1: z.number().int().positive().default(searchR1DefaultTopK),
    })
    .default({ flashrag: flashRagDefaultTopK, searchR1: searchR1DefaultTopK })
    .describe('top_n / topk when a request leaves it out (FlashRAG: 10; Search-R1 --topk: 3).'),
  apis: z
    .array(z.enum(['flashrag', 'search-r1']))
    .min(1)
    .default(['flashrag', 'search-r1'])
    .describe(
      'Which APIs to serve: FlashRAG /search and /batch_search, Search-R1 /retrieve. /health is always served.',
    ),
});

export type RetrieverServerOptions = z.input<typeof optionsSchema>;

/** A listening server. */
export interface ListeningRetrieverServer {
  /** `http://host:port`, with the port the OS chose when `port` was 0. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /**
   * Stops accepting connections, lets requests in flight (and queued ones) finish, closes idle
   * keep-alive connections, and resolves when every connection is gone. After `timeoutMs`
   * (default 10 000) the remaining connections are cut.
   */
  close(options?: { timeoutMs?: number }): Promise<void>;
}

export interface RetrieverServer {
  /** Binds `host:port` (127.0.0.1 and a free port by default). Call once. */
  listen(): Promise<ListeningRetrieverServer>;
  /** The request listener, to mount in another `node:http` server (or anything that takes one). */
  readonly requestListener: (request: IncomingMessage, response: ServerResponse) => void;
}

interface Route {
  method: 'GET' | 'POST';
  handle: (request: IncomingMessage, response: ServerResponse) => Promise<void>;
}

/** Thrown inside a handler to answer with a 4xx. */
class RequestRefusal {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly field?: string,
    readonly closeConnection = false,
  ) {}
}

/** Thrown when the client went away before its answer: nobody is left to answer. */
class ClientGone {}

/**
 * Serves any spec `Retriever` over the FlashRAG retriever-server API (`POST /search`,
 * `POST /batch_search`, `GET /health`) and the Search-R1 API (`POST /retrieve`), with the same request
 * and response shapes as those Python servers.
 *
 * Errors are JSON `{"detail": sentence, "field"?: dotted path}` (FastAPI also puts its message in
 * `detail`): 400 bad JSON or an empty /search query, 404 unknown path, 405 wrong method, 413 body too
 * large, 415 not JSON, 422 a field of the wrong type or out of range, 500 the retriever failed,
 * 503 the queue is full.
 */
export function createRetrieverServer(retriever: Retriever, options: RetrieverServerOptions = {}): RetrieverServer {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    throw invalidConfigOf(parsed.error.issues);
  }
  const settings = parsed.data;
  const limits: RequestLimits = { maxTopK: settings.maxTopK, maxQueriesPerRequest: settings.maxQueriesPerRequest };
  const gate = createSemaphore(settings.maxConcurrency, { maxWaiting: settings.maxQueuedRequests });
  let closing = false;

  const searchSchema = flashRagSearchRequestSchema(limits, settings.defaultTopK.flashrag);
  const batchSchema = flashRagBatchSearchRequestSchema(limits, settings.defaultTopK.flashrag);
  const retrieveSchema = searchR1RetrieveRequestSchema(limits, settings.defaultTopK.searchR1);

  /** Runs the retriever in a slot, aborting it if the client goes away, and checks what it returns. */
  async function retrieve(queries: string[], k: number, response: ServerResponse): Promise<Passage[][]> {
    const controller = new AbortController();
    const onClose = () => {
      if (!response.writableFinished) controller.abort(new ClientGone());
    };
    response.on('close', onClose);
    try {
      const waiting = gate.tryAcquire(controller.signal);
      if (waiting === undefined) {
        throw new RequestRefusal(
          503,
          `server busy: all ${gate.limit} retriever slots are in use and the queue of ${gate.maxWaiting} is full; retry later`,
        );
      }
      const release = await waiting.catch(() => {
        throw new ClientGone();
      });
      try {
        let results: unknown;
        try {
          results = await retriever.search(queries, k, { signal: controller.signal });
        } catch (error) {
          if (controller.signal.aborted) throw new ClientGone();
          throw new RequestRefusal(
            500,
            `retriever "${retriever.name}" failed: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
        return checkResults(results, queries.length, k);
      } finally {
        release();
      }
    } finally {
      response.off('close', onClose);
    }
  }

  function checkResults(results: unknown, queryCount: number, k: number): Passage[][] {
    const fail = (problem: string) => new RequestRefusal(500, `retriever "${retriever.name}" returned ${problem}`);
    if (!Array.isArray(results)) throw fail('something other than an array of result lists');
    if (results.length !== queryCount) throw fail(`${results.length} result lists for ${queryCount} queries`);
    return results.map((list: unknown, queryIndex) => {
      if (!Array.isArray(list)) throw fail(`a non-array result list for query ${queryIndex}`);
      for (const [rank, passage] of list.entries()) {
        const record = passage as Partial<Passage> | null;
        if (typeof record?.id !== 'string' || typeof record.contents !== 'string') {
          throw fail(`a passage without a string id and contents (query ${queryIndex}, rank ${rank})`);
        }
      }
      return (list as Passage[]).slice(0, k);
    });
  }

  async function parseBody<T>(request: IncomingMessage, schema: z.ZodType<T>): Promise<T> {
    const body = await readJsonBody(request, settings.maxBodyBytes);
    if (!body.ok) throw new RequestRefusal(body.status, body.detail, undefined, body.closeConnection);
    const result = schema.safeParse(body.value);
    if (!result.success) {
      const problem = firstFieldProblem(result.error);
      throw new RequestRefusal(
        422,
        formatFieldProblem(problem, { wholeValue: 'request body', fieldLabel: 'field' }),
        problem.field === '' ? undefined : problem.field,
      );
    }
    return result.data;
  }

  const routes = new Map<string, Route>();
  routes.set('/health', {
    method: 'GET',
    handle: async (_request, response) =>
      sendJson(response, 200, { status: 'healthy', retrievers: { total: gate.limit, available: gate.available } }),
  });
  if (settings.apis.includes('flashrag')) {
    routes.set('/search', {
      method: 'POST',
      handle: async (request, response) => {
        const body = await parseBody(request, searchSchema);
        if (body.query.trim() === '')
          throw new RequestRefusal(400, 'field "query": query content cannot be empty', 'query');
        const [passages] = await retrieve([body.query], body.top_n, response);
        sendJson(response, 200, flashRagSearchResponse(passages!, body.return_score));
      },
    });
    routes.set('/batch_search', {
      method: 'POST',
      handle: async (request, response) => {
        const body = await parseBody(request, batchSchema);
        const results = body.query.length === 0 ? [] : await retrieve(body.query, body.top_n, response);
        sendJson(response, 200, flashRagBatchSearchResponse(results, body.return_score));
      },
    });
  }
  if (settings.apis.includes('search-r1')) {
    routes.set('/retrieve', {
      method: 'POST',
      handle: async (request, response) => {
        const body = await parseBody(request, retrieveSchema);
        const results = body.queries.length === 0 ? [] : await retrieve(body.queries, body.topk, response);
        sendJson(response, 200, searchR1RetrieveResponse(results, body.return_scores));
      },
    });
  }
  const routeList = [...routes].map(([path, route]) => `${route.method} ${path}`).join(', ');

  function sendJson(
    response: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    if (response.headersSent || response.destroyed) return;
    const text = JSON.stringify(body);
    response.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      ...(closing ? { connection: 'close' } : {}),
      ...headers,
    });
    response.end(text);
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?', 1)[0]!;
    const route = routes.get(path);
    try {
      if (route === undefined)
        throw new RequestRefusal(404, `no route for ${request.method} ${path}; this server serves ${routeList}`);
      if (request.method !== route.method) {
        sendJson(
          response,
          405,
          { detail: `method ${request.method} is not allowed on ${path}; use ${route.method}` },
          { allow: route.method },
        );
        return;
      }
      await route.handle(request, response);
    } catch (error) {
      if (error instanceof RequestRefusal) {
        const body =
          error.field === undefined ? { detail: error.detail } : { detail: error.detail, field: error.field };
        sendJson(response, error.status, body, {
          ...(error.closeConnection ? { connection: 'close' } : {}),
          ...(error.status === 503 ? { 'retry-after': '1' } : {}),
        });
      } else if (!(error instanceof ClientGone)) {
        sendJson(response, 500, {
          detail: `internal error: ${error instanceof Error ? error.message : String(error)}`,
        });
      }
    }
  }

  const requestListener = (request: IncomingMessage, response: ServerResponse): void => {
    handle(request, response).catch(() => {
      // handle() answers every failure itself; this only guards against a throw while answering.
      if (!response.headersSent) response.destroy();
    });
  };

  let server: Server | undefined;

  async function listen(): Promise<ListeningRetrieverServer> {
    if (server !== undefined)
      throw new ResearchError('this retriever server is already listening; create another to listen twice');
    const httpServer = createServer(requestListener);
    server = httpServer;
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => {
        reject(
          new ResearchError(`could not listen on ${settings.host}:${settings.port}: ${error.message}`, {
            cause: error,
          }),
        );
      };
      httpServer.once('error', onError);
      httpServer.listen(settings.port, settings.host, () => {
        httpServer.off('error', onError);
        resolve();
      });
    });
    const address = httpServer.address() as AddressInfo;
    const hostInUrl =
      address.family === 'IPv6' || address.address.includes(':') ? `[${address.address}]` : address.address;
    let closed: Promise<void> | undefined;
    return {
      url: `http://${hostInUrl}:${address.port}`,
      host: address.address,
      port: address.port,
      close({ timeoutMs = 10_000 } = {}) {
        closed ??= new Promise<void>((resolve) => {
          closing = true;
          const force = setTimeout(() => httpServer.closeAllConnections(), timeoutMs);
          force.unref();
          httpServer.close(() => {
            clearTimeout(force);
            resolve();
          });
          httpServer.closeIdleConnections();
          // A keep-alive connection that goes idle later is closed by the `connection: close` header
          // that every answer carries from now on.
        });
        return closed;
      },
    };
  }

  return { listen, requestListener };
}
