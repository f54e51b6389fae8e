export { createFlashRagClient, type FlashRagClient } from './create-flashrag-client';
export {
  createRetrieverServer,
  type ListeningRetrieverServer,
  type RetrieverServer,
  type RetrieverServerApi,
  type RetrieverServerOptions,
} from './create-retriever-server';
export { createSearchR1Client } from './create-search-r1-client';
export type { HttpRetrieverClientOptions } from './client-options';
export type { FlashRagHealth } from './flashrag-wire';
