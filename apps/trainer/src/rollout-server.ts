import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { RolloutCorrectionSettings } from '@research-ts/grpo';
import type { OnnxPolicy } from '@research-ts/policy-onnx';
import {
  createOpenAICompletionsPolicy,
  createWeightSync,
  rolloutStaleness,
  type OpenAICompletionsPolicy,
  type WeightSync,
  type WeightSyncResult,
} from '@research-ts/policy-openai';
import { rolloutServerKinds, type TrainerConfig } from './trainer-config';

/** The external engine of a run with `rollout.server`: its policy and the sync that keeps it in step. */
export interface RolloutServer {
  /** Samples the rollouts (`logprobs: true`, so trajectories carry the sampler's logprobs). */
  policy: OpenAICompletionsPolicy;
  weightSync: WeightSync;
  /**
   * Writes the trainer's weights as `version` under `localRoot/v<version>` (the float32 PEFT adapter for vLLM, the
   * merged HF model in bf16 for SGLang), has the server load them, then removes the previous version's directory.
   */
  publish(version: number, signal?: AbortSignal): Promise<WeightSyncResult>;
}

/**
 * The rollout server of `config.rollout.server` (undefined without one), checked before any work: the URL, the
 * roots and the pairing of the kind with `lora` (the schema checked the pairing; `createWeightSync` the rest).
 */
export function openRolloutServer(
  config: TrainerConfig,
  onnx: OnnxPolicy,
  options: { initialVersion: number },
): RolloutServer | undefined {
  const server = config.rollout.server;
  if (server === undefined) return undefined;
  const kind = rolloutServerKinds[server.kind];
  const weightSync = createWeightSync({
    kind,
    baseURL: server.url,
    localRoot: server.localRoot,
    ...(server.serverRoot === undefined ? {} : { serverRoot: server.serverRoot }),
    initialVersion: options.initialVersion,
    write: async (directory) => {
      if (kind === 'vllm-lora') await onnx.saveAdapter(directory, { overwrite: true });
      // bf16, as the server holds them: half the bytes of float32
      else await onnx.save(directory, { copyTokenizerFrom: config.modelDirectory, dtype: 'bfloat16', overwrite: true });
    },
  });
  const policy = createOpenAICompletionsPolicy({
    baseURL: server.url,
    model: server.model,
    server: server.kind,
    tokenizer: onnx.tokenizer,
    logprobs: true,
    weightSync,
  });
  const directoryOf = (version: number) => join(server.localRoot, `v${version}`);
  return {
    policy,
    weightSync,
    async publish(version, signal) {
      const result = await weightSync.sync({
        version,
        localDirectory: directoryOf(version),
        ...(signal === undefined ? {} : { signal }),
      });
      // the server no longer reads the previous version (vLLM unloaded it, SGLang replaced it)
      await rm(directoryOf(result.previousVersion), { recursive: true, force: true });
      return result;
    },
  };
}

/** The rollout correction a run uses: the config's, else `token-tis` with a rollout server, else none. */
export function rolloutCorrectionOf(config: TrainerConfig): RolloutCorrectionSettings | undefined {
  const configured = config.training.rolloutCorrection;
  if (configured !== undefined)
    return {
      mode: configured.mode,
      ...(configured.threshold === undefined ? {} : { threshold: configured.threshold }),
    };
  return config.rollout.server === undefined ? undefined : { mode: 'token-tis' };
}

/** The metrics of a step's weight handling: the rollouts' version, their staleness, the sync's timings. */
export function weightSyncRecord(
  trainerVersion: number,
  rolloutVersions: readonly (number | undefined)[],
  sync: WeightSyncResult | undefined,
) {
  const staleness = rolloutStaleness(trainerVersion, rolloutVersions);
  const versions = rolloutVersions.filter((version) => version !== undefined);
  return {
    weightVersion: versions.length === 0 ? null : Math.min(...versions),
    staleness: { mean: staleness.mean, max: staleness.max },
    weightSync:
      sync === undefined
        ? null
        : {
            version: sync.version,
            writeMs: sync.writeMs,
            waitMs: sync.waitMs,
            serverMs: sync.serverMs,
            ...(sync.unloadError === undefined ? {} : { unloadError: sync.unloadError.message }),
          },
  };
}
