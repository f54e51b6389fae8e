import { createRetrieverServer, type ListeningRetrieverServer } from '@research-ts/retriever-http';
import { openIndexDirectory, type EmbeddingModelSource } from './open-retriever';

export interface ServeRetrieverOptions {
  indexDirectory: string;
  /** The model that encodes the queries of a dense index (required there, refused for a lexical one). */
  embeddingModel?: EmbeddingModelSource;
  host?: string;
  /** 0 asks the OS for a free port. */
  port?: number;
}

/**
 * `research-ts serve-retriever`: a saved index (lexical in either layout, or dense) behind the FlashRAG and
 * Search-R1 HTTP APIs. The server keeps no state between requests, so any number of them over the same folder
 * answer alike behind one address.
 */
export async function serveRetriever(options: ServeRetrieverOptions): Promise<ListeningRetrieverServer> {
  const retriever = await openIndexDirectory(options.indexDirectory, options.embeddingModel);
  return createRetrieverServer(retriever, { host: options.host ?? '127.0.0.1', port: options.port ?? 8000 }).listen();
}
