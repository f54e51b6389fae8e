const messageLength = 500;

/**
 * The human-readable message of an error body from an OpenAI-compatible server: vLLM/SGLang
 * `{"object":"error","message":…}`, OpenAI and newer vLLM `{"error":{"message":…}}`, `{"error":"…"}`,
 * FastAPI `{"detail":…}`; otherwise the body itself. Cut to 500 characters; `(empty body)` if blank.
 */
export function serverErrorMessage(body: string): string {
  let message: string | undefined;
  try {
    message = messageOf(JSON.parse(body) as unknown);
  } catch {
    message = undefined;
  }
  message ??= body.trim();
  if (message === '') return '(empty body)';
  return message.length > messageLength ? `${message.slice(0, messageLength)}…` : message;
}

/** The message of a parsed error object, as above; undefined when it has none. */
export function messageOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  if (typeof record.message === 'string') return record.message;
  if (typeof record.error === 'string') return record.error;
  if (typeof record.error === 'object' && record.error !== null) {
    const inner = (record.error as Record<string, unknown>).message;
    if (typeof inner === 'string') return inner;
  }
  if (typeof record.detail === 'string') return record.detail;
  if (record.detail !== undefined) return JSON.stringify(record.detail);
  return undefined;
}

/** The HTTP-like status code an error object carries (`code` or `error.code`), if it is one. */
export function statusCodeOf(value: unknown): number | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const inner =
    typeof record.error === 'object' && record.error !== null
      ? (record.error as Record<string, unknown>).code
      : undefined;
  const code = record.code ?? inner;
  return Number.isInteger(code) && (code as number) >= 100 && (code as number) <= 599 ? (code as number) : undefined;
}
