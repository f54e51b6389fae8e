// Times a two-turn rollout of 80 sequences (16 prompts × 5) with the demo's tiny shape: 30 new tokens, 25
// inserted tokens, 30 more (median of 5). Used for the before/after pairs in BENCHMARKS.md (run it on each commit).
//   node --conditions=@research-ts/source --import tsx bench/two-turn-rollout.ts
import { createOnnxPolicy, createRandomModel, tinyConfig } from '../src/index';
const config = tinyConfig({
  hiddenSize: 128,
  intermediateSize: 256,
  numHiddenLayers: 2,
  numAttentionHeads: 4,
  numKeyValueHeads: 4,
  headDim: 32,
  maxPositionEmbeddings: 512,
  vocabSize: 220,
});
const tok: any = {
  specificationVersion: 'v1',
  vocabSize: 220,
  eosTokenIds: [],
  encode: (t: string) => t.split(' ').map(Number),
  decode: (ids: number[]) => ids.join(' '),
  tokenToId: () => undefined,
  idToToken: () => undefined,
  applyChatTemplate: () => '',
};
const policy = await createOnnxPolicy({ model: createRandomModel(config, { seed: 1 }), tokenizer: tok, threads: 1 });
const requests = Array.from({ length: 80 }, (_, i) => ({
  inputIds: Array.from({ length: 12 + (Math.floor(i / 5) % 5) }, (_, j) => (i * 7 + j * 13) % 220).map(
    (x, j) => (Math.floor(i / 5) * 11 + j * 13) % 220,
  ),
  maxNewTokens: 30,
  sampling: { temperature: 1, seed: i },
}));
// second turn: extend each context by 30 tokens
const times: number[] = [];
for (let r = 0; r < 5; r++) {
  policy.clearCache();
  const a = performance.now();
  const first = await policy.generate(requests);
  const next = requests.map((req, i) => ({
    ...req,
    inputIds: [...req.inputIds, ...first[i]!.outputIds, ...Array.from({ length: 25 }, (_, j) => (j * 3 + i) % 220)],
  }));
  await policy.generate(next);
  times.push(performance.now() - a);
}
times.sort((a, b) => a - b);
console.log(
  'two-turn rollout of 80 sequences: median',
  times[2]!.toFixed(0),
  'ms',
  times.map((t) => t.toFixed(0)).join(' '),
);
await policy.release();
