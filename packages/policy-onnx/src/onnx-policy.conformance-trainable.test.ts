import { runTrainablePolicyConformance } from '@research-ts/testing';
import { tinyWordModel, tinyWordTokenizer } from './__fixtures__/tiny-word-model';
import { createOnnxPolicy, type OnnxPolicy } from './onnx-policy';

const tokenizer = tinyWordTokenizer();

runTrainablePolicyConformance({
  name: 'createOnnxPolicy (tiny random Qwen2, word-level tokenizer, cpu)',
  createPolicy: () => createOnnxPolicy({ model: tinyWordModel(tokenizer), tokenizer, threads: 1 }),
  disposePolicy: (policy) => (policy as OnnxPolicy).release(),
  vocabSize: tokenizer.vocabSize,
});
