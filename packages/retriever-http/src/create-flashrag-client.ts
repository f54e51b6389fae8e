import type { Passage, Retriever, RetrieverSearchOptions } from '@research-ts/spec';
import { callJsonApi, describeResponseProblem, malformed } from './call-json-api';
import {
  checkK,
  endpoint,
  queriesToSend,
  resolveClientOptions,
  type HttpRetrieverClientOptions,
} from './client-options';
import { flashRagHealthResponseSchema, flashRagScoredBatchResponseSchema, type FlashRagHealth } from './flashrag-wire';
import { wireDocumentToPassage } from './wire-document';

/** A `Retriever` over a FlashRAG retriever server, plus its `/health`. */
export interface FlashRagClient extends Retriever {
  /** `GET /health`: `{status, retrievers: {total, available}}`. */
  health(options?: { signal?: AbortSignal }): Promise<FlashRagHealth>;
}

/**
 * A spec `Retriever` that calls a FlashRAG retriever server (`scripts/serving/retriever_serving.py`,
 * or {@link createRetrieverServer}). One `search` is one `POST /batch_search` with
 * `{"query": [...], "top_n": k, "return_score": true}`, so every passage carries the server's score.
 */
export function createFlashRagClient(options: HttpRetrieverClientOptions): FlashRagClient {
  const settings = resolveClientOptions(options);
  const searchURL = endpoint(settings.baseURL, 'batch_search');
  const healthURL = endpoint(settings.baseURL, 'health');
  return {
    specificationVersion: 'v1',
    name: `http:flashrag:${settings.baseURL}`,
    async search(
      queries: readonly string[],
      k: number,
      searchOptions: RetrieverSearchOptions = {},
    ): Promise<Passage[][]> {
      checkK(k);
      const results: Passage[][] = queries.map(() => []);
      const { sent, positions } = queriesToSend(queries, k);
      if (sent.length === 0) return results;
      const body = await callJsonApi(
        {
          method: 'POST',
          url: searchURL,
          body: { query: sent, top_n: k, return_score: true },
          signal: searchOptions.signal,
        },
        settings,
      );
      const parsed = flashRagScoredBatchResponseSchema.safeParse(body);
      if (!parsed.success) throw malformed(searchURL, describeResponseProblem(parsed.error), body);
      const [documents, scores] = parsed.data;
      if (documents.length !== sent.length || scores.length !== sent.length) {
        throw malformed(
          searchURL,
          `${documents.length} document lists and ${scores.length} score lists for ${sent.length} queries`,
          body,
        );
      }
      documents.forEach((list, index) => {
        const listScores = scores[index]!;
        if (listScores.length !== list.length) {
          throw malformed(
            searchURL,
            `query ${index} has ${list.length} documents but ${listScores.length} scores`,
            body,
          );
        }
        results[positions[index]!] = list
          .slice(0, k)
          .map((document, rank) => wireDocumentToPassage(document, listScores[rank]));
      });
      return results;
    },
    async health(healthOptions = {}) {
      const body = await callJsonApi({ method: 'GET', url: healthURL, signal: healthOptions.signal }, settings);
      const parsed = flashRagHealthResponseSchema.safeParse(body);
      if (!parsed.success) throw malformed(healthURL, describeResponseProblem(parsed.error), body);
      return parsed.data;
    },
  };
}
