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
const tokenizer = loadTokenizerFromJson({
  tokenizerJson: buildBpeTokenizer(
    world.passages.map((passage) => passage.contents),
    { vocabSize: 512, tagTokens: true },
  ),
  tokenizerConfig: { eos_token: '<|im_end|>', pad_token: '<|endoftext|>' },
});
const model = createRandomModel(tinyConfig({ vocabSize: tokenizer.vocabSize, hiddenSize: 64 }), { seed: 1 });
const copy = {
  config: model.config,
  parameters: new Map([...model.parameters].map(([name, values]) => [name, values.slice()])),
};
const [policy, frozen] = await Promise.all([
  createOnnxPolicy({ model, tokenizer }),
  createOnnxPolicy({ model: copy, tokenizer }),
]);
// An OnnxPolicy is a spec TrainablePolicy: the trainer accumulates gradients in it and asks it to apply each update.
const trainer = createGrpoTrainer({ policy, reference: frozen, optimizer: { lr: 3e-4 }, maxTokensPerMicroBatch: 4096 });

const steps = Number(process.argv[2] ?? 3);
for (let step = 0; step < steps; step += 1) {
  const questions = world.questions.train.slice(step * 2, step * 2 + 2); // 2 prompts × 4 samples per step
  const samples = await rollout({
    policy,
    retriever,
    tokenizer,
    questions: questions.map((q) => q.question),
    template: 'base',
    samplesPerPrompt: 4,
    responseBudget: 48,
    sampling: { temperature: 1, seed: step },
  });
  const scored = samples.map(({ trajectory, promptIndex }) => ({
    trajectory,
    groupId: promptIndex,
    reward: scoreRollout(trajectory, questions[promptIndex]!.goldenAnswers, tokenizer).reward,
  }));
  const result = await trainer.step(scored);
  const reward = scored.reduce((sum, sample) => sum + sample.reward, 0) / scored.length;
  console.log(
    `step ${step + 1}: reward ${reward.toFixed(3)}`,
    result.skipped
      ? `skipped (${result.reason})`
      : `loss ${result.metrics.loss.toFixed(4)} kl ${result.metrics.klLoss?.toExponential(2)} entropy ${result.metrics.entropy.toFixed(3)} grad ${result.metrics.gradNorm.toFixed(3)}`,
  );
}
await Promise.all([policy.release(), frozen.release()]);
