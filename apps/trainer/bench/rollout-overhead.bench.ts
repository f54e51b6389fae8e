/**
 * Share of ReSearch rollout wall time spent outside the policy (tag parsing, masks, result insertion,
 * tokenization, retrieval) for a tiny ONNX policy that emits the tag format: the demo's warmed-up model
 * (run `npm run demo` first, or pass a model directory), over the demo's world and BM25 index.
 *   node --conditions=@research-ts/source --import tsx bench/rollout-overhead.bench.ts [modelDir] [indexDir] [worldDir]
 */
import { join } from 'node:path';
import { readQuestionsJsonl } from '@research-ts/datasets';
import { createOnnxPolicy } from '@research-ts/policy-onnx';
import { loadFlexsearchRetriever } from '@research-ts/retriever-flexsearch';
import { buildPromptIds, rollout } from '@research-ts/rollout';
import type { GenerateOptions, GenerateRequest, Policy } from '@research-ts/spec';
import { loadTokenizer } from '@research-ts/tokenizer';

const demo = join(process.cwd(), '..', '..', 'runs', 'demo');
const modelDirectory = process.argv[2] ?? join(demo, 'run', 'warmup-model');
const indexDirectory = process.argv[3] ?? join(demo, 'index');
const worldDirectory = process.argv[4] ?? join(demo, 'world');

const tokenizer = await loadTokenizer(modelDirectory);
const onnx = await createOnnxPolicy({ modelDirectory, tokenizer });
const retriever = await loadFlexsearchRetriever(indexDirectory);
const questions = (await readQuestionsJsonl(join(worldDirectory, 'train.jsonl')).toArray()).slice(0, 32);
let insidePolicyMs = 0;
let insideRetrieverMs = 0;
const timedPolicy: Policy = {
  specificationVersion: 'v1',
  name: onnx.name,
  async generate(requests: readonly GenerateRequest[], options?: GenerateOptions) {
    const start = performance.now();
    try {
      return await onnx.generate(requests, options);
    } finally {
      insidePolicyMs += performance.now() - start;
    }
  },
};
const timedRetriever = {
  ...retriever,
  specificationVersion: 'v1' as const,
  name: retriever.name,
  async search(queries: readonly string[], k: number) {
    const start = performance.now();
    try {
      return await retriever.search(queries, k);
    } finally {
      insideRetrieverMs += performance.now() - start;
    }
  },
};
const prompts = questions.map((question) => buildPromptIds(tokenizer, question.question, 'compact'));
for (const round of ['warm-up', 'measured'] as const) {
  insidePolicyMs = 0;
  insideRetrieverMs = 0;
  const start = performance.now();
  const samples = await rollout({
    policy: timedPolicy,
    retriever: timedRetriever,
    tokenizer,
    prompts,
    samplesPerPrompt: 5,
    responseBudget: 256,
    topK: 5,
    sampling: { temperature: 1, seed: 1 },
  });
  const totalMs = performance.now() - start;
  if (round === 'warm-up') continue;
  const tokens = samples.reduce(
    (sum, sample) => sum + sample.trajectory.lossMask.reduce((count, bit) => count + bit, 0),
    0,
  );
  const searches = samples.reduce((sum, sample) => sum + sample.trajectory.searches.length, 0);
  const outside = totalMs - insidePolicyMs;
  console.log(
    `${samples.length} rollouts, ${tokens} generated tokens, ${searches} searches, wall ${totalMs.toFixed(0)} ms`,
  );
  console.log(
    `inside policy.generate: ${insidePolicyMs.toFixed(0)} ms (${((tokens / insidePolicyMs) * 1000).toFixed(0)} tokens/s)`,
  );
  console.log(
    `outside the policy: ${outside.toFixed(0)} ms = ${((100 * outside) / totalMs).toFixed(2)} % of wall time (retrieval ${insideRetrieverMs.toFixed(0)} ms)`,
  );
}
await onnx.release();
