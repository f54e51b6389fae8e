import { checkDecoderConfig, decoderParameterCount } from '@research-ts/policy-onnx';
import { describe, expect, it } from 'vitest';
import { modelSizeConfig } from './model-sizes';

describe('modelSizeConfig: the published shapes', () => {
  it.each([
    ['qwen2.5-0.5b-shape', 'qwen2', 494_032_768],
    ['qwen3-0.6b-shape', 'qwen3', 596_049_920],
    ['qwen3-1.7b-shape', 'qwen3', 1_720_574_976],
    ['llama-3.2-1b-shape', 'llama', 1_235_814_400],
  ])('%s: a checked %s config with the published parameter count, our EOS, float32', (size, family, count) => {
    const config = modelSizeConfig(size, { vocabSize: 1000, eosTokenId: 7, bosTokenId: 6 });
    expect(checkDecoderConfig(config)).toBe(config);
    expect(config).toMatchObject({ family, eosTokenId: 7, bosTokenId: 6, torchDtype: 'float32' });
    expect(decoderParameterCount(config)).toBe(count);
  });

  it('refuses a tokenizer larger than the shape’s vocabulary', () => {
    expect(() => modelSizeConfig('qwen3-0.6b-shape', { vocabSize: 200_000, eosTokenId: 1 })).toThrow(
      "has 200000 ids, more than qwen3-0.6b-shape's 151936",
    );
  });
});
