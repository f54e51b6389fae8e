import { type Agent, type ClientRequest, request as httpRequest } from 'node:http';
import type { Passage, Retriever, RetrieverSearchOptions } from '@research-ts/spec';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export interface RawRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  /** Sent with a Content-Length. */
  body?: string | Buffer;
  /** Sent chunked (no Content-Length), one write per chunk. */
  chunks?: Buffer[];
  /** A keep-alive agent; by default a fresh connection that the client closes after the answer. */
  agent?: Agent;
  /** Called with the request as soon as it is sent (to destroy it, say). */
  onRequest?: (request: ClientRequest) => void;
}

/** One HTTP request on a fresh connection, with exact control over headers and body. */
export function rawRequest(baseURL: string, options: RawRequest): Promise<RawResponse> {
  const url = new URL(options.path, baseURL);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      { method: options.method ?? 'POST', headers: options.headers ?? {}, agent: options.agent ?? false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode!, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    if (options.chunks !== undefined) {
      for (const chunk of options.chunks) request.write(chunk);
      request.end();
    } else {
      request.end(options.body);
    }
    options.onRequest?.(request);
  });
}

/** POST a JSON value with `content-type: application/json`. */
export function postJson(baseURL: string, path: string, value: unknown): Promise<RawResponse> {
  return rawRequest(baseURL, { path, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) });
}

/** A retriever whose calls wait until `release()`; it records each call and its signal. */
export class HeldRetriever implements Retriever {
  readonly specificationVersion = 'v1' as const;
  readonly name = 'held';
  readonly calls: { queries: string[]; k: number; signal: AbortSignal | undefined }[] = [];
  private waiting: (() => void)[] = [];
  private onCall: (() => void)[] = [];

  constructor(private readonly passages: Passage[] = [{ id: 'h1', contents: '"Held"\nheld passage', score: 1 }]) {}

  async search(queries: readonly string[], k: number, options: RetrieverSearchOptions = {}): Promise<Passage[][]> {
    this.calls.push({ queries: [...queries], k, signal: options.signal });
    for (const notify of this.onCall.splice(0)) notify();
    await new Promise<void>((resolve, reject) => {
      this.waiting.push(resolve);
      options.signal?.addEventListener('abort', () => reject(options.signal!.reason), { once: true });
    });
    return queries.map(() => this.passages.slice(0, k));
  }

  /** Resolves once the retriever has been called `count` times in all. */
  async calledTimes(count: number): Promise<void> {
    while (this.calls.length < count) await new Promise<void>((resolve) => this.onCall.push(resolve));
  }

  release(): void {
    for (const resolve of this.waiting.splice(0)) resolve();
  }
}

/** A port nothing listens on: one the OS just gave out and took back. */
export async function closedPortURL(): Promise<string> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
