import type { Passage } from '@research-ts/spec';
import { z } from 'zod';
import { describeValue } from './describe-value';
import { integerInRange, queryList, type RequestLimits } from './request-limits';
import { wireDocumentSchema } from './wire-document';
import { expected } from './zod-messages';

/*
 * The FlashRAG retriever server API, as ReSearch serves it (scripts/serving/retriever_serving.py):
 *
 *   POST /search        {"query": str, "top_n": int = 10, "return_score": bool = false}
 *                       -> [doc, …]                    or, with return_score, [[doc, …], [score, …]]
 *   POST /batch_search  {"query": [str, …], "top_n": int = 10, "return_score": bool = false}
 *                       -> [[doc, …] per query]        or, with return_score, [[[doc, …] per query], [[score, …] per query]]
 *   GET  /health        -> {"status": "healthy", "retrievers": {"total": N, "available": M}}
 *
 * where doc = {"id": str, "contents": str}. An empty (or whitespace-only) /search query is HTTP 400.
 */

/** The FlashRAG default of `top_n` (`QueryRequest.top_n: int = 10`). */
export const flashRagDefaultTopK = 10;

/** `POST /search` body, validated; `top_n` and `return_score` filled with their defaults. */
export function flashRagSearchRequestSchema(limits: RequestLimits, defaultTopK: number) {
  return z.object(
    {
      query: z.string(expected('a string')),
      top_n: integerInRange(1, limits.maxTopK).default(defaultTopK),
      return_score: z.boolean(expected('a boolean')).default(false),
    },
    expected('a JSON object'),
  );
}

/** `POST /batch_search` body, validated. */
export function flashRagBatchSearchRequestSchema(limits: RequestLimits, defaultTopK: number) {
  return z.object(
    {
      query: queryList(limits.maxQueriesPerRequest),
      top_n: integerInRange(1, limits.maxTopK).default(defaultTopK),
      return_score: z.boolean(expected('a boolean')).default(false),
    },
    expected('a JSON object'),
  );
}

/** A FlashRAG `Document`: only `id` and `contents` go on the wire (other passage fields are dropped, as FlashRAG does). */
export interface FlashRagDocument {
  id: string;
  contents: string;
}

function toDocument(passage: Passage): FlashRagDocument {
  return { id: passage.id, contents: passage.contents };
}

/** A score on the wire: the passage's score, or `null` when the retriever gave none. */
function toScore(passage: Passage): number | null {
  return typeof passage.score === 'number' && Number.isFinite(passage.score) ? passage.score : null;
}

/** The `/search` response body for one query's passages. */
export function flashRagSearchResponse(passages: readonly Passage[], returnScore: boolean): unknown {
  const documents = passages.map(toDocument);
  return returnScore ? [documents, passages.map(toScore)] : documents;
}

/** The `/batch_search` response body for each query's passages. */
export function flashRagBatchSearchResponse(results: readonly (readonly Passage[])[], returnScore: boolean): unknown {
  const documents = results.map((passages) => passages.map(toDocument));
  return returnScore ? [documents, results.map((passages) => passages.map(toScore))] : documents;
}

/** What a client accepts from `/batch_search` with `return_score: true`: `[documents per query, scores per query]`. */
export const flashRagScoredBatchResponseSchema = z.tuple(
  [
    z.array(z.array(wireDocumentSchema, expected('an array of documents')), expected('an array of document lists')),
    z.array(
      z.array(z.number(expected('a number or null')).nullable(), expected('an array of scores')),
      expected('an array of score lists'),
    ),
  ],
  {
    error: (issue) =>
      issue.input === undefined
        ? 'is required'
        : `expected [documents per query, scores per query] (the return_score shape), got ${describeValue(issue.input)}`,
  },
);

/** The `/health` body. */
export const flashRagHealthResponseSchema = z.object(
  {
    status: z.string(expected('a string')),
    retrievers: z.object(
      { total: z.number(expected('a number')), available: z.number(expected('a number')) },
      expected('an object'),
    ),
  },
  expected('a JSON object'),
);

export type FlashRagHealth = z.infer<typeof flashRagHealthResponseSchema>;
