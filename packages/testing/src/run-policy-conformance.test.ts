import type { GenerateOptions, GenerateRequest, GenerateResult, Policy } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { MockPolicy } from './mock-policy';
import { MockTokenizer } from './mock-tokenizer';
import {
  deriveStopString,
  fullPolicyCapabilities,
  missingCapabilities,
  policyConformanceChecks,
  type PolicyConformanceContext,
} from './run-policy-conformance';

const tokenizer = new MockTokenizer();
const script = (_request: GenerateRequest, context: { contextText: string }) =>
  context.contextText === 'Hi'
    ? 'Hello!<|im_end|>'
    : `Reply to ${context.contextText.length}: keep the lamp burning.<|im_end|>`;

describe('missingCapabilities', () => {
  it('names, per check, the required capabilities a policy declares false; exactly those checks are skipped', () => {
    const declared = { ...fullPolicyCapabilities, seed: false, streaming: false };
    const skipped = policyConformanceChecks.filter((check) => missingCapabilities(check, declared).length > 0);
    expect(skipped.map((check) => missingCapabilities(check, declared))).toEqual([['seed'], ['streaming']]);
    expect(skipped.map((check) => check.requires)).toEqual([['seed'], ['streaming']]);
    expect(
      policyConformanceChecks.filter((check) => missingCapabilities(check, fullPolicyCapabilities).length > 0),
    ).toEqual([]);
  });
});

function context(policy: Policy): PolicyConformanceContext {
  const prompts = ['The lighthouse keeper', 'Hi', 'a much longer prompt about lamps'].map((text) =>
    tokenizer.encode(text),
  );
  const baselines = new Map<number, Promise<GenerateResult>>();
  return {
    policy,
    tokenizer,
    capabilities: { ...fullPolicyCapabilities },
    prompts,
    maxNewTokens: 16,
    eosRequest: { inputIds: tokenizer.encode('Hi'), maxNewTokens: 16 },
    greedyBaseline: (index) => {
      if (!baselines.has(index)) {
        baselines.set(
          index,
          policy
            .generate([{ inputIds: prompts[index]!, maxNewTokens: 16, sampling: { temperature: 0 } }])
            .then((results) => results[0]!),
        );
      }
      return baselines.get(index)!;
    },
    skip: (note) => {
      throw new Error(`skipped: ${note}`);
    },
  };
}

function check(name: string) {
  const found = policyConformanceChecks.find((candidate) => candidate.name.startsWith(name));
  if (found === undefined) throw new Error(`no check named ${name}`);
  return found;
}

/** A MockPolicy whose results (or call) are altered to break one rule. */
function broken(
  transform: (
    results: GenerateResult[],
    requests: readonly GenerateRequest[],
    options: GenerateOptions | undefined,
  ) => GenerateResult[],
  policyOptions: { ignoreStops?: boolean; ignoreSignal?: boolean } = {},
): Policy {
  const inner = new MockPolicy({ tokenizer, script });
  return {
    specificationVersion: 'v1',
    name: 'broken',
    async generate(requests, options) {
      const forwarded = policyOptions.ignoreStops
        ? requests.map(({ stopStrings: _s, stopTokenIds: _t, ...rest }) => rest)
        : requests;
      const innerOptions = policyOptions.ignoreSignal ? { ...options, signal: undefined } : options;
      return transform(await inner.generate(forwarded, innerOptions), requests, options);
    },
  };
}

