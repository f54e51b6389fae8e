/**
 * external-engine: GRPO whose rollouts come from a vLLM server, the LoRA adapter synced to it after every step.
 *   npm start -w @research-ts/example-external-engine -- <modelDirectory> <baseURL> <servedModel> <localRoot> [steps]
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createOnnxPolicy, type OnnxPolicy } from '@research-ts/policy-onnx';
import { createOpenAICompletionsPolicy, createWeightSync, rolloutStaleness } from '@research-ts/policy-openai';
import { createFlexsearchRetriever } from '@research-ts/retriever-flexsearch';
import { createGrpoTrainer, createTrainStep } from '@research-ts/training';

export interface ServerRun {
  policy: OnnxPolicy; // the local copy: old logprobs and the update (with LoRA adapters)
  baseURL: string; // the server's /v1 root
  model: string; // the base model's served name
  localRoot: string; // where adapters are written; the server reads the same paths
  steps: number;
}

const retriever = createFlexsearchRetriever([{ id: 'p1', contents: '"France"\nParis is the capital of France.' }]);
const questions = [{ question: 'What is the capital of France?', goldenAnswers: ['Paris'] }];

export async function trainAgainstServer({ policy, baseURL, model, localRoot, steps }: ServerRun) {
  const write = (directory: string) => policy.saveAdapter(directory, { overwrite: true }).then(() => undefined);
  const weightSync = createWeightSync({ kind: 'vllm-lora', baseURL, localRoot, write });
  const server = createOpenAICompletionsPolicy({ baseURL, model, logprobs: true, weightSync });
  // old logprobs from the local policy, corrected for the sampler's by truncated importance weights (token-tis)
  const rolloutCorrection = { mode: 'token-tis' as const };
  const training = { lossOptions: { klCoefficient: 0 }, rolloutCorrection, maxTokensPerMicroBatch: 4096 };
  const trainer = createGrpoTrainer({ policy, optimizer: { lr: 1e-3 }, ...training });
  const { tokenizer } = policy;
  const options = { retriever, tokenizer, template: 'compact' as const, groupSize: 4, responseBudget: 64, topK: 1 };
  const trainStep = createTrainStep({ policy, rolloutPolicy: server, trainer, ...options });
  const records = [];
  for (let step = 1; step <= steps; step++) {
    const { scores, update, weightVersions = [] } = await trainStep({ questions, seed: step });
    // rollouts ran on version step − 1 (the weights just trained from); publish the update as version `step`
    const sync = await weightSync.sync({ version: step, localDirectory: join(localRoot, `v${step}`) });
    const staleness = rolloutStaleness(step - 1, weightVersions).max;
    const reward = scores.reduce((sum, score) => sum + score.reward, 0) / scores.length;
    const correction = update.metrics.rolloutCorrection?.verl ?? {};
    const { skipped } = update;
    records.push({ step, reward, skipped, weightVersion: weightVersions[0], staleness, sync, correction });
    console.log(`step ${step}: reward ${reward.toFixed(3)} staleness ${staleness} synced v${sync.version}`);
  }
  return records;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [modelDirectory, baseURL, model, localRoot, steps = '2'] = process.argv.slice(2);
  const lora = { rank: 16, alpha: 32, targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] as const };
  const policy = await createOnnxPolicy({
    modelDirectory: modelDirectory!,
    lora: { ...lora, targets: [...lora.targets] },
  });
  await trainAgainstServer({ policy, baseURL: baseURL!, model: model!, localRoot: localRoot!, steps: Number(steps) });
  await policy.release();
}
