import {
  InvalidInputError,
  type GenerateOptions,
  type GenerateRequest,
  type GenerateResult,
  type Policy,
  type Tokenizer,
} from '@research-ts/spec';
import { delay } from '@research-ts/spec';

/** What the script says a request's model "wants" to write: text (encoded with the tokenizer) or exact token ids. */
export type MockCompletion = string | readonly number[];

export interface MockPolicyScriptContext {
  /** 0-based index of the `generate` call. */
  call: number;
  /** Index of the request within the call. */
  index: number;
  /** How many requests were answered before this one, over all calls. */
  requestNumber: number;
  /** `tokenizer.decode(request.inputIds)`. */
  contextText: string;
}

/**
 * A list of completions consumed one per request, in order over all calls, or a function choosing the
 * completion of each request.
 */
export type MockPolicyScript =
  readonly MockCompletion[] | ((request: GenerateRequest, context: MockPolicyScriptContext) => MockCompletion);

export interface MockPolicyOptions {
  tokenizer: Tokenizer;
  script: MockPolicyScript;
  name?: string;
  /**
   * When a completion runs out before an EOS id, a stop string or `maxNewTokens`: `'eos'` (default)
   * emits the tokenizer's first EOS id next, as a model that ends would; `'throw'` rejects.
   */
  onScriptEnd?: 'eos' | 'throw';
  /** Wait this long in each call before answering (aborts early when the signal aborts). */
  delayMs?: number;
}

/** One recorded `generate` call. */
export interface MockPolicyCall {
  requests: GenerateRequest[];
  options: GenerateOptions | undefined;
}

/**
 * A scripted `Policy` that behaves like a real one at the token level. For each request it takes the
 * scripted completion as token ids and emits them one at a time, stopping after the first token that
 * 1. is an EOS id of the tokenizer or one of `request.stopTokenIds` → `finishReason: 'eos'`;
 * 2. completes one of `request.stopStrings` in the decoded new text → `'stop-string'` (the earliest
 *    occurrence wins; the tokens of the string are kept, and `stopString` names it);
 * 3. is the `maxNewTokens`-th → `'length'`.
 *
 * `text` is `tokenizer.decode(outputIds)`. `onText` receives the new decoded text after each token.
 * The sampling options are ignored (the script is the model), so greedy and seeded runs are
 * trivially reproducible. Every call is recorded in {@link calls}.
 */
export class MockPolicy implements Policy {
  readonly specificationVersion = 'v1' as const;
  readonly name: string;
  readonly calls: MockPolicyCall[] = [];
  private readonly tokenizer: Tokenizer;
  private readonly script: MockPolicyScript;
  private readonly onScriptEnd: 'eos' | 'throw';
  private readonly delayMs: number;
  private requestsAnswered = 0;

  constructor(options: MockPolicyOptions) {
    this.name = options.name ?? 'mock';
    this.tokenizer = options.tokenizer;
    this.script = options.script;
    this.onScriptEnd = options.onScriptEnd ?? 'eos';
    this.delayMs = options.delayMs ?? 0;
  }

  async generate(requests: readonly GenerateRequest[], options?: GenerateOptions): Promise<GenerateResult[]> {
    options?.signal?.throwIfAborted();
    const call = this.calls.length;
    this.calls.push({
      requests: requests.map((request) => ({ ...request, inputIds: [...request.inputIds] })),
      options,
    });
    requests.forEach((request, index) => validateRequest(request, index));
    if (this.delayMs > 0) await delay(this.delayMs, options?.signal);
    return requests.map((request, index) => {
      const completion = this.completionFor(request, { call, index });
      return this.emit(request, completion, index, options?.onText);
    });
  }

  private completionFor(request: GenerateRequest, where: { call: number; index: number }): readonly number[] {
    const requestNumber = this.requestsAnswered;
    this.requestsAnswered += 1;
    let completion: MockCompletion | undefined;
    if (typeof this.script === 'function') {
      completion = this.script(request, {
        ...where,
        requestNumber,
        contextText: this.tokenizer.decode(request.inputIds),
      });
    } else {
      completion = this.script[requestNumber];
      if (completion === undefined) {
        throw new InvalidInputError(
          `the script has ${this.script.length} completions; request ${requestNumber} has none`,
          {
            source: 'MockPolicy',
          },
        );
      }
    }
    return typeof completion === 'string' ? this.tokenizer.encode(completion, { addSpecialTokens: false }) : completion;
  }

  private emit(
    request: GenerateRequest,
    completion: readonly number[],
    index: number,
    onText: GenerateOptions['onText'],
  ): GenerateResult {
    const endIds = new Set([...this.tokenizer.eosTokenIds, ...(request.stopTokenIds ?? [])]);
    const stopStrings = (request.stopStrings ?? []).filter((stop) => stop.length > 0);
    const outputIds: number[] = [];
    let text = '';
    while (outputIds.length < request.maxNewTokens) {
      const id = completion[outputIds.length] ?? this.scriptEndToken(outputIds.length);
      outputIds.push(id);
      const previous = text;
      text = this.tokenizer.decode(outputIds);
      if (onText !== undefined && text.length > previous.length && text.startsWith(previous))
        onText(index, text.slice(previous.length));
      if (endIds.has(id)) return { outputIds, text, finishReason: 'eos' };
      const stopString = firstStopString(text, previous.length, stopStrings);
      if (stopString !== undefined) return { outputIds, text, finishReason: 'stop-string', stopString };
    }
    return { outputIds, text, finishReason: 'length' };
  }

  private scriptEndToken(position: number): number {
    const eos = this.tokenizer.eosTokenIds[0];
    if (this.onScriptEnd === 'throw' || eos === undefined) {
      throw new InvalidInputError(
        `the scripted completion ended after ${position} tokens without EOS, a stop string or maxNewTokens`,
        {
          source: 'MockPolicy',
        },
      );
    }
    return eos;
  }
}

/** The stop string whose first occurrence in `text` ends earliest, looking only at occurrences that end after `checkedLength`. */
function firstStopString(text: string, checkedLength: number, stopStrings: readonly string[]): string | undefined {
  let best: { stop: string; end: number } | undefined;
  for (const stop of stopStrings) {
    const at = text.indexOf(stop, Math.max(0, checkedLength - stop.length + 1));
    if (at < 0) continue;
    const end = at + stop.length;
    if (best === undefined || end < best.end) best = { stop, end };
  }
  return best?.stop;
}

function validateRequest(request: GenerateRequest, index: number): void {
  if (!Number.isInteger(request.maxNewTokens) || request.maxNewTokens < 0) {
    throw new InvalidInputError(`must be a non-negative integer, got ${String(request.maxNewTokens)}`, {
      source: 'MockPolicy.generate',
      field: `requests.${index}.maxNewTokens`,
    });
  }
}
