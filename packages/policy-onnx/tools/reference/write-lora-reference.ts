// Writes the LoRA adapter directories that tools/reference/lora_reference.py reads, beside the base reference models
// (run from the package directory after write-reference-model.ts:
// node --conditions=@research-ts/source --import tsx tools/reference/write-lora-reference.ts).
// B is drawn non-zero (PEFT starts it at zero, which would make the adapted model equal the base).
import { deriveSeed, loadModelDirectory, SeededRandom, saveLoraAdapter } from '@research-ts/policy-onnx';
import { createLoraParameters } from '../../src/lora/lora-init';
import type { LoraSettings } from '../../src/lora/lora-settings';

/** Qwen2: every projection, rank 2, rsLoRA scaling; Llama 3: q/v/down, rank 3, alpha/r scaling. */
export const loraReferenceSettings: Record<'qwen2' | 'llama3', LoraSettings> = {
  qwen2: {
    rank: 2,
    alpha: 3,
    targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
    rsLora: true,
  },
  llama3: { rank: 3, alpha: 6, targets: ['q_proj', 'v_proj', 'down_proj'], rsLora: false },
};

for (const [family, settings] of Object.entries(loraReferenceSettings)) {
  const base = await loadModelDirectory(`src/__fixtures__/tiny-${family}-reference`);
  const parameters = createLoraParameters(base.config, settings, 31);
  for (const [name, values] of parameters)
    if (name.includes('lora_B')) new SeededRandom(deriveSeed(32, name)).fillNormal(values, 0.3);
  const directory = `src/__fixtures__/tiny-${family}-lora-reference`;
  await saveLoraAdapter(
    directory,
    base.config,
    { settings, parameters },
    { overwrite: true, baseModelNameOrPath: `tiny-${family}-reference` },
  );
  console.log('wrote', directory);
}
