import type { GenerateRequest, GenerateResult, Policy, Tokenizer } from '@research-ts/spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** What a policy can do; a check that needs a missing capability is reported with `it.skip` and the reason. */
export interface PolicyCapabilities {
  /** `temperature: 0` gives the same tokens on every call (needed to derive stop strings and stop ids). */
  greedy: boolean;
  /** The same `sampling.seed` and inputs give the same tokens at temperature 1. */
  seed: boolean;
  /** `onText` receives the decoded text as it is generated. */
  streaming: boolean;
  /** `stopTokenIds` end the generation. */
  stopTokenIds: boolean;
  /** An aborted `signal` rejects the call. */
  abort: boolean;
  /** A request's greedy result in a batch equals its result alone (no padding or batching effects). */
  batchInvariance: boolean;
  /** `tokenizer.decode(outputIds) === text` with the suite's tokenizer. */
  exactIds: boolean;
}

export const fullPolicyCapabilities: Readonly<PolicyCapabilities> = Object.freeze({
  greedy: true,
  seed: true,
  streaming: true,
  stopTokenIds: true,
  abort: true,
  batchInvariance: true,
  exactIds: true,
});

export interface PolicyConformanceOptions {
  /** Shown in the `describe` title. */
  name: string;
  createPolicy: () => Policy | Promise<Policy>;
  disposePolicy?: (policy: Policy) => Promise<void> | void;
  /** The tokenizer of the policy's model (used to build prompts and to decode `outputIds`). */
  tokenizer: Tokenizer;
  /** Defaults to every capability; declare the ones the policy lacks as `false`. */
  capabilities?: Partial<PolicyCapabilities>;
  /** At least 3 prompts of different lengths (token ids). Defaults to three short texts encoded with `tokenizer`. */
  prompts?: readonly (readonly number[])[];
  /** The generation length of the greedy baselines (default 16). */
  maxNewTokens?: number;
  /**
   * A request whose greedy generation is known to end with an EOS id within its `maxNewTokens`. Without
   * it the EOS check only inspects the baselines and is skipped when none of them ends with EOS.
   */
  eosRequest?: GenerateRequest;
}

/** What each check gets: the policy, the options resolved, and the memoized greedy baselines. */
export interface PolicyConformanceContext {
  policy: Policy;
  tokenizer: Tokenizer;
  capabilities: PolicyCapabilities;
  prompts: readonly (readonly number[])[];
  maxNewTokens: number;
  eosRequest: GenerateRequest | undefined;
  /** The result of `{ inputIds: prompts[index], maxNewTokens, sampling: { temperature: 0 } }` alone (memoized). */
  greedyBaseline: (index: number) => Promise<GenerateResult>;
  /** Ends the check as skipped, with the reason (vitest's `context.skip`). */
  skip: (note: string) => never;
}

export interface PolicyConformanceCheck {
  name: string;
  requires: readonly (keyof PolicyCapabilities)[];
  run: (context: PolicyConformanceContext) => Promise<void>;
}

const defaultPromptTexts = [
  'The lighthouse keeper climbed the stairs and',
  'Hi',
  '<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n',
];

const greedy = { temperature: 0 } as const;

