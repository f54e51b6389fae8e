import { InvalidInputError } from '@research-ts/spec';
import type { DecoderModel } from '../model/random-model';
import type { LoraAdapter } from './lora-adapter-directory';
import { loraModules, loraScale } from './lora-settings';

/**
 * The base model with the adapter folded in, as PEFT's `merge_and_unload`: each targeted projection's
 * weight becomes `W + scale·B·A` (`[out, in]`, the sum over the rank in float64, rounded to float32
 * once); the other parameters are the base's arrays (not copied). The result is a plain model that
 * `saveModelDirectory` writes and transformers or vLLM load without PEFT.
 */
export function mergeLoraAdapter(model: DecoderModel, adapter: LoraAdapter): DecoderModel {
  const { config } = model;
  const scale = loraScale(adapter.settings);
  const rank = adapter.settings.rank;
  const parameters = new Map(model.parameters);
  for (const { module, a, b } of loraModules(config, adapter.settings)) {
    const weightName = `${module}.weight`;
    const weight = model.parameters.get(weightName);
    const down = adapter.parameters.get(a.name);
    const up = adapter.parameters.get(b.name);
    for (const [name, values] of [
      [weightName, weight],
      [a.name, down],
      [b.name, up],
    ] as const)
      if (values === undefined) throw new InvalidInputError('missing', { source: 'mergeLoraAdapter', field: name });
    const [out, input] = [b.shape[0]!, a.shape[1]!];
    const merged = new Float32Array(out * input);
    const row = new Float64Array(input);
    for (let o = 0; o < out; o++) {
      row.fill(0);
      for (let r = 0; r < rank; r++) {
        const coefficient = up![o * rank + r]!;
        if (coefficient === 0) continue;
        for (let i = 0; i < input; i++) row[i]! += coefficient * down![r * input + i]!;
      }
      for (let i = 0; i < input; i++) merged[o * input + i] = weight![o * input + i]! + scale * row[i]!;
    }
    parameters.set(weightName, merged);
  }
  return { config, parameters };
}
