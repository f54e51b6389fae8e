import type { Passage, Retriever, RetrieverSearchOptions } from '@research-ts/spec';
import { callJsonApi, describeResponseProblem, malformed } from './call-json-api';
import {
  checkK,
  endpoint,
  queriesToSend,
  resolveClientOptions,
  type HttpRetrieverClientOptions,
} from './client-options';
import { searchR1ScoredResponseSchema } from './search-r1-wire';
import { wireDocumentToPassage } from './wire-document';

/**
 * A spec `Retriever` that calls a Search-R1 retrieval server (`search_r1/search/retrieval_server.py`,
 * or {@link createRetrieverServer}). One `search` is one `POST /retrieve` with
 * `{"queries": [...], "topk": k, "return_scores": true}`. BM25 documents without `contents`
 * (`{title, text}`) become `"Title"\ntext`.
 */
export function createSearchR1Client(options: HttpRetrieverClientOptions): Retriever {
  const settings = resolveClientOptions(options);
  const url = endpoint(settings.baseURL, 'retrieve');
  return {
    specificationVersion: 'v1',
    name: `http:search-r1:${settings.baseURL}`,
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
        { method: 'POST', url, body: { queries: sent, topk: k, return_scores: true }, signal: searchOptions.signal },
        settings,
      );
      const parsed = searchR1ScoredResponseSchema.safeParse(body);
      if (!parsed.success) throw malformed(url, describeResponseProblem(parsed.error), body);
      const lists = parsed.data.result;
      if (lists.length !== sent.length)
        throw malformed(url, `${lists.length} result lists for ${sent.length} queries`, body);
      lists.forEach((list, index) => {
        results[positions[index]!] = list.slice(0, k).map((item) => wireDocumentToPassage(item.document, item.score));
      });
      return results;
    },
  };
}
