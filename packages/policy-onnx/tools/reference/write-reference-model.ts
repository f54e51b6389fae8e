// Writes the tiny model directories that tools/reference/qwen2_reference.py reads (run from the package directory:
// node --conditions=@research-ts/source --import tsx tools/reference/write-reference-model.ts [qwen2|qwen3|llama3]).
// Norm weights and biases are perturbed away from 1 and 0 so that every parameter matters.
import {
  createRandomModel,
  deriveSeed,
  SeededRandom,
  saveModelDirectory,
  tinyConfig,
  type DecoderConfig,
} from '@research-ts/policy-onnx';

const shapes = { vocabSize: 48, hiddenSize: 16, intermediateSize: 32, numAttentionHeads: 4, numKeyValueHeads: 2 };

/** The reference configs: Qwen2 (q/k/v biases, tied); Qwen3 (q/k norms, head_dim 8 ≠ 16 / 4, attention_bias on q/k/v/o,
 * tied); Llama 3 (no biases, untied, rope_theta 500000 with llama3 scaling whose three bands all hold a frequency). */
export const referenceConfigs: Record<string, DecoderConfig> = {
  qwen2: tinyConfig({ ...shapes, headDim: 4, ropeTheta: 10000 }),
  qwen3: tinyConfig({
    ...shapes,
    family: 'qwen3',
    headDim: 8,
    ropeTheta: 1_000_000,
    attentionBias: true,
    attentionOutputBias: true,
  }),
  llama3: tinyConfig({
    ...shapes,
    family: 'llama',
    headDim: 8,
    tieWordEmbeddings: false,
    ropeTheta: 500_000,
    ropeScaling: { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 256 },
    eosTokenId: [2, 3],
  }),
};

const family = process.argv[2] ?? 'qwen2';
const config = referenceConfigs[family];
if (config === undefined)
  throw new Error(`unknown reference family ${family}: ${Object.keys(referenceConfigs).join(', ')}`);
const model = createRandomModel(config, { seed: 2024, initStd: 0.3 });
for (const [name, values] of model.parameters) {
  if (!name.endsWith('norm.weight') && !name.endsWith('.bias')) continue;
  const noise = new SeededRandom(deriveSeed(7, name)).fillNormal(new Float32Array(values.length), 0.2);
  for (let index = 0; index < values.length; index++) values[index] = values[index]! + noise[index]!;
}
const directory = `src/__fixtures__/tiny-${family}-reference`;
await saveModelDirectory(directory, model, { overwrite: true });
console.log('wrote', directory);
