// Writes the tiny Qwen2 model directory that tools/reference/qwen2_reference.py reads (run from the
// package directory: node --conditions=@research-ts/source --import tsx tools/reference/write-reference-model.ts).
// Norm weights and biases are perturbed away from 1 and 0 so that every parameter matters.
import { createRandomModel, deriveSeed, SeededRandom, saveModelDirectory, tinyConfig } from '@research-ts/policy-onnx';

export const referenceConfig = tinyConfig({
  vocabSize: 48,
  hiddenSize: 16,
  intermediateSize: 32,
  numAttentionHeads: 4,
  numKeyValueHeads: 2,
  headDim: 4,
  ropeTheta: 10000,
});

const model = createRandomModel(referenceConfig, { seed: 2024, initStd: 0.3 });
for (const [name, values] of model.parameters) {
  if (!name.endsWith('norm.weight') && !name.endsWith('.bias')) continue;
  const noise = new SeededRandom(deriveSeed(7, name)).fillNormal(new Float32Array(values.length), 0.2);
  for (let index = 0; index < values.length; index++) values[index] = values[index]! + noise[index]!;
}
await saveModelDirectory('src/__fixtures__/tiny-qwen2-reference', model, { overwrite: true });
console.log('wrote src/__fixtures__/tiny-qwen2-reference');
