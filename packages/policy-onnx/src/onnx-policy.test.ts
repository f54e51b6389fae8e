import { InvalidInputError, UnsupportedError } from '@research-ts/spec';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tinyPromptTexts, tinyWordModel, tinyWordTokenizer } from './__fixtures__/tiny-word-model';
import { tokenBatchOf } from './__fixtures__/token-batch-of';
import { listExecutionProviders } from './backend/onnxruntime';
import { loadModelDirectory } from './model/model-directory';
import { createOnnxPolicy } from './onnx-policy';

const tokenizer = tinyWordTokenizer();
const policy = await createOnnxPolicy({ model: tinyWordModel(tokenizer), tokenizer, threads: 1 });
afterAll(() => policy.release());
const prompts = tinyPromptTexts.map((text) => tokenizer.encode(text, { addSpecialTokens: false }));
const greedy = { temperature: 0 } as const;

describe('createOnnxPolicy: generation', () => {
  it('greedy logprobs from the KV-cache graphs agree with the training graph to 1e-4', async () => {
    const [result] = await policy.generate([
      { inputIds: prompts[0]!, maxNewTokens: 10, sampling: greedy, logprobs: true },
    ]);
    const ids = [...prompts[0]!, ...result!.outputIds];
    const { logprobs } = await policy.scoreTokens(tokenBatchOf([ids]));
    const fromTraining = Array.from(logprobs.slice(prompts[0]!.length - 1));
    expect(result!.logprobs).toHaveLength(result!.outputIds.length);
    result!.logprobs!.forEach((value, index) =>
      expect(Math.abs(value - fromTraining[index]!), `token ${index}`).toBeLessThan(1e-4),
    );
  });

  it("long batched decoding (the cache grows past its capacity twice, a row leaves midway) keeps the training graph's logprobs (1e-4)", async () => {
    // without an end-of-sequence id, so that both rows run to their maxNewTokens
    const noEos = Object.create(tokenizer, { eosTokenIds: { value: [] } }) as typeof tokenizer;
    const endless = await createOnnxPolicy({ model: tinyWordModel(tokenizer), tokenizer: noEos, threads: 1 });
    afterAll(() => endless.release());
    const requests = [
      { inputIds: prompts[0]!, maxNewTokens: 60, sampling: greedy, stopTokenIds: [], logprobs: true },
      {
        inputIds: prompts[2]!.slice(0, 3),
        maxNewTokens: 30,
        sampling: { temperature: 1, seed: 5 },
        stopTokenIds: [],
        logprobs: true,
      },
    ];
    const results = await endless.generate(requests);
    for (const [index, request] of requests.entries()) {
      const result = results[index]!;
      expect(result.outputIds).toHaveLength(request.maxNewTokens);
      const ids = [...request.inputIds, ...result.outputIds];
      const { logprobs } = await policy.scoreTokens(tokenBatchOf([ids]));
      const expected = Array.from(logprobs.slice(request.inputIds.length - 1));
      result.logprobs!.forEach((value, position) =>
        expect(Math.abs(value - expected[position]!), `request ${index} token ${position}`).toBeLessThan(1e-4),
      );
    }
  });

  it('a continuation that extends an earlier context reuses its KV cache and matches a fresh recompute', async () => {
    policy.clearCache();
    const before = { ...policy.statistics };
    const [first] = await policy.generate([
      { inputIds: prompts[2]!, maxNewTokens: 4, sampling: greedy, stopTokenIds: [] },
    ]);
    expect(policy.statistics.prefilledTokens - before.prefilledTokens).toBe(prompts[2]!.length);
    // a multi-turn rollout appends a <result> block and continues
    const inserted = tokenizer.encode('<result> the author is Ada </result>', { addSpecialTokens: false });
    const context = [...prompts[2]!, ...first!.outputIds, ...inserted];
    const middle = { ...policy.statistics };
    const [continued] = await policy.generate([{ inputIds: context, maxNewTokens: 6, sampling: greedy }]);
    const reused = policy.statistics.reusedTokens - middle.reusedTokens;
    // everything up to the last generated token was cached; that token and the inserted ids are new
    expect(reused).toBe(prompts[2]!.length + first!.outputIds.length - 1);
    expect(policy.statistics.prefilledTokens - middle.prefilledTokens).toBe(context.length - reused);
    policy.clearCache();
    const [fresh] = await policy.generate([{ inputIds: context, maxNewTokens: 6, sampling: greedy }]);
    expect(policy.statistics.reusedTokens).toBe(middle.reusedTokens + reused);
    expect(fresh!.outputIds).toEqual(continued!.outputIds);
  });

  it('identical prompts in one batch prefill once (a GRPO group) and sample independently by seed', async () => {
    policy.clearCache();
    const before = { ...policy.statistics };
    const requests = [11, 12, 13, 14].map((seed) => ({
      inputIds: prompts[0]!,
      maxNewTokens: 6,
      sampling: { temperature: 1, seed },
    }));
    const results = await policy.generate(requests);
    // the prompt is computed once; the three copies take its logits and cache
    expect(policy.statistics.prefilledTokens - before.prefilledTokens).toBe(prompts[0]!.length);
    expect(policy.statistics.reusedTokens - before.reusedTokens).toBe(3 * prompts[0]!.length);
    expect(new Set(results.map((result) => result.outputIds.join(','))).size).toBeGreaterThan(1);
    const [alone] = await policy.generate([requests[2]!]);
    expect(alone!.outputIds).toEqual(results[2]!.outputIds); // same seed, different batch company
  });

  it('a GRPO-shaped batch whose rows finish at different steps (kept until a quarter is done, then compacted in place) samples what each request does alone', async () => {
    const noEos = Object.create(tokenizer, { eosTokenIds: { value: [] } }) as typeof tokenizer;
    const fresh = () => createOnnxPolicy({ model: tinyWordModel(tokenizer), tokenizer: noEos, threads: 1 });
    const batched = await fresh();
    const single = await fresh();
    afterAll(() => Promise.all([batched.release(), single.release()]));
    // two groups of 5 identical prompts, every row with its own seed and length (1 to 14 new tokens)
    const requests = Array.from({ length: 10 }, (_, index) => ({
      inputIds: prompts[index < 5 ? 0 : 1]!,
      maxNewTokens: 1 + ((index * 7) % 14),
      sampling: { temperature: 1, seed: 100 + index },
      stopTokenIds: [],
      logprobs: true,
    }));
    const results = await batched.generate(requests);
    // only the unfinished rows count as decoded tokens: every token after the first comes from a decode step
    const decoded = requests.reduce((sum, request) => sum + request.maxNewTokens - 1, 0);
    expect(batched.statistics.decodedTokens).toBe(decoded);
    for (const [index, request] of requests.entries()) {
      single.clearCache();
      const [alone] = await single.generate([request]);
      expect(results[index]!.outputIds, `request ${index}`).toEqual(alone!.outputIds);
      results[index]!.logprobs!.forEach((value, position) =>
        expect(Math.abs(value - alone!.logprobs![position]!), `request ${index} token ${position}`).toBeLessThan(1e-5),
      );
    }
  });

  it('batched prefill (mixed lengths, pooled prefixes, duplicates, pieces of 5 tokens) generates what each context does alone', async () => {
    const chunked = await createOnnxPolicy({
      model: tinyWordModel(tokenizer),
      tokenizer,
      threads: 1,
      prefillChunkTokens: 5,
    });
    try {
      const [first] = await chunked.generate([
        { inputIds: prompts[1]!, maxNewTokens: 3, sampling: greedy, stopTokenIds: [] },
      ]);
      const extended = [
        ...prompts[1]!,
        ...first!.outputIds,
        ...tokenizer.encode('<result> Ada </result>', { addSpecialTokens: false }),
      ];
      const contexts = [prompts[0]!, extended, prompts[2]!, prompts[0]!, prompts[1]!.slice(0, 2), extended];
      const requests = contexts.map((inputIds, index) => ({
        inputIds,
        maxNewTokens: 5,
        sampling: { temperature: 1, seed: 40 + index },
        logprobs: true,
      }));
      const before = { ...chunked.statistics };
      const together = await chunked.generate(requests);
      // distinct contexts: prompts[0], extended (all but the pooled prefix), prompts[2], the 2-token prefix (1 new token)
      const pooled = prompts[1]!.length + first!.outputIds.length - 1;
      expect(chunked.statistics.prefilledTokens - before.prefilledTokens).toBe(
        prompts[0]!.length + (extended.length - pooled) + prompts[2]!.length + 1,
      );
      for (const [index, request] of requests.entries()) {
        chunked.clearCache();
        const [alone] = await policy.generate([request]);
        expect(together[index]!.outputIds, `request ${index}`).toEqual(alone!.outputIds);
        together[index]!.logprobs!.forEach((value, position) =>
          expect(Math.abs(value - alone!.logprobs![position]!), `request ${index} token ${position}`).toBeLessThan(
            1e-4,
          ),
        );
      }
    } finally {
      await chunked.release();
    }
  });

  it('a stop string split across two tokens stops at the token that completes it; nothing after it is kept', async () => {
    const [baseline] = await policy.generate([
      { inputIds: prompts[0]!, maxNewTokens: 16, sampling: greedy, stopTokenIds: [] },
    ]);
    const ids = baseline!.outputIds;
    // stop = last character of token j-1's text + the space + the first 2 characters of token j
    let chosen: { stop: string; count: number } | undefined;
    for (let j = 2; j < ids.length && chosen === undefined; j++) {
      const previous = tokenizer.decode(ids.slice(0, j));
      const word = tokenizer.decode([ids[j]!]);
      if (word.length < 3) continue;
      const stop = `${previous.slice(-1)} ${word.slice(0, 2)}`;
      if (`${previous} ${word}`.indexOf(stop) === previous.length - 1) chosen = { stop, count: j + 1 };
    }
    expect(chosen, `no usable token pair in ${JSON.stringify(baseline!.text)}`).toBeDefined();
    const streamed: string[] = [];
    const [result] = await policy.generate(
      [
        {
          inputIds: prompts[0]!,
          maxNewTokens: 16,
          sampling: greedy,
          stopTokenIds: [],
          stopStrings: ['never', chosen!.stop],
        },
      ],
      {
        onText: (_index, delta) => streamed.push(delta),
      },
    );
    expect(result!.finishReason).toBe('stop-string');
    expect(result!.stopString).toBe(chosen!.stop);
    expect(result!.outputIds).toEqual(ids.slice(0, chosen!.count));
    expect(result!.text.endsWith(chosen!.stop)).toBe(true);
    expect(tokenizer.decode(result!.outputIds).startsWith(result!.text)).toBe(true);
    expect(tokenizer.decode(result!.outputIds).length).toBeGreaterThan(result!.text.length); // the rest of the word is cut
    expect(streamed.join('')).toBe(result!.text);
  });

  it('maxNewTokens 0 returns an empty result; top-k 1 and a tiny top-p equal greedy', async () => {
    const [empty] = await policy.generate([{ inputIds: prompts[1]!, maxNewTokens: 0, logprobs: true }]);
    expect(empty).toEqual({ outputIds: [], text: '', finishReason: 'length', idsExact: true, logprobs: [] });
    const [base] = await policy.generate([{ inputIds: prompts[0]!, maxNewTokens: 8, sampling: greedy }]);
    const [topK] = await policy.generate([
      { inputIds: prompts[0]!, maxNewTokens: 8, sampling: { temperature: 1, topK: 1, seed: 5 } },
    ]);
    const [topP] = await policy.generate([
      { inputIds: prompts[0]!, maxNewTokens: 8, sampling: { temperature: 0.7, topP: 1e-6, seed: 6 } },
    ]);
    expect(topK!.outputIds).toEqual(base!.outputIds);
    expect(topP!.outputIds).toEqual(base!.outputIds);
  });

  it('rejects bad requests with errors naming the request and field, and aborts mid-generation', async () => {
    await expect(policy.generate([{ inputIds: [], maxNewTokens: 1 }])).rejects.toThrow(
      'requests[0], field "inputIds": must be a non-empty array',
    );
    await expect(
      policy.generate([
        { inputIds: [1], maxNewTokens: 1 },
        { inputIds: [tokenizer.vocabSize], maxNewTokens: 1 },
      ]),
    ).rejects.toThrow(/requests\[1\].*inputIds.*outside the vocabulary/);
    await expect(policy.generate([{ inputIds: [1], maxNewTokens: 1.5 }])).rejects.toThrow(InvalidInputError);
    await expect(policy.generate([{ inputIds: [1], maxNewTokens: 2, sampling: { topP: 0 } }])).rejects.toThrow(/topP/);
    const controller = new AbortController();
    const pending = policy.generate([{ inputIds: prompts[0]!, maxNewTokens: 50, sampling: greedy, stopTokenIds: [] }], {
      signal: controller.signal,
      onText: () => controller.abort(new Error('stop now')),
    });
    await expect(pending).rejects.toThrow('stop now');
  });
});

