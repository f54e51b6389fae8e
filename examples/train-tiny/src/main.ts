/**
 * train-tiny: GRPO with the ReSearch loop on the synthetic world, from the packages directly.
 *   npm start -w @research-ts/example-train-tiny -- [steps]
 */
import { generateWorld } from '@research-ts/datasets';
import { createGrpoTrainer, createTrainStep } from '@research-ts/training';
import { createOnnxPolicy, createRandomModel, tinyConfig } from '@research-ts/policy-onnx';
import { createFlexsearchRetriever } from '@research-ts/retriever-flexsearch';
import { buildBpeTokenizer, loadTokenizerFromJson } from '@research-ts/tokenizer';

const world = generateWorld({ seed: 7 }); // a fictional world: passages and 1- to 3-hop questions
const retriever = createFlexsearchRetriever(world.passages);
const texts = world.passages.map((passage) => passage.contents);
const tokenizerJson = buildBpeTokenizer(texts, { vocabSize: 512, tagTokens: true });
const tokenizerConfig = { eos_token: '<|im_end|>', pad_token: '<|endoftext|>' };
const tokenizer = loadTokenizerFromJson({ tokenizerJson, tokenizerConfig });
const model = createRandomModel(tinyConfig({ vocabSize: tokenizer.vocabSize, hiddenSize: 64 }), { seed: 1 });
const parameters = new Map([...model.parameters].map(([name, values]) => [name, values.slice()]));
const policy = await createOnnxPolicy({ model, tokenizer });
const frozen = await createOnnxPolicy({ model: { config: model.config, parameters }, tokenizer });
// An OnnxPolicy is a spec TrainablePolicy: the trainer accumulates gradients in it and asks it to apply each update.
const trainer = createGrpoTrainer({ policy, reference: frozen, optimizer: { lr: 3e-4 }, maxTokensPerMicroBatch: 4096 });
// One step: rollouts through the ReSearch loop → rewards → group advantages → loss → one AdamW update.
const trainStep = createTrainStep({
  policy,
  trainer,
  retriever,
  tokenizer,
  template: 'base',
  groupSize: 4,
  responseBudget: 48,
  topK: 1,
});

const steps = Number(process.argv[2] ?? 3);
for (let step = 0; step < steps; step += 1) {
  const questions = world.questions.train.slice(step * 2, step * 2 + 2); // 2 prompts × 4 samples per step
  const { scores, update } = await trainStep({ questions, seed: step });
  const reward = scores.reduce((sum, score) => sum + score.reward, 0) / scores.length;
  const m = update.metrics;
  const losses = `loss ${m.loss.toFixed(4)} kl ${m.klLoss?.toExponential(2)} entropy ${m.entropy.toFixed(3)}`;
  const outcome = update.skipped ? `skipped (${update.reason})` : `${losses} grad ${m.gradNorm.toFixed(3)}`;
  console.log(`step ${step + 1}: reward ${reward.toFixed(3)}`, outcome);
}
await Promise.all([policy.release(), frozen.release()]);