function expectWellFormed(
  result: GenerateResult | undefined,
  request: GenerateRequest,
  tokenizer: Tokenizer,
  label: string,
): void {
  expect(result, `${label}: no result`).toBeDefined();
  const { outputIds, finishReason, text } = result!;
  expect(Array.isArray(outputIds), `${label}: outputIds is not an array`).toBe(true);
  for (const id of outputIds) {
    expect(
      Number.isInteger(id) && id >= 0 && id < tokenizer.vocabSize,
      `${label}: token id ${id} outside the vocabulary`,
    ).toBe(true);
  }
  expect(typeof text, `${label}: text is not a string`).toBe('string');
  expect(['stop-string', 'eos', 'length'], `${label}: unknown finishReason ${String(finishReason)}`).toContain(
    finishReason,
  );
  expect(outputIds.length, `${label}: more tokens than maxNewTokens`).toBeLessThanOrEqual(request.maxNewTokens);
  if (finishReason === 'length')
    expect(outputIds.length, `${label}: 'length' with fewer than maxNewTokens tokens`).toBe(request.maxNewTokens);
  if (finishReason === 'stop-string') {
    expect(request.stopStrings ?? [], `${label}: stopString ${String(result!.stopString)} was not requested`).toContain(
      result!.stopString,
    );
    expect(text.endsWith(result!.stopString!), `${label}: text does not end with the stop string`).toBe(true);
  }
  if (finishReason === 'eos') {
    const endIds = [...tokenizer.eosTokenIds, ...(request.stopTokenIds ?? [])];
    expect(endIds, `${label}: 'eos' but the last token is not an end id`).toContain(outputIds[outputIds.length - 1]);
  }
  if (result!.logprobs !== undefined) {
    expect(result!.logprobs.length, `${label}: logprobs and outputIds differ in length`).toBe(outputIds.length);
    for (const logprob of result!.logprobs) expect(logprob, `${label}: logprob above 0`).toBeLessThanOrEqual(1e-6);
  }
}

function sameGeneration(result: GenerateResult) {
  return { outputIds: result.outputIds, text: result.text, finishReason: result.finishReason };
}

/**
 * A stop string that greedy decoding of `ids` meets first at the end of token `j`: the shortest suffix
 * (with a non-space character) of `decode(ids[0..j])` whose first occurrence is at the end.
 */
export function deriveStopString(
  tokenizer: Tokenizer,
  ids: readonly number[],
): { tokenCount: number; stop: string; text: string } | undefined {
  const end = new Set(tokenizer.eosTokenIds);
  const middle = Math.floor(ids.length / 2);
  const order = [...ids.keys()].sort((a, b) => Math.abs(a - middle) - Math.abs(b - middle) || a - b);
  for (const j of order) {
    if (ids.slice(0, j + 1).some((id) => end.has(id))) continue;
    const text = tokenizer.decode(ids.slice(0, j + 1));
    const before = tokenizer.decode(ids.slice(0, j));
    if (text.length <= before.length || !text.startsWith(before)) continue;
    for (let length = 1; length <= text.length; length += 1) {
      const stop = text.slice(-length);
      const code = stop.charCodeAt(0);
      if (code >= 0xdc00 && code <= 0xdfff) continue;
      if (stop.trim() === '' || text.indexOf(stop) !== text.length - length) continue;
      return { tokenCount: j + 1, stop, text };
    }
  }
  return undefined;
}

/**
 * The checks, in order. Exported so tests can run them against deliberately broken policies.
 *
 * Rules checked (from spec `Policy`): one result per request in order; `maxNewTokens` respected (exactly
 * that many tokens and `'length'` when nothing stopped it earlier); a stop string ends the generation,
 * is kept at the end of `text`, and gives `'stop-string'` + `stopString`; a stop token id or an EOS id
 * ends it with `'eos'` and is kept as the last token; greedy is deterministic; the same seed gives the
 * same tokens; `outputIds` decode to `text`; `onText` deltas concatenate to `text`; an aborted signal rejects.
 */
