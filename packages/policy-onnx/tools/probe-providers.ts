// Prints, for each execution provider onnxruntime-node lists, whether a tiny decoder runs on it (used by
// tools/gpu-check.sh). Run from packages/policy-onnx: node --conditions=@research-ts/source --import tsx tools/probe-providers.ts
import { createOnnxPolicy, createRandomModel, listExecutionProviders, tinyConfig } from '@research-ts/policy-onnx';
import type { ExecutionProvider } from '@research-ts/policy-onnx';

const listed = listExecutionProviders();
console.log(
  `onnxruntime-node lists: ${listed.map(({ name, bundled }) => `${name}${bundled ? '' : ' (not bundled)'}`).join(', ')}`,
);
const config = tinyConfig();
const tokenizer = {
  specificationVersion: 'v1' as const,
  vocabSize: config.vocabSize,
  eosTokenIds: [],
  eosToken: undefined,
  padTokenId: undefined,
  encode: () => [],
  decode: (ids: readonly number[]) => ids.join(' '),
  tokenToId: () => undefined,
  idToToken: () => undefined,
  applyChatTemplate: () => '',
};
const working: string[] = [];
for (const provider of ['cpu', 'webgpu', 'cuda'] as ExecutionProvider[]) {
  try {
    const policy = await createOnnxPolicy({
      model: createRandomModel(config, { seed: 1 }),
      tokenizer,
      executionProvider: provider,
    });
    const [result] = await policy.generate([{ inputIds: [1, 2, 3], maxNewTokens: 4, sampling: { temperature: 0 } }]);
    await policy.release();
    console.log(`${provider}: OK (greedy ids ${result!.outputIds.join(' ')})`);
    working.push(provider);
  } catch (error) {
    console.log(`${provider}: UNAVAILABLE — ${String(error).split('\n')[0]}`);
  }
}
console.log(`WORKING_PROVIDERS=${working.join(',')}`);
