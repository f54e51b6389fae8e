import type { z } from 'zod';

/** The first problem of a failed zod parse, as the dotted path of the field and a sentence. */
export interface FieldProblem {
  /** Dotted path (`query.2`, `top_n`); '' for the value as a whole. */
  field: string;
  problem: string;
}

/** Picks the first issue of a zod error (zod reports issues in field order) and names its field. */
export function firstFieldProblem(error: z.ZodError): FieldProblem {
  const issue = error.issues[0];
  if (issue === undefined) return { field: '', problem: 'invalid value' };
  return { field: issue.path.map(String).join('.'), problem: issue.message };
}

/**
 * `field "top_n": must be at least 1, got -1` (with `fieldLabel` 'field'), or `<wholeValue>: <problem>`
 * when the problem is with the value as a whole.
 */
export function formatFieldProblem(
  { field, problem }: FieldProblem,
  labels: { wholeValue: string; fieldLabel: string },
): string {
  return field === '' ? `${labels.wholeValue}: ${problem}` : `${labels.fieldLabel} "${field}": ${problem}`;
}