export const policyConformanceChecks: readonly PolicyConformanceCheck[] = [
  {
    name: 'returns [] for an empty batch and one well-formed result per request, in request order',
    requires: [],
    async run({ policy, tokenizer, prompts, maxNewTokens }) {
      expect(await policy.generate([])).toEqual([]);
      // The same prompt with different maxNewTokens identifies each result's position.
      const requests: GenerateRequest[] = [
        { inputIds: prompts[0]!, maxNewTokens: 2, sampling: greedy },
        { inputIds: prompts[0]!, maxNewTokens: 5, sampling: greedy },
        { inputIds: prompts[1]!, maxNewTokens: 3, sampling: greedy },
        { inputIds: prompts[2]!, maxNewTokens: maxNewTokens, sampling: greedy },
      ];
      const results = await policy.generate(requests);
      expect(results).toHaveLength(requests.length);
      results.forEach((result, index) => expectWellFormed(result, requests[index]!, tokenizer, `result ${index}`));
      const lengths = results.map((result) => result.outputIds.length);
      const lengthLimited = results.map((result) => result.finishReason === 'length');
      requests.forEach((request, index) => {
        if (lengthLimited[index])
          expect(lengths[index], `result ${index} is not the answer to request ${index}`).toBe(request.maxNewTokens);
      });
    },
  },
  {
    name: 'answers a batch of prompts of different lengths like the prompts one by one',
    requires: ['greedy', 'batchInvariance'],
    async run({ policy, tokenizer, prompts, maxNewTokens, greedyBaseline }) {
      const order = [2, 0, 1].filter((index) => index < prompts.length);
      const requests = order.map((index) => ({ inputIds: prompts[index]!, maxNewTokens, sampling: greedy }));
      const results = await policy.generate(requests);
      expect(results).toHaveLength(requests.length);
      for (const [position, index] of order.entries()) {
        expectWellFormed(results[position], requests[position]!, tokenizer, `prompt ${index}`);
        expect(sameGeneration(results[position]!), `prompt ${index} in a batch`).toEqual(
          sameGeneration(await greedyBaseline(index)),
        );
      }
    },
  },
  {
    name: "respects maxNewTokens: exactly that many tokens and finishReason 'length' when nothing stops it earlier",
    requires: [],
    async run({ policy, tokenizer, prompts }) {
      const requests = prompts.map((inputIds) => ({ inputIds, maxNewTokens: 3, sampling: greedy }));
      const results = await policy.generate(requests);
      results.forEach((result, index) => expectWellFormed(result, requests[index]!, tokenizer, `prompt ${index}`));
      for (const result of results) {
        if (result.finishReason !== 'length') continue;
        expect(result.outputIds).toHaveLength(3);
      }
      expect(
        results.some((result) => result.finishReason === 'length'),
        'every prompt ended before 3 tokens',
      ).toBe(true);
      const [one] = await policy.generate([{ inputIds: prompts[0]!, maxNewTokens: 1, sampling: greedy }]);
      expect(one!.outputIds).toHaveLength(1);
    },
  },
  {
    name: "ends at a stop string, kept at the end of text, with finishReason 'stop-string' and stopString",
    requires: ['greedy'],
    async run({ policy, tokenizer, prompts, maxNewTokens, greedyBaseline, skip }) {
      for (const [index, inputIds] of prompts.entries()) {
        const baseline = await greedyBaseline(index);
        const derived = deriveStopString(tokenizer, baseline.outputIds);
        if (derived === undefined) continue;
        const absent = '\u0001never-generated\u0001';
        const request: GenerateRequest = {
          inputIds,
          maxNewTokens,
          stopStrings: [absent, derived.stop],
          sampling: greedy,
        };
        const [result] = await policy.generate([request]);
        expectWellFormed(result, request, tokenizer, `prompt ${index}`);
        expect(result!.finishReason, `stop string ${JSON.stringify(derived.stop)}`).toBe('stop-string');
        expect(result!.stopString).toBe(derived.stop);
        expect(result!.outputIds).toEqual(baseline.outputIds.slice(0, derived.tokenCount));
        expect(result!.text).toBe(derived.text);
        expect(result!.text.endsWith(derived.stop)).toBe(true);
        const [unstopped] = await policy.generate([
          { inputIds, maxNewTokens, stopStrings: [absent], sampling: greedy },
        ]);
        expect(sameGeneration(unstopped!), 'a stop string that never appears changed the output').toEqual(
          sameGeneration(baseline),
        );
        return;
      }
      skip('no greedy baseline had a token to derive a stop string from');
    },
  },
  {
    name: "ends at a stop token id, kept as the last token, with finishReason 'eos'",
    requires: ['greedy', 'stopTokenIds'],
    async run({ policy, tokenizer, prompts, maxNewTokens, greedyBaseline, skip }) {
      const end = new Set(tokenizer.eosTokenIds);
      for (const [index, inputIds] of prompts.entries()) {
        const ids = (await greedyBaseline(index)).outputIds;
        const position = ids.findIndex(
          (id, at) =>
            at >= 1 && !end.has(id) && ids.indexOf(id) === at && !ids.slice(0, at).some((earlier) => end.has(earlier)),
        );
        if (position < 0) continue;
        const request: GenerateRequest = { inputIds, maxNewTokens, stopTokenIds: [ids[position]!], sampling: greedy };
        const [result] = await policy.generate([request]);
        expectWellFormed(result, request, tokenizer, `prompt ${index}`);
        expect(result!.finishReason).toBe('eos');
        expect(result!.outputIds).toEqual(ids.slice(0, position + 1));
        return;
      }
      skip('no greedy baseline had a non-EOS token after the first to use as a stop token id');
    },
  },
  {
    name: "ends at an EOS token, kept as the last token, with finishReason 'eos'",
    requires: [],
    async run({ policy, tokenizer, prompts, maxNewTokens, eosRequest, capabilities, greedyBaseline, skip }) {
      const end = new Set(tokenizer.eosTokenIds);
      let seen = false;
      if (capabilities.greedy) {
        for (const index of prompts.keys()) {
          const baseline = await greedyBaseline(index);
          expectWellFormed(baseline, { inputIds: prompts[index]!, maxNewTokens }, tokenizer, `prompt ${index}`);
          const at = baseline.outputIds.findIndex((id) => end.has(id));
          if (at < 0) continue;
          seen = true;
          expect(at, `prompt ${index}: tokens after EOS`).toBe(baseline.outputIds.length - 1);
          expect(baseline.finishReason).toBe('eos');
        }
      }
      if (eosRequest !== undefined) {
        const [result] = await policy.generate([eosRequest]);
        expectWellFormed(result, eosRequest, tokenizer, 'eosRequest');
        expect(result!.finishReason).toBe('eos');
        expect(tokenizer.eosTokenIds).toContain(result!.outputIds[result!.outputIds.length - 1]);
        expect(result!.outputIds.filter((id) => end.has(id))).toHaveLength(1);
        seen = true;
      }
      if (!seen) skip('no baseline ended with EOS and no eosRequest was given');
    },
  },
  {
    name: 'is deterministic under greedy decoding (temperature 0) across calls',
    requires: ['greedy'],
    async run({ policy, prompts, maxNewTokens, greedyBaseline }) {
      for (const [index, inputIds] of prompts.entries()) {
        const [again] = await policy.generate([{ inputIds, maxNewTokens, sampling: greedy }]);
        expect(sameGeneration(again!), `prompt ${index}`).toEqual(sameGeneration(await greedyBaseline(index)));
      }
    },
  },
  {
    name: 'gives the same output for the same seed at temperature 1',
    requires: ['seed'],
    async run({ policy, tokenizer, prompts, maxNewTokens }) {
      const request: GenerateRequest = {
        inputIds: prompts[0]!,
        maxNewTokens,
        sampling: { temperature: 1, seed: 1234 },
      };
      const [first] = await policy.generate([request]);
      const [second] = await policy.generate([request]);
      expectWellFormed(first, request, tokenizer, 'seed 1234');
      expect(sameGeneration(second!)).toEqual(sameGeneration(first!));
    },
  },
  {
    name: 'returns outputIds that decode to text',
    requires: ['exactIds'],
    async run({ tokenizer, prompts, greedyBaseline, policy, maxNewTokens, capabilities }) {
      const sampling = capabilities.seed ? { temperature: 1, seed: 7 } : { temperature: 1 };
      const results = await policy.generate(prompts.map((inputIds) => ({ inputIds, maxNewTokens, sampling })));
      for (const index of prompts.keys()) results.push(await greedyBaseline(index));
      for (const [index, result] of results.entries())
        expect(tokenizer.decode(result.outputIds), `result ${index}`).toBe(result.text);
    },
  },
  {
    name: 'streams onText deltas that concatenate to each text',
    requires: ['streaming'],
    async run({ policy, tokenizer, prompts, maxNewTokens }) {
      const streamed = prompts.map(() => '');
      const requests = prompts.map((inputIds) => ({ inputIds, maxNewTokens, sampling: greedy }));
      const results = await policy.generate(requests, {
        onText: (index, delta) => {
          expect(index >= 0 && index < prompts.length, `onText index ${index} out of range`).toBe(true);
          streamed[index] += delta;
        },
      });
      results.forEach((result, index) => expectWellFormed(result, requests[index]!, tokenizer, `prompt ${index}`));
      expect(streamed).toEqual(results.map((result) => result.text));
    },
  },
  {
    name: 'rejects when the signal is already aborted',
    requires: ['abort'],
    async run({ policy, prompts, maxNewTokens }) {
      const signal = AbortSignal.abort(new Error('conformance abort'));
      await expect(
        policy.generate([{ inputIds: prompts[0]!, maxNewTokens, sampling: greedy }], { signal }),
      ).rejects.toThrow();
    },
  },
];

