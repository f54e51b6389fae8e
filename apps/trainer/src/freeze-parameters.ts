import { InvalidConfigError, type TrainablePolicy } from '@research-ts/spec';

/**
 * A view of `policy` for the GRPO trainer in which the parameters named in `frozen` are not trainable:
 * they are left out of `parameters` (so the optimizer never sees them) and their gradients are dropped
 * from `backward`'s result. The policy itself still uses them (the view shares its arrays and methods).
 * An empty list returns the policy as it is; a name the policy does not have is an `InvalidConfigError`
 * naming `field`, so a misspelt name fails before any work.
 */
export function freezeParameters(policy: TrainablePolicy, frozen: readonly string[], field = 'training.frozenParameters'): TrainablePolicy {
  if (frozen.length === 0) return policy;
  for (const name of frozen) {
    if (!policy.parameters.has(name)) throw new InvalidConfigError(field, `the policy has no parameter "${name}" (parameters: ${[...policy.parameters.keys()].join(', ')})`);
  }
  const skipped = new Set(frozen);
  const parameters = new Map([...policy.parameters].filter(([name]) => !skipped.has(name)));
  if (parameters.size === 0) throw new InvalidConfigError(field, 'freezes every parameter of the policy: nothing would be trained');
  return {
    specificationVersion: policy.specificationVersion,
    name: policy.name,
    parameters,
    generate: (requests, options) => policy.generate(requests, options),
    scoreTokens: (batch) => policy.scoreTokens(batch),
    async backward(batch, upstream) {
      // a new map: the policy may own (and reuse) the one it returns
      const gradients = await policy.backward(batch, upstream);
      return new Map([...gradients].filter(([name]) => !skipped.has(name)));
    },
    parametersChanged: () => policy.parametersChanged(),
  };
}
