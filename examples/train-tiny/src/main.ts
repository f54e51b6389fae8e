/**
 * train-tiny: GRPO with the ReSearch loop on the synthetic world, from the packages directly.
 *   npm start -w @research-ts/example-train-tiny -- [steps]
 */
import { generateWorld } from '@research-ts/datasets';
import { scoreRollout } from '@research-ts/evaluators';
import { createGrpoTrainer } from '@research-ts/training';
import { createOnnxPolicy, createRandomModel, tinyConfig } from '@research-ts/policy-onnx';
import { createFlexsearchRetriever } from '@research-ts/retriever-flexsearch';
import { rollout } from '@research-ts/rollout';
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
const perStep = { policy, retriever, tokenizer, template: 'base' as const, samplesPerPrompt: 4, responseBudget: 48 };

const steps = Number(process.argv[2] ?? 3);
for (let step = 0; step < steps; step += 1) {
  const questions = world.questions.train.slice(step * 2, step * 2 + 2); // 2 prompts × 4 samples per step
  const samples = await rollout({
    ...perStep,
    questions: questions.map((question) => question.question),
    sampling: { temperature: 1, seed: step },
  });
  const scored = samples.map(({ trajectory, promptIndex }) => {
    const { reward } = scoreRollout(trajectory, questions[promptIndex]!.goldenAnswers, tokenizer);
    return { trajectory, groupId: promptIndex, reward };
  });
  const result = await trainer.step(scored);
  const reward = scored.reduce((sum, sample) => sum + sample.reward, 0) / scored.length;
  const m = result.metrics;
  const losses = `loss ${m.loss.toFixed(4)} kl ${m.klLoss?.toExponential(2)} entropy ${m.entropy.toFixed(3)}`;
  const outcome = result.skipped ? `skipped (${result.reason})` : `${losses} grad ${m.gradNorm.toFixed(3)}`;
  console.log(`step ${step + 1}: reward ${reward.toFixed(3)}`, outcome);
}
await Promise.all([policy.release(), frozen.release()]);
