import type { Passage } from '@research-ts/spec';
import { z } from 'zod';
import { integerInRange, queryList, type RequestLimits } from './request-limits';
import { wireDocumentSchema } from './wire-document';
import { expected } from './zod-messages';

/*
 * The Search-R1 retrieval server API (search_r1/search/retrieval_server.py):
 *
 *   POST /retrieve  {"queries": [str, …], "topk": int | null = null, "return_scores": bool = false}
 *                   -> {"result": [[doc, …] per query]}
 *                   or, with return_scores, {"result": [[{"document": doc, "score": float}, …] per query]}
 *
 * A falsy `topk` (null, absent or 0: the server tests `if not request.topk`) falls back to the server's
 * `--topk`, which defaults to 3.
 */

/** The Search-R1 server's default `--topk`. */
export const searchR1DefaultTopK = 3;

/** `POST /retrieve` body, validated; `topk` is resolved against the server default (null, absent, 0 → default). */
export function searchR1RetrieveRequestSchema(limits: RequestLimits, defaultTopK: number) {
  return z
    .object(
      {
        queries: queryList(limits.maxQueriesPerRequest),
        topk: integerInRange(0, limits.maxTopK).nullable().optional(),
        return_scores: z.boolean(expected('a boolean')).default(false),
      },
      expected('a JSON object'),
    )
    .transform((body) => ({
      queries: body.queries,
      topk: body.topk || defaultTopK,
      return_scores: body.return_scores,
    }));
}

/** The `/retrieve` response body. Documents are `{id, contents}`; a missing score is `null`. */
export function searchR1RetrieveResponse(results: readonly (readonly Passage[])[], returnScores: boolean): unknown {
  return {
    result: results.map((passages) =>
      passages.map((passage) => {
        const document = { id: passage.id, contents: passage.contents };
        if (!returnScores) return document;
        const score = typeof passage.score === 'number' && Number.isFinite(passage.score) ? passage.score : null;
        return { document, score };
      }),
    ),
  };
}

/** What a client accepts from `/retrieve` with `return_scores: true`. */
export const searchR1ScoredResponseSchema = z.object(
  {
    result: z.array(
      z.array(
        z.object(
          { document: wireDocumentSchema, score: z.number(expected('a number or null')).nullable().optional() },
          expected('an object {document, score}'),
        ),
        expected('an array of {document, score} items'),
      ),
      expected('an array of result lists'),
    ),
  },
  expected('a JSON object {result}'),
);
