import type { OnnxPolicy } from '@research-ts/policy-onnx';
import type { TokenBatch, TrainablePolicy } from '@research-ts/spec';

/**
 * The spec's `TrainablePolicy` view of an `OnnxPolicy`: `scoreTokens` is its `computeLogprobs`,
 * `backward` its `backward` (with the spec's `TokenBatch` `length` as policy-onnx's `seq`), and
 * `parametersChanged` drops the KV cache computed with the old weights. When the policy already
 * implements the spec's methods, it is returned as it is.
 */
export function asTrainablePolicy(policy: OnnxPolicy): TrainablePolicy {
  const native = policy as Partial<TrainablePolicy> & OnnxPolicy;
  if (typeof native.scoreTokens === 'function' && typeof native.parametersChanged === 'function') return native as TrainablePolicy;
  const toOnnx = (batch: TokenBatch) => ({ inputIds: batch.inputIds, attentionMask: batch.attentionMask, batch: batch.batch, seq: batch.length });
  return {
    specificationVersion: 'v1',
    name: policy.name,
    parameters: policy.parameters,
    generate: (requests, options) => policy.generate(requests, options),
    async scoreTokens(batch) {
      const scores = await policy.computeLogprobs(toOnnx(batch));
      return { logprobs: scores.logprobs, entropies: scores.entropies };
    },
    backward: (batch, upstream) => policy.backward(toOnnx(batch), upstream),
    parametersChanged: () => policy.clearCache(),
  };
}
