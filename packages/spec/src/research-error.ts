const marker = 'research-ts.error';
const symbol = Symbol.for(marker);

/**
 * The one error family of research-ts. Every real fault (bad input file, bad config, a server that
 * keeps failing, a truncated model file) is a `ResearchError` subclass with structured fields.
 * Malformed *model output* is never an error: it is data (a format failure with a reason).
 *
 * `isInstance` works across copies of this package (it checks a `Symbol.for` marker, not the prototype).
 */
export class ResearchError extends Error {
  private readonly [symbol] = true;

  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ResearchError';
  }

  static isInstance(error: unknown): error is ResearchError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[symbol] === true;
  }
}

/** Where in an input a problem was found; every field is optional, the message names what is known. */
export interface InputLocation {
  /** The file (or other source, e.g. a URL) that held the bad input. */
  source?: string;
  /** 1-based line number, for line-oriented formats such as JSONL. */
  line?: number;
  /** The field path inside the record, dotted (`golden_answers.0`). */
  field?: string;
}

function describeLocation(location: InputLocation): string {
  const parts: string[] = [];
  if (location.source !== undefined) parts.push(location.source);
  if (location.line !== undefined) parts.push(`line ${location.line}`);
  if (location.field !== undefined && location.field !== '') parts.push(`field "${location.field}"`);
  return parts.join(', ');
}

/** Input data that does not satisfy its format: malformed JSONL, a bad record, a truncated file. */
export class InvalidInputError extends ResearchError {
  readonly source: string | undefined;
  readonly line: number | undefined;
  readonly field: string | undefined;
  readonly problem: string;

  constructor(problem: string, location: InputLocation = {}, options: { cause?: unknown } = {}) {
    const where = describeLocation(location);
    super(where === '' ? problem : `${where}: ${problem}`, options);
    this.name = 'InvalidInputError';
    this.problem = problem;
    this.source = location.source;
    this.line = location.line;
    this.field = location.field;
  }
}

/** One invalid field of a configuration: its dotted path and what is wrong with it. */
export interface ConfigIssue {
  path: string;
  problem: string;
}

/**
 * A configuration value that fails validation; `path` is the dotted path of the (first) field. A validator
 * that checks every field reports them all at once ({@link InvalidConfigError.ofIssues}), in `issues`.
 */
export class InvalidConfigError extends ResearchError {
  readonly path: string;
  readonly problem: string;
  /** Every invalid field found, the first being `path` and `problem`. */
  readonly issues: readonly ConfigIssue[];

  constructor(path: string, problem: string, options: { cause?: unknown; moreIssues?: readonly ConfigIssue[] } = {}) {
    const issues = [{ path, problem }, ...(options.moreIssues ?? [])];
    super(
      issues.length === 1
        ? `config field "${path}": ${problem}`
        : `${issues.length} config fields are invalid:\n${issues.map((issue) => `  config field "${issue.path}": ${issue.problem}`).join('\n')}`,
      options,
    );
    this.name = 'InvalidConfigError';
    this.path = path;
    this.problem = problem;
    this.issues = issues;
  }

  /** One error for one or more invalid fields (at least one); the message names each on its own line. */
  static ofIssues(issues: readonly ConfigIssue[], options: { cause?: unknown } = {}): InvalidConfigError {
    const [first, ...more] = issues;
    if (first === undefined) throw new TypeError('InvalidConfigError.ofIssues needs at least one issue');
    return new InvalidConfigError(first.path, first.problem, { ...options, moreIssues: more });
  }
}

/** A call to a remote service (retriever, judge, completions server) that failed. */
export class ApiCallError extends ResearchError {
  readonly url: string;
  readonly statusCode: number | undefined;
  readonly responseBody: string | undefined;
  readonly isRetryable: boolean;

  constructor(
    message: string,
    fields: { url: string; statusCode?: number; responseBody?: string; isRetryable?: boolean; cause?: unknown },
  ) {
    super(message, { cause: fields.cause });
    this.name = 'ApiCallError';
    this.url = fields.url;
    this.statusCode = fields.statusCode;
    this.responseBody = fields.responseBody;
    this.isRetryable =
      fields.isRetryable ??
      (fields.statusCode === undefined ||
        fields.statusCode === 408 ||
        fields.statusCode === 429 ||
        fields.statusCode >= 500);
  }
}

/** An operation that ran past its deadline. */
export class TimeoutError extends ResearchError {
  readonly timeoutMs: number;

  constructor(what: string, timeoutMs: number, options: { cause?: unknown } = {}) {
    super(`${what} timed out after ${timeoutMs} ms`, options);
    this.name = 'TimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

/** A requested capability that this installation does not have (e.g. an execution provider). */
export class UnsupportedError extends ResearchError {
  readonly feature: string;

  constructor(feature: string, detail: string, options: { cause?: unknown } = {}) {
    super(`${feature} is not available: ${detail}`, options);
    this.name = 'UnsupportedError';
    this.feature = feature;
  }
}
