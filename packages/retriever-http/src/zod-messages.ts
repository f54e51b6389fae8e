import { describeValue } from './describe-value';

/**
 * A zod `error` option for a type check: `is required` when the field is absent, else
 * `expected <kind>, got <what came>`. zod reports the field path; this supplies the sentence.
 */
export function expected(kind: string): { error: (issue: { input?: unknown }) => string } {
  return {
    error: (issue) =>
      issue.input === undefined ? 'is required' : `expected ${kind}, got ${describeValue(issue.input)}`,
  };
}