describe('createOnnxPolicy: options, providers, model directories', () => {
  it('saves a directory that loads back bit-exact, and a policy created from it generates the same', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'onnx-policy-'));
    try {
      const directory = join(parent, 'model');
      await policy.save(directory, {
        tokenizerFiles: {
          'tokenizer.json': JSON.stringify((await import('@research-ts/tokenizer')).buildWordLevelTokenizer([''])),
        },
      });
      const loaded = await loadModelDirectory(directory);
      for (const [name, values] of policy.parameters)
        expect(Buffer.from(loaded.parameters.get(name)!.buffer).equals(Buffer.from(values.buffer)), name).toBe(true);
      const again = await createOnnxPolicy({ modelDirectory: directory, tokenizer, threads: 1 });
      const request = { inputIds: prompts[0]!, maxNewTokens: 5, sampling: greedy };
      expect((await again.generate([request]))[0]!.outputIds).toEqual((await policy.generate([request]))[0]!.outputIds);
      await again.release();
      expect(JSON.parse(await readFile(join(directory, 'config.json'), 'utf8')).vocab_size).toBe(tokenizer.vocabSize);
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });

  it('bad model directories and options give errors naming the file and field', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'onnx-policy-bad-'));
    try {
      await expect(createOnnxPolicy({ modelDirectory: parent, tokenizer })).rejects.toThrow(
        `${join(parent, 'config.json')}`,
      );
      const directory = join(parent, 'no-tokenizer');
      await policy.save(directory);
      await expect(createOnnxPolicy({ modelDirectory: directory })).rejects.toThrow(
        `${directory}, field "tokenizer": has no tokenizer.json; pass a tokenizer`,
      );
      await expect(createOnnxPolicy({ tokenizer } as never)).rejects.toThrow(
        'give exactly one of model and modelDirectory',
      );
      await expect(
        createOnnxPolicy({ model: tinyWordModel(tokenizer), tokenizer, prefillChunkTokens: 0 }),
      ).rejects.toThrow('prefillChunkTokens');
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });

  it("inferenceWeights 'initializers' generates as 'inputs' does, and clearCache() picks up new parameters", async () => {
    const model = tinyWordModel(tokenizer);
    const baked = await createOnnxPolicy({ model, tokenizer, threads: 1, inferenceWeights: 'initializers' });
    try {
      const request = { inputIds: prompts[2]!, maxNewTokens: 8, sampling: greedy, logprobs: true, stopTokenIds: [] };
      const [fromInitializers] = await baked.generate([request]);
      const [fromInputs] = await policy.generate([request]);
      expect(fromInitializers!.outputIds).toEqual(fromInputs!.outputIds);
      fromInitializers!.logprobs!.forEach((value, index) =>
        expect(Math.abs(value - fromInputs!.logprobs![index]!)).toBeLessThan(1e-5),
      );
      // an optimizer step in place: scale the final norm; the cached session and prefixes must go
      baked.parameters.get('model.norm.weight')!.fill(3);
      baked.clearCache();
      const [after] = await baked.generate([request]);
      const fresh = await createOnnxPolicy({
        model: { config: model.config, parameters: baked.parameters },
        tokenizer,
        threads: 1,
      });
      const [expected] = await fresh.generate([request]);
      await fresh.release();
      expect(after!.outputIds).toEqual(expected!.outputIds);
      after!.logprobs!.forEach((value, index) =>
        expect(Math.abs(value - expected!.logprobs![index]!)).toBeLessThan(1e-5),
      );
      expect(after!.logprobs).not.toEqual(fromInitializers!.logprobs);
    } finally {
      await baked.release();
    }
  });

  it('fusedOps false (plain RMSNorm/RoPE ops) generates the ids of the fused default, logprobs within 1e-4, over pooled and fresh contexts', async () => {
    const plain = await createOnnxPolicy({ model: tinyWordModel(tokenizer), tokenizer, threads: 1, fusedOps: false });
    const fused = await createOnnxPolicy({ model: tinyWordModel(tokenizer), tokenizer, threads: 1 });
    try {
      const requests = [prompts[0]!, prompts[1]!, prompts[0]!.slice(0, 4)].map((inputIds) => ({
        inputIds,
        maxNewTokens: 10,
        sampling: greedy,
        logprobs: true,
        stopTokenIds: [],
      }));
      for (let call = 0; call < 2; call++) {
        // the second call reuses the first call's caches from each policy's pool
        const fromPlain = await plain.generate(requests);
        const fromFused = await fused.generate(requests);
        fromPlain.forEach((result, row) => {
          expect(result.outputIds, `row ${row}`).toEqual(fromFused[row]!.outputIds);
          result.logprobs!.forEach((value, index) =>
            expect(Math.abs(value - fromFused[row]!.logprobs![index]!)).toBeLessThan(1e-4),
          );
        });
        // the kernels round differently: bit-equal logprobs would mean the option built the same graph
        expect(fromPlain.map((result) => result.logprobs)).not.toEqual(fromFused.map((result) => result.logprobs));
      }
      expect(plain.statistics.reusedTokens).toBeGreaterThan(0);
    } finally {
      await plain.release();
      await fused.release();
    }
  });

  it('a provider this installation lacks is an UnsupportedError naming it', async () => {
    const names = listExecutionProviders().map(({ name }) => name);
    expect(names).toContain('cpu');
    if (process.env.RESEARCH_TS_GPU === '1') return; // on a GPU machine cuda may load
    const failure = await createOnnxPolicy({
      model: tinyWordModel(tokenizer),
      tokenizer,
      executionProvider: 'cuda',
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UnsupportedError);
    expect(String(failure)).toMatch(/cuda/);
  });
});
