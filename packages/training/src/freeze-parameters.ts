import { checkAdamWMoments, InvalidConfigError, InvalidInputError, type TrainablePolicy } from '@research-ts/spec';

/**
 * A view of `policy` for the GRPO trainer in which the parameters named in `frozen` are not trainable:
 * they are left out of `parameterSizes`, `readGradients`, `readParameters` (by default) and the optimizer
 * state, and every `applyUpdate` trains only the others (`update.parameters`), so they keep their values
 * and get no moments, and their gradients count nowhere. The policy itself still uses them (the view
 * delegates to it). An empty list returns the policy as it is; a name the policy does not have is an
 * `InvalidConfigError` naming `field`, so a misspelt name fails before any work.
 */
export function freezeParameters(
  policy: TrainablePolicy,
  frozen: readonly string[],
  field = 'training.frozenParameters',
): TrainablePolicy {
  if (frozen.length === 0) return policy;
  for (const name of frozen) {
    if (!policy.parameterSizes.has(name))
      throw new InvalidConfigError(
        field,
        `the policy has no parameter "${name}" (parameters: ${[...policy.parameterSizes.keys()].join(', ')})`,
      );
  }
  const skipped = new Set(frozen);
  const parameterSizes = new Map([...policy.parameterSizes].filter(([name]) => !skipped.has(name)));
  if (parameterSizes.size === 0)
    throw new InvalidConfigError(field, 'freezes every parameter of the policy: nothing would be trained');
  const trained = [...parameterSizes.keys()];
  const withoutFrozen = <T>(entries: Iterable<[string, T]>) => [...entries].filter(([name]) => !skipped.has(name));
  return {
    specificationVersion: policy.specificationVersion,
    name: policy.name,
    parameterSizes,
    generate: (requests, options) => policy.generate(requests, options),
    scoreTokens: (batch) => policy.scoreTokens(batch),
    accumulateGradients: (batch, upstream) => policy.accumulateGradients(batch, upstream),
    applyUpdate(update) {
      const names = update.parameters ?? trained;
      const frozenName = names.find((name) => skipped.has(name));
      if (frozenName !== undefined)
        return Promise.reject(new InvalidInputError(`"${frozenName}" is frozen`, { field: 'update.parameters' }));
      return policy.applyUpdate({ ...update, parameters: names });
    },
    zeroGradients: () => policy.zeroGradients(),
    readGradients: async () => new Map(withoutFrozen(await policy.readGradients())),
    readParameters: (names) => policy.readParameters(names ?? trained),
    readOptimizerState: async () =>
      Object.fromEntries(withoutFrozen(Object.entries(await policy.readOptimizerState()))),
    async loadOptimizerState(moments) {
      checkAdamWMoments(moments, parameterSizes);
      await policy.loadOptimizerState(moments);
    },
  };
}