describe('policyConformanceChecks', () => {
  it('all pass on MockPolicy', async () => {
    const ok = context(new MockPolicy({ tokenizer, script }));
    for (const candidate of policyConformanceChecks) await candidate.run(ok);
  });

  it('fail a policy that returns results in reverse order', async () => {
    const policy = broken((results) => [...results].reverse());
    await expect(check('returns [] for an empty batch').run(context(policy))).rejects.toThrow(
      'more tokens than maxNewTokens',
    );
    await expect(check('answers a batch of prompts of different lengths').run(context(policy))).rejects.toThrow();
  });

  it('fail a policy that generates one token too many', async () => {
    const policy = broken((results) =>
      results.map((result) =>
        result.finishReason === 'length'
          ? { ...result, outputIds: [...result.outputIds, 100], text: `${result.text}a` }
          : result,
      ),
    );
    await expect(check('respects maxNewTokens').run(context(policy))).rejects.toThrow('more tokens than maxNewTokens');
  });

  it("fail a policy that reports 'length' before maxNewTokens", async () => {
    const policy = broken((results) => results.map((result) => ({ ...result, finishReason: 'length' as const })));
    await expect(check('ends at an EOS token').run(context(policy))).rejects.toThrow(
      "'length' with fewer than maxNewTokens tokens",
    );
  });

  it('fail a policy that ignores stop strings and stop token ids', async () => {
    const policy = broken((results) => results, { ignoreStops: true });
    await expect(check('ends at a stop string').run(context(policy))).rejects.toThrow();
    await expect(check('ends at a stop token id').run(context(policy))).rejects.toThrow();
  });

  it('fail a policy that strips the stop string from text (as SGLang does)', async () => {
    const policy = broken((results) =>
      results.map((result) =>
        result.finishReason === 'stop-string'
          ? { ...result, text: result.text.slice(0, -result.stopString!.length) }
          : result,
      ),
    );
    await expect(check('ends at a stop string').run(context(policy))).rejects.toThrow(
      'text does not end with the stop string',
    );
  });

  it("fail a policy that reports EOS as 'stop-string'", async () => {
    const policy = broken((results) =>
      results.map((result) =>
        result.finishReason === 'eos' ? { ...result, finishReason: 'stop-string' as const } : result,
      ),
    );
    await expect(check('ends at an EOS token').run(context(policy))).rejects.toThrow('was not requested');
  });

  it('fail a nondeterministic greedy policy', async () => {
    let call = 0;
    const policy = broken((results) => {
      call += 1;
      return call % 2 === 0
        ? results.map((result) => ({
            ...result,
            outputIds: [...result.outputIds].reverse(),
            text: [...result.text].reverse().join(''),
          }))
        : results;
    });
    await expect(check('is deterministic under greedy').run(context(policy))).rejects.toThrow();
    await expect(check('gives the same output for the same seed').run(context(policy))).rejects.toThrow();
  });

  it('fail a policy whose outputIds do not decode to text', async () => {
    const policy = broken((results) => results.map((result) => ({ ...result, text: result.text.toUpperCase() })));
    await expect(check('returns outputIds that decode to text').run(context(policy))).rejects.toThrow();
  });

  it('fail a policy whose streamed deltas lose text', async () => {
    const policy = broken((results, _requests, options) => {
      results.forEach((result, index) => options?.onText?.(index, result.text.slice(1)));
      return results;
    });
    await expect(check('streams onText deltas').run(context(policy))).rejects.toThrow();
  });

  it('fail a policy that ignores an aborted signal', async () => {
    const policy = broken((results) => results, { ignoreSignal: true });
    await expect(check('rejects when the signal is already aborted').run(context(policy))).rejects.toThrow();
  });

  it('fail a policy reporting positive or misaligned logprobs', async () => {
    const policy = broken((results) =>
      results.map((result) => ({ ...result, logprobs: result.outputIds.map(() => 0.5) })),
    );
    await expect(check('respects maxNewTokens').run(context(policy))).rejects.toThrow('logprob above 0');
    const short = broken((results) => results.map((result) => ({ ...result, logprobs: [-1] })));
    await expect(check('respects maxNewTokens').run(context(short))).rejects.toThrow(
      'logprobs and outputIds differ in length',
    );
  });
});

describe('deriveStopString', () => {
  it('finds the shortest suffix that first occurs at the end of a middle token', () => {
    // "abab!" : middle index 2 -> text "aba"; suffixes "a" (occurs at 0), "ba" (first at 1 = end) -> "ba".
    expect(deriveStopString(tokenizer, tokenizer.encode('abab!'))).toEqual({ tokenCount: 3, stop: 'ba', text: 'aba' });
  });

  it('skips whitespace-only suffixes and stops before EOS', () => {
    expect(deriveStopString(tokenizer, tokenizer.encode('x y'))).toEqual({ tokenCount: 2, stop: 'x ', text: 'x ' });
    expect(deriveStopString(tokenizer, tokenizer.encode('<|im_end|>ab'))).toBeUndefined();
    expect(deriveStopString(tokenizer, [])).toBeUndefined();
  });
});
