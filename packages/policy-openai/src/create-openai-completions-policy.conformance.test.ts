import { runPolicyConformance } from '@research-ts/testing';
import { afterAll } from 'vitest';
import {
  answerTurn,
  searchTurn,
  startFakeCompletionsServer,
  type FakeCompletionsServer,
  type FakeServerOptions,
} from './__fixtures__/fake-completions-server';
import { createTestTokenizer } from './__fixtures__/test-tokenizer';
import { createOpenAICompletionsPolicy, type OpenAICompletionsPolicyOptions } from './create-openai-completions-policy';

// The fake servers' model: greedy, it writes `searchTurn` (ends at "</search>", longer than 16 tokens)
// unless the prompt holds a "<result>", then `answerTurn` (ends with <|im_end|>); at temperature 1 one
// of three answers chosen by the seed.
const tokenizer = createTestTokenizer();
const eosRequest = {
  inputIds: tokenizer.encode(`Question?\n${searchTurn} <result>\nParis\n</result>`),
  maxNewTokens: answerTurn.length + 10,
  sampling: { temperature: 0 },
};
const servers: FakeCompletionsServer[] = [];
afterAll(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

function conformance(
  name: string,
  serverOptions: Omit<FakeServerOptions, 'tokenizer'>,
  policyOptions: Partial<OpenAICompletionsPolicyOptions>,
): void {
  runPolicyConformance({
    name,
    tokenizer,
    eosRequest,
    createPolicy: async () => {
      const server = await startFakeCompletionsServer({ tokenizer, answerDelayMs: 0, ...serverOptions });
      servers.push(server);
      return createOpenAICompletionsPolicy({ baseURL: server.baseURL, model: 'fake', maxRetries: 0, ...policyOptions });
    },
  });
}

conformance('openai-completions against a fake vLLM', { flavor: 'vllm' }, {});
conformance(
  'openai-completions against a fake vLLM without return_token_ids (ids from token_id:N)',
  { flavor: 'vllm', supportsReturnTokenIds: false },
  { logprobs: true },
);
conformance('openai-completions against a fake SGLang', { flavor: 'sglang' }, { server: 'sglang' });
conformance(
  'openai-completions against a fake SGLang that strips stop strings and returns no ids (tokenizer re-encodes)',
  { flavor: 'sglang', honoursNoStopTrim: false, supportsReturnTokenIds: false },
  { server: 'sglang', tokenizer },
);
