import { z } from 'zod';
import { describeValue } from './describe-value';

/** The bounds a server puts on one request. */
export interface RequestLimits {
  /** Largest accepted `top_n` / `topk`. */
  maxTopK: number;
  /** Most queries in one `/batch_search` or `/retrieve` body. */
  maxQueriesPerRequest: number;
}

/**
 * A JSON integer in `[minimum, maximum]`, with messages that say what came (`got number -1`).
 * JSON has one number type, so `5.0` is accepted as 5; strings such as `"5"` are refused.
 */
export function integerInRange(minimum: number, maximum: number) {
  return z
    .number({
      error: (issue) =>
        issue.input === undefined ? 'is required' : `expected an integer, got ${describeValue(issue.input)}`,
    })
    .superRefine((value, context) => {
      if (!Number.isInteger(value))
        context.addIssue({ code: 'custom', message: `expected an integer, got number ${value}` });
      else if (value < minimum)
        context.addIssue({ code: 'custom', message: `must be at least ${minimum}, got ${value}` });
      else if (value > maximum)
        context.addIssue({ code: 'custom', message: `must be at most ${maximum}, got ${value}` });
    });
}

/** An array of query strings of at most `maximum` items. */
export function queryList(maximum: number) {
  return z
    .array(z.string({ error: (issue) => `expected a string, got ${describeValue(issue.input)}` }), {
      error: (issue) =>
        issue.input === undefined ? 'is required' : `expected an array of strings, got ${describeValue(issue.input)}`,
    })
    .superRefine((queries, context) => {
      if (queries.length > maximum) {
        context.addIssue({
          code: 'custom',
          message: `has ${queries.length} queries; this server takes at most ${maximum} per request`,
        });
      }
    });
}
