import { deriveSeed, SeededRandom } from '@research-ts/spec';
import type { DecoderConfig } from '../model/decoder-config';
import { loraModules, type LoraSettings } from './lora-settings';

/**
 * Fresh adapters as PEFT initialises them (`init_lora_weights=True`): A `[rank, in]` by
 * `kaiming_uniform_(a=√5)`, which is U(−1/√in, 1/√in), and B `[out, rank]` zeros, so the adapted model
 * starts equal to the base. Each A draws from its own stream seeded by (seed, name).
 */
export function createLoraParameters(
  config: DecoderConfig,
  settings: LoraSettings,
  seed: number,
): Map<string, Float32Array> {
  const parameters = new Map<string, Float32Array>();
  for (const { a, b } of loraModules(config, settings)) {
    const [, fanIn] = a.shape as [number, number];
    const bound = 1 / Math.sqrt(fanIn);
    const random = new SeededRandom(deriveSeed(seed, a.name));
    parameters.set(
      a.name,
      Float32Array.from({ length: a.shape[0]! * fanIn }, () => (2 * random.nextFloat() - 1) * bound),
    );
    parameters.set(b.name, new Float32Array(b.shape[0]! * b.shape[1]!));
  }
  return parameters;
}
