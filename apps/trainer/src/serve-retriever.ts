import { createRetrieverServer, type ListeningRetrieverServer } from '@research-ts/retriever-http';
import { closeRetriever, openIndexDirectory, type EmbeddingModelSource } from './open-retriever';

export interface ServeRetrieverOptions {
  indexDirectory: string;
  /** The model that encodes the queries of a dense index (required there, refused for a lexical one). */
  embeddingModel?: EmbeddingModelSource;
  /** The option errors about the embedding model name (default `embeddingModel`). */
  field?: string;
  host?: string;
  /** 0 asks the OS for a free port. */
  port?: number;
}

/**
 * `research-ts serve-retriever`: a saved index (lexical in either layout, or dense) behind the FlashRAG and
 * Search-R1 HTTP APIs. The server keeps no state between requests, so any number of them over the same folder
 * answer alike behind one address. Closing the server frees the index (and a dense index's model).
 */
export async function serveRetriever(options: ServeRetrieverOptions): Promise<ListeningRetrieverServer> {
  const retriever = await openIndexDirectory(options.indexDirectory, options.embeddingModel, options.field);
  let server: ListeningRetrieverServer;
  try {
    server = await createRetrieverServer(retriever, {
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 8000,
    }).listen();
  } catch (error) {
    await closeRetriever(retriever);
    throw error;
  }
  return {
    url: server.url,
    host: server.host,
    port: server.port,
    async close(closeOptions) {
      await server.close(closeOptions);
      await closeRetriever(retriever);
    },
  };
}
