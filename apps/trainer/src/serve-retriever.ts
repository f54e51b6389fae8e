import { openSavedRetriever } from '@research-ts/retriever-flexsearch';
import { createRetrieverServer, type ListeningRetrieverServer } from '@research-ts/retriever-http';

export interface ServeRetrieverOptions {
  indexDirectory: string;
  host?: string;
  /** 0 asks the OS for a free port. */
  port?: number;
}

/** `research-ts serve-retriever`: a saved index (either layout) behind the FlashRAG and Search-R1 HTTP APIs. */
export async function serveRetriever(options: ServeRetrieverOptions): Promise<ListeningRetrieverServer> {
  const retriever = await openSavedRetriever(options.indexDirectory);
  return createRetrieverServer(retriever, { host: options.host ?? '127.0.0.1', port: options.port ?? 8000 }).listen();
}
