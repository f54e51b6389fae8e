import type { z } from 'zod';

/** A short description of a JSON value for error messages: `a number (3)`, `an array`, `null`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return `a string (${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)})`;
    case 'number':
      return `a number (${value})`;
    case 'boolean':
      return `a boolean (${value})`;
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}

/** A zod error function for a type check: `missing` when the field is absent, else `expected X, got Y`. */
export function expectedType(expected: string) {
  return (issue: { input?: unknown }): string =>
    issue.input === undefined ? 'missing' : `expected ${expected}, got ${describeValue(issue.input)}`;
}

/** The dotted field path and the problem of a zod failure (its first issue; the rest are counted). */
export function describeZodError(error: z.ZodError): { field: string; problem: string } {
  const [first, ...rest] = error.issues;
  if (first === undefined) return { field: '', problem: 'invalid record' };
  const more = rest.length === 0 ? '' : ` (and ${rest.length} more problem${rest.length === 1 ? '' : 's'})`;
  return { field: first.path.map(String).join('.'), problem: `${first.message}${more}` };
}
