/**
 * The layer table of DESIGN.md, as data: which workspace packages each package may import, and which
 * third-party engines may enter which package (through exactly one source file).
 * `docs/architecture.md` draws the same graph; `architecture.test.ts` enforces both.
 */
export const layerTable: Record<string, { layer: number; mayImport: readonly string[] }> = {
  spec: { layer: 0, mayImport: [] },
  tokenizer: { layer: 1, mayImport: ['spec'] },
  tags: { layer: 1, mayImport: ['spec'] },
  'onnx-graph': { layer: 1, mayImport: [] },
  datasets: { layer: 1, mayImport: ['spec'] },
  evaluators: { layer: 1, mayImport: ['spec', 'tags'] },
  'policy-onnx': { layer: 2, mayImport: ['spec', 'tokenizer', 'onnx-graph'] },
  'policy-openai': { layer: 2, mayImport: ['spec'] },
  'retriever-flexsearch': { layer: 2, mayImport: ['spec'] },
  'retriever-dense': { layer: 2, mayImport: ['spec', 'tokenizer'] },
  'retriever-http': { layer: 2, mayImport: ['spec'] },
  grpo: { layer: 2, mayImport: ['spec'] },
  rollout: { layer: 3, mayImport: ['spec', 'tags'] },
  testing: { layer: 3, mayImport: ['spec'] },
  report: { layer: 3, mayImport: ['spec', 'tags'] },
  training: { layer: 4, mayImport: ['spec', 'tags', 'grpo', 'rollout', 'evaluators'] },
};

/** Third-party engines: the packages they may enter, each through one non-test source file. */
export const engines: Record<string, readonly string[]> = {
  'onnxruntime-node': ['policy-onnx', 'retriever-dense'],
  'onnx-proto': ['onnx-graph'],
  flexsearch: ['retriever-flexsearch'],
  usearch: ['retriever-dense'],
  '@huggingface/tokenizers': ['tokenizer'],
  '@huggingface/jinja': ['tokenizer'],
};