/** The capabilities a check requires that the policy declares `false` (the check is then skipped). */
export function missingCapabilities(
  check: Pick<PolicyConformanceCheck, 'requires'>,
  capabilities: PolicyCapabilities,
): (keyof PolicyCapabilities)[] {
  return check.requires.filter((capability) => !capabilities[capability]);
}

/**
 * The conformance suite every `Policy` implementation runs (a vitest `describe` block); call it at the
 * top level of a test file. Checks needing a capability the policy declares `false` are `it.skip`ped
 * with the reason in their title; checks whose precondition the model's output does not meet (no EOS
 * seen, say) skip at run time with a note.
 */
export function runPolicyConformance(options: PolicyConformanceOptions): void {
  const capabilities: PolicyCapabilities = { ...fullPolicyCapabilities, ...options.capabilities };
  describe(`${options.name}: Policy conformance`, () => {
    let policy: Policy | undefined;
    let prompts: readonly (readonly number[])[] = [];
    const baselines = new Map<number, Promise<GenerateResult>>();
    const maxNewTokens = options.maxNewTokens ?? 16;
    beforeAll(async () => {
      policy = await options.createPolicy();
      prompts =
        options.prompts ??
        defaultPromptTexts.map((text) => options.tokenizer.encode(text, { addSpecialTokens: false }));
    });
    afterAll(async () => {
      if (policy !== undefined) await options.disposePolicy?.(policy);
    });
    it('declares specificationVersion v1 and a name; has 3+ prompts of different lengths', () => {
      expect(policy!.specificationVersion).toBe('v1');
      expect(policy!.name.length).toBeGreaterThan(0);
      expect(prompts.length).toBeGreaterThanOrEqual(3);
      expect(new Set(prompts.map((prompt) => prompt.length)).size, 'prompts must differ in length').toBe(
        prompts.length,
      );
    });
    for (const check of policyConformanceChecks) {
      const missing = missingCapabilities(check, capabilities);
      if (missing.length > 0) {
        // Skipped with its reason in the title: the policy under test declared the capability missing.
        it.skip(`${check.name} — skipped: the policy declares ${missing.map((name) => `capabilities.${name} = false`).join(', ')}`, () => {});
        continue;
      }
      it(check.name, async (testContext) => {
        await check.run({
          policy: policy!,
          tokenizer: options.tokenizer,
          capabilities,
          prompts,
          maxNewTokens,
          eosRequest: options.eosRequest,
          greedyBaseline: (index) => {
            let baseline = baselines.get(index);
            if (baseline === undefined) {
              baseline = policy!
                .generate([{ inputIds: prompts[index]!, maxNewTokens, sampling: greedy }])
                .then((results) => results[0]!);
              baselines.set(index, baseline);
            }
            return baseline;
          },
          skip: (note) => testContext.skip(note),
        });
      });
    }
  });
}
