import { InvalidInputError, UnsupportedError, type GenerateRequest, type Tokenizer } from '@research-ts/spec';
import { completionServerProfiles, type CompletionServer } from './completion-server';

export interface BuildCompletionRequestBodyOptions {
  server: CompletionServer;
  model: string;
  /** Needed for servers that take text prompts, and to check stop token ids on servers without them. */
  tokenizer: Tokenizer | undefined;
  /** Ask for the log-probability of each generated token. */
  logprobs: boolean;
  /** Ask for a `text/event-stream` response. */
  stream: boolean;
  /** Position of the request in its batch, for error messages. */
  index: number;
  /** Fields merged last into the body, for server options this package does not model. */
  extraBody?: Readonly<Record<string, unknown>>;
}

/**
 * The JSON body of one `POST {baseURL}/completions` for one {@link GenerateRequest}. Sampling fields
 * that the request leaves unset are left out, so the server's defaults apply. Throws
 * `InvalidInputError` for a malformed request (the field path names it) and `UnsupportedError` for a
 * request the chosen server cannot honour.
 */
export function buildCompletionRequestBody(
  request: GenerateRequest,
  options: BuildCompletionRequestBodyOptions,
): Record<string, unknown> {
  const profile = completionServerProfiles[options.server];
  const field = (name: string) => `requests[${options.index}].${name}`;
  validateRequest(request, field);

  const body: Record<string, unknown> = { model: options.model };
  if (profile.prompt === 'token-ids') {
    body.prompt = [...request.inputIds];
  } else {
    if (options.tokenizer === undefined) {
      throw new UnsupportedError(
        'text prompts',
        `the ${options.server} server takes text prompts; pass a tokenizer to decode inputIds`,
      );
    }
    body.prompt = options.tokenizer.decode(request.inputIds, { skipSpecialTokens: false });
  }
  body.max_tokens = request.maxNewTokens;

  const sampling = request.sampling ?? {};
  if (sampling.temperature !== undefined) body.temperature = sampling.temperature;
  if (sampling.topP !== undefined) body.top_p = sampling.topP;
  if (sampling.topK !== undefined && sampling.topK > 0 && profile.topK) body.top_k = sampling.topK;
  if (sampling.seed !== undefined) body.seed = sampling.seed;

  const stopStrings = request.stopStrings ?? [];
  if (stopStrings.length > 0) body.stop = [...stopStrings];
  const stopTokenIds = request.stopTokenIds ?? [];
  if (stopTokenIds.length > 0) {
    if (profile.stopTokenIds) {
      body.stop_token_ids = [...stopTokenIds];
    } else {
      // The server stops at its own EOS tokens anyway; any other stop token cannot be honoured.
      const eos = new Set(options.tokenizer?.eosTokenIds ?? []);
      const unsupported = stopTokenIds.filter((id) => !eos.has(id));
      if (unsupported.length > 0) {
        throw new UnsupportedError(
          'stopTokenIds',
          `the ${options.server} server has no stop_token_ids; only the tokenizer's EOS ids (${[...eos].join(', ') || 'none known'}) can stop it, not ${unsupported.join(', ')} (${field('stopTokenIds')})`,
        );
      }
    }
  }

  Object.assign(body, profile.extensionFields({ logprobs: options.logprobs }));
  if (options.stream) body.stream = true;
  if (options.extraBody !== undefined) Object.assign(body, options.extraBody);
  return body;
}

function validateRequest(request: GenerateRequest, field: (name: string) => string): void {
  const fail = (name: string, problem: string): never => {
    throw new InvalidInputError(problem, { field: field(name) });
  };
  if (!Array.isArray(request.inputIds) || request.inputIds.length === 0)
    fail('inputIds', 'must be a non-empty array of token ids');
  request.inputIds.forEach((id, position) => {
    if (!Number.isInteger(id) || id < 0)
      fail(`inputIds[${position}]`, `must be a non-negative integer, got ${String(id)}`);
  });
  if (!Number.isInteger(request.maxNewTokens) || request.maxNewTokens < 0) {
    fail('maxNewTokens', `must be a non-negative integer, got ${String(request.maxNewTokens)}`);
  }
  (request.stopStrings ?? []).forEach((stop, position) => {
    if (typeof stop !== 'string' || stop === '') fail(`stopStrings[${position}]`, 'must be a non-empty string');
  });
  (request.stopTokenIds ?? []).forEach((id, position) => {
    if (!Number.isInteger(id) || id < 0)
      fail(`stopTokenIds[${position}]`, `must be a non-negative integer, got ${String(id)}`);
  });
  const sampling = request.sampling ?? {};
  if (sampling.temperature !== undefined && !(Number.isFinite(sampling.temperature) && sampling.temperature >= 0)) {
    fail('sampling.temperature', `must be a finite number >= 0, got ${String(sampling.temperature)}`);
  }
  if (sampling.topP !== undefined && !(sampling.topP > 0 && sampling.topP <= 1)) {
    fail('sampling.topP', `must be in (0, 1], got ${String(sampling.topP)}`);
  }
  if (sampling.topK !== undefined && !(Number.isInteger(sampling.topK) && sampling.topK >= 0)) {
    fail('sampling.topK', `must be a non-negative integer, got ${String(sampling.topK)}`);
  }
  if (sampling.seed !== undefined && !Number.isSafeInteger(sampling.seed)) {
    fail('sampling.seed', `must be a safe integer, got ${String(sampling.seed)}`);
  }
}
