import { InvalidConfigError, type ConfigIssue } from './research-error';

/** A schema issue as zod (and similar validators) report it; spec reads it structurally and depends on no validator. */
export interface SchemaIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly code?: string;
  /** The unknown keys of an `unrecognized_keys` issue. */
  readonly keys?: readonly string[];
}

/**
 * The config issues of a failed schema parse, each named by its dotted path (`optimizer.learningRate`);
 * an issue about the value as a whole is named `wholeValue`, and an unknown key gets a path of its own.
 */
export function configIssuesOf(issues: readonly SchemaIssue[], wholeValue = 'options'): ConfigIssue[] {
  return issues.flatMap((issue) => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys' && issue.keys !== undefined && issue.keys.length > 0) {
      return issue.keys.map((key) => ({
        path: path === '' ? key : `${path}.${key}`,
        problem: `is not a config field (${issue.message})`,
      }));
    }
    return [{ path: path === '' ? wholeValue : path, problem: issue.message }];
  });
}

/**
 * The one mapping from a failed schema parse (`schema.safeParse(options).error.issues`) to an
 * {@link InvalidConfigError} naming every bad field; `wholeValue` names the value itself (`options`, `config`).
 */
export function invalidConfigOf(issues: readonly SchemaIssue[], wholeValue = 'options'): InvalidConfigError {
  const named = configIssuesOf(issues, wholeValue);
  return InvalidConfigError.ofIssues(named.length > 0 ? named : [{ path: wholeValue, problem: 'invalid value' }]);
}
