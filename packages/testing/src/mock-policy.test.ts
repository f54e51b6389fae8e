import type { GenerateRequest } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { MockPolicy } from './mock-policy';
import { MockTokenizer } from './mock-tokenizer';
import { runPolicyConformance } from './run-policy-conformance';

const tokenizer = new MockTokenizer();

/** A script for any context: the reply depends on the context, and the prompt "Hi" is answered with EOS. */
function conformanceScript(_request: GenerateRequest, context: { contextText: string }): string {
  if (context.contextText === 'Hi') return 'Hello!<|im_end|>';
  return `Context of ${context.contextText.length} characters: the lighthouse keeper tended the lamp all night.<|im_end|>`;
}

runPolicyConformance({
  name: 'MockPolicy',
  createPolicy: () => new MockPolicy({ tokenizer, script: conformanceScript }),
  tokenizer,
  eosRequest: { inputIds: tokenizer.encode('Hi'), maxNewTokens: 16 },
});

function request(inputText: string, overrides: Partial<GenerateRequest> = {}): GenerateRequest {
  return { inputIds: tokenizer.encode(inputText), maxNewTokens: 100, ...overrides };
}

describe('MockPolicy', () => {
  it('stops after the tokens of a stop string and keeps them', async () => {
    const policy = new MockPolicy({
      tokenizer,
      script: ['<think>x</think><search>who</search><result>made up</result>'],
    });
    const [result] = await policy.generate([request('p', { stopStrings: ['</search>'] })]);
    expect(result).toEqual({
      outputIds: tokenizer.encode('<think>x</think><search>who</search>'),
      text: '<think>x</think><search>who</search>',
      finishReason: 'stop-string',
      stopString: '</search>',
    });
  });

  it('picks the stop string that completes first', async () => {
    const policy = new MockPolicy({ tokenizer, script: ['abcdef', 'abcdef'] });
    const [first, second] = await policy.generate([
      request('p', { stopStrings: ['cdef', 'bc'] }),
      request('p', { stopStrings: ['de', 'abcd'] }),
    ]);
    expect([first!.text, first!.stopString]).toEqual(['abc', 'bc']);
    expect([second!.text, second!.stopString]).toEqual(['abcd', 'abcd']);
  });

  it('finds a stop string that spans several tokens of a merged tokenizer', async () => {
    const merged = new MockTokenizer({ merges: ['</sea', 'rch>'] });
    const policy = new MockPolicy({ tokenizer: merged, script: ['q</search> more'] });
    const [result] = await policy.generate([{ inputIds: [], maxNewTokens: 50, stopStrings: ['</search>'] }]);
    expect(result!.outputIds).toEqual([merged.codePointBase + 113, 3, 4]);
    expect(result!.text).toBe('q</search>');
  });

  it("stops at maxNewTokens with 'length'", async () => {
    const policy = new MockPolicy({ tokenizer, script: ['abcdef<|im_end|>', 'ab<|im_end|>'] });
    const results = await policy.generate([request('p', { maxNewTokens: 4 }), request('p', { maxNewTokens: 3 })]);
    expect(results.map((result) => [result.text, result.finishReason])).toEqual([
      ['abcd', 'length'],
      ['ab<|im_end|>', 'eos'],
    ]);
    const [none] = await new MockPolicy({ tokenizer, script: ['abc'] }).generate([request('p', { maxNewTokens: 0 })]);
    expect(none).toEqual({ outputIds: [], text: '', finishReason: 'length' });
  });

  it("ends at EOS ids and at request stopTokenIds with 'eos', keeping the token", async () => {
    const policy = new MockPolicy({ tokenizer, script: ['ab<|endoftext|>cd', 'abcd'] });
    const [eos, stopId] = await policy.generate([
      request('p'),
      request('p', { stopTokenIds: [tokenizer.encode('c')[0]!] }),
    ]);
    expect(eos).toEqual({ outputIds: [100, 101, 0], text: 'ab<|endoftext|>', finishReason: 'eos' });
    expect(stopId).toEqual({ outputIds: [100, 101, 102], text: 'abc', finishReason: 'eos' });
  });

  it('emits exact scripted token ids, even non-canonical ones', async () => {
    const merged = new MockTokenizer({ merges: ['ab'] });
    const characterIds = [merged.codePointBase + 97, merged.codePointBase + 98, 2];
    const policy = new MockPolicy({ tokenizer: merged, script: [characterIds] });
    const [result] = await policy.generate([{ inputIds: [], maxNewTokens: 10 }]);
    expect(result).toEqual({ outputIds: characterIds, text: 'ab<|im_end|>', finishReason: 'eos' });
  });

  it("appends EOS when the script runs out, or throws with onScriptEnd: 'throw'", async () => {
    const [ended] = await new MockPolicy({ tokenizer, script: ['ok'] }).generate([request('p')]);
    expect(ended).toEqual({ outputIds: [114, 110, 2], text: 'ok<|im_end|>', finishReason: 'eos' });
    await expect(
      new MockPolicy({ tokenizer, script: ['ok'], onScriptEnd: 'throw' }).generate([request('p')]),
    ).rejects.toThrow(
      'MockPolicy: the scripted completion ended after 2 tokens without EOS, a stop string or maxNewTokens',
    );
  });

  it('consumes a list script one completion per request across calls, and says when it runs out', async () => {
    const policy = new MockPolicy({ tokenizer, script: ['a<|im_end|>', 'b<|im_end|>', 'c<|im_end|>'] });
    const first = await policy.generate([request('x'), request('y')]);
    const second = await policy.generate([request('z')]);
    expect([...first, ...second].map((result) => result.text)).toEqual(['a<|im_end|>', 'b<|im_end|>', 'c<|im_end|>']);
    await expect(policy.generate([request('w')])).rejects.toThrow(
      'MockPolicy: the script has 3 completions; request 3 has none',
    );
  });

  it('gives a script function the call, index, request number and decoded context', async () => {
    const seen: unknown[] = [];
    const policy = new MockPolicy({
      tokenizer,
      script: (generateRequest, context) => {
        seen.push({ ...context, maxNewTokens: generateRequest.maxNewTokens });
        return 'x<|im_end|>';
      },
    });
    await policy.generate([request('one', { maxNewTokens: 5 }), request('two')]);
    await policy.generate([request('three')]);
    expect(seen).toEqual([
      { call: 0, index: 0, requestNumber: 0, contextText: 'one', maxNewTokens: 5 },
      { call: 0, index: 1, requestNumber: 1, contextText: 'two', maxNewTokens: 100 },
      { call: 1, index: 0, requestNumber: 2, contextText: 'three', maxNewTokens: 100 },
    ]);
  });

  it('records calls with copies of the requests', async () => {
    const policy = new MockPolicy({ tokenizer, script: ['a<|im_end|>'] });
    const inputIds = tokenizer.encode('p');
    await policy.generate([{ inputIds, maxNewTokens: 3, stopStrings: ['</search>'] }]);
    inputIds.push(999);
    expect(policy.calls).toHaveLength(1);
    expect(policy.calls[0]!.requests).toEqual([
      { inputIds: tokenizer.encode('p'), maxNewTokens: 3, stopStrings: ['</search>'] },
    ]);
  });

  it('streams one delta per token through onText', async () => {
    const policy = new MockPolicy({ tokenizer, script: ['ab', 'c<|im_end|>'] });
    const deltas: [number, string][] = [];
    await policy.generate([request('p', { maxNewTokens: 2 }), request('q')], {
      onText: (index, delta) => deltas.push([index, delta]),
    });
    expect(deltas).toEqual([
      [0, 'a'],
      [0, 'b'],
      [1, 'c'],
      [1, '<|im_end|>'],
    ]);
  });

  it('rejects a bad maxNewTokens and an aborted signal', async () => {
    const policy = new MockPolicy({ tokenizer, script: () => 'a' });
    await expect(policy.generate([request('p', { maxNewTokens: -1 })])).rejects.toThrow(
      'MockPolicy.generate, field "requests.0.maxNewTokens": must be a non-negative integer, got -1',
    );
    await expect(policy.generate([request('p')], { signal: AbortSignal.abort(new Error('gone')) })).rejects.toThrow(
      'gone',
    );
    const slow = new MockPolicy({ tokenizer, script: () => 'a', delayMs: 10_000 });
    const controller = new AbortController();
    const pending = slow.generate([request('p')], { signal: controller.signal });
    controller.abort(new Error('stopped'));
    await expect(pending).rejects.toThrow('stopped');
  });
});
