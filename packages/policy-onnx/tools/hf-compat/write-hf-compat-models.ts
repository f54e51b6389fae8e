// Writes tiny random model directories with this package (Qwen2 tied + biases, Qwen2 in bf16, Llama untied
// with llama3 RoPE scaling) plus our logprobs/entropies for a fixed batch, for check_transformers.py, which
// loads each directory with Hugging Face transformers and compares. Run from the package directory:
//   node --conditions=@research-ts/source --import tsx tools/hf-compat/write-hf-compat-models.ts OUT_DIR
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createRandomModel,
  DecoderTraining,
  saveModelDirectory,
  tinyConfig,
  type DecoderConfig,
} from '@research-ts/policy-onnx';

const out = process.argv[2] ?? '.hfcheck';
const cases: { name: string; config: DecoderConfig; dtype: 'float32' | 'bfloat16' }[] = [
  {
    name: 'qwen2-tied-f32',
    config: tinyConfig({
      vocabSize: 96,
      hiddenSize: 32,
      numAttentionHeads: 4,
      numKeyValueHeads: 2,
      headDim: 8,
      ropeTheta: 10000,
    }),
    dtype: 'float32',
  },
  {
    name: 'qwen2-tied-bf16',
    config: tinyConfig({
      vocabSize: 96,
      hiddenSize: 32,
      numAttentionHeads: 4,
      numKeyValueHeads: 2,
      headDim: 8,
      ropeTheta: 1e6,
    }),
    dtype: 'bfloat16',
  },
  {
    name: 'llama-untied-f32',
    config: tinyConfig({
      family: 'llama',
      vocabSize: 96,
      hiddenSize: 32,
      numAttentionHeads: 4,
      numKeyValueHeads: 1,
      headDim: 8,
      tieWordEmbeddings: false,
      attentionBias: false,
      ropeTheta: 500000,
      ropeScaling: {
        type: 'llama3',
        factor: 8,
        lowFreqFactor: 1,
        highFreqFactor: 4,
        originalMaxPositionEmbeddings: 64,
      },
    }),
    dtype: 'float32',
  },
];
const batch = 2;
const length = 12;
const inputIds = Int32Array.from({ length: batch * length }, (_, index) => (index * 37 + 11) % 96);
const attentionMask = Uint8Array.from({ length: batch * length }, (_, index) =>
  index >= length && index % length >= 9 ? 0 : 1,
);
for (const { name, config, dtype } of cases) {
  const model = createRandomModel(config, { seed: 31, initStd: 0.2 });
  const directory = join(out, name);
  await saveModelDirectory(directory, model, { dtype, overwrite: true });
  // Score with the weights as they were saved (bf16-rounded for the bf16 case), as transformers will read them.
  const { loadModelDirectory } = await import('@research-ts/policy-onnx');
  const loaded = await loadModelDirectory(directory);
  const training = new DecoderTraining(loaded.config, loaded.parameters);
  const scores = await training.scoreTokens({ inputIds, attentionMask, batch, length });
  await training.release();
  await writeFile(
    join(directory, 'expected.json'),
    JSON.stringify({
      batch,
      seq: length,
      inputIds: [...inputIds],
      attentionMask: [...attentionMask],
      logprobs: [...scores.logprobs],
      entropies: [...scores.entropies],
    }),
  );
  console.log(`wrote ${directory}`);
}
