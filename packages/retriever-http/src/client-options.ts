import { invalidConfigOf, InvalidInputError } from '@research-ts/spec';
import { z } from 'zod';
import type { JsonApiSettings } from './call-json-api';

const clientOptionsSchema = z.object({
  baseURL: z
    .string()
    .refine(
      (value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol),
      'expected an http:// or https:// URL',
    )
    .describe('Where the server is; a path prefix (behind a proxy) is kept.'),
  timeoutMs: z
    .number()
    .positive()
    .default(30_000)
    .describe('Deadline of one attempt, request and response body together.'),
  maxRetries: z
    .number()
    .int()
    .min(0)
    .default(5)
    .describe('Retries after the first attempt. ReSearch retries its /batch_search call up to 5 times.'),
  retryDelayMs: z.number().min(0).default(1000).describe('Wait before the first retry (ReSearch sleeps 1 s).'),
  backoffFactor: z
    .number()
    .min(1)
    .default(2)
    .describe('Each further wait is this many times longer; 1 gives ReSearch’s fixed 1 s.'),
  maxRetryDelayMs: z.number().min(0).default(30_000).describe('Cap on one wait, Retry-After included.'),
  fetch: z
    .custom<typeof globalThis.fetch>((value) => typeof value === 'function', 'expected a fetch function')
    .optional(),
  headers: z
    .record(z.string(), z.string())
    .default({})
    .describe('Extra request headers (an auth token behind a proxy).'),
});

export type HttpRetrieverClientOptions = z.input<typeof clientOptionsSchema>;

/** Validates client options (InvalidConfigError naming the field) and resolves the defaults. */
export function resolveClientOptions(options: HttpRetrieverClientOptions): JsonApiSettings & { baseURL: string } {
  const parsed = clientOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw invalidConfigOf(parsed.error.issues);
  }
  const settings = parsed.data;
  return {
    ...settings,
    baseURL: settings.baseURL.endsWith('/') ? settings.baseURL : `${settings.baseURL}/`,
    fetch: settings.fetch ?? globalThis.fetch,
  };
}

/** The URL of `path` (no leading slash) under `baseURL` (ending in a slash). */
export function endpoint(baseURL: string, path: string): string {
  return new URL(path, baseURL).href;
}

/** Checks the `k` of a `search` call: an integer ≥ 0. */
export function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 0) throw new InvalidInputError(`expected an integer ≥ 0, got ${k}`, { field: 'k' });
}

/**
 * The queries worth sending: spec retrievers answer [] for an empty or whitespace-only query, and
 * for k = 0, without asking the server (FlashRAG would encode an empty query; Search-R1 treats
 * `topk: 0` as "use the default").
 */
export function queriesToSend(queries: readonly string[], k: number): { sent: string[]; positions: number[] } {
  const sent: string[] = [];
  const positions: number[] = [];
  if (k === 0) return { sent, positions };
  queries.forEach((query, position) => {
    if (query.trim() !== '') {
      sent.push(query);
      positions.push(position);
    }
  });
  return { sent, positions };
}
