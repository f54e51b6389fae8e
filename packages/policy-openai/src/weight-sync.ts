import { InvalidConfigError, InvalidInputError } from '@research-ts/spec';
import type { ServerControlOptions } from './post-control-request';
import { createReadWriteLock } from './read-write-lock';
import { createServerPathMapping, type PathMapping } from './server-path';
import { createSglangWeightsClient } from './sglang-weights-client';
import { createVllmLoraClient } from './vllm-lora-client';

/**
 * How the trainer's weights reach the inference server: a LoRA adapter per version loaded into vLLM
 * (`/v1/load_lora_adapter`), or a full Hugging Face directory loaded by SGLang (`/update_weights_from_disk`).
 */
export const weightSyncKinds = ['vllm-lora', 'sglang-full'] as const;
export type WeightSyncKind = (typeof weightSyncKinds)[number];

/** The served name of the adapter holding weight version `version` on vLLM. */
export function adapterNameFor(version: number): string {
  return `research-ts-v${version}`;
}

export interface WeightSyncOptions extends ServerControlOptions, PathMapping {
  kind: WeightSyncKind;
  /**
   * Writes the weights of `version` into `directory` (trainer side, inside `localRoot`): a PEFT adapter
   * (`adapter_config.json` + `adapter_model.safetensors`) for `vllm-lora`, a Hugging Face model directory for
   * `sglang-full`. Runs before the sync takes the lock, so rollouts go on while it writes.
   */
  write: (directory: string, context: { version: number; signal?: AbortSignal }) => Promise<void>;
  /** The version the server holds when this is created: 0 for the base weights it was launched with. Default 0. */
  initialVersion?: number;
  /** SGLang's `load_format` for `sglang-full` (`auto`, `safetensors`, …); default: the server's. */
  loadFormat?: string;
}

/** A weight version held for a rollout: a sync waits until `release()`. */
export interface WeightPin {
  readonly version: number;
  /** The LoRA adapter to request (`research-ts-v{version}`), or undefined for the served base model. */
  readonly adapterName: string | undefined;
  release(): void;
}

/** What one {@link WeightSync.sync} did, with its timings in milliseconds. */
export interface WeightSyncResult {
  version: number;
  previousVersion: number;
  /** The directory the server was told to load. */
  serverPath: string;
  /** The adapter now served (`vllm-lora`). */
  adapterName: string | undefined;
  /** The adapter unloaded after the new one was loaded (`vllm-lora`, from the second version on). */
  unloadedAdapter: string | undefined;
  /** Set when unloading the previous adapter failed; the new version is served all the same. */
  unloadError: Error | undefined;
  /** The server's message (`sglang-full`) or text (`vllm-lora` load). */
  serverMessage: string;
  /** Writing the weights (`write`). */
  writeMs: number;
  /** Waiting for in-flight rollouts (pins and generate calls) to finish. */
  waitMs: number;
  /** The server calls (load and unload, or update). */
  serverMs: number;
}

export interface WeightSync {
  readonly kind: WeightSyncKind;
  /** The version the server serves now. */
  readonly version: number;
  /** The adapter the server serves now (`vllm-lora` after the first sync), else undefined: the base model. */
  readonly adapterName: string | undefined;
  /** The server's path of a directory inside `localRoot`; throws `InvalidInputError` for any other directory. */
  serverPath(localDirectory: string): string;
  /**
   * Holds the current version until `release()`: a sync started meanwhile waits, and a pin asked for while a sync
   * waits or runs waits for it (arrival order). Rejects with `signal.reason` if it aborts while waiting.
   */
  pin(signal?: AbortSignal): Promise<WeightPin>;
  /**
   * Publishes `version` (greater than the current one): writes it with `write(localDirectory)`, then, once every
   * pin is released, loads it on the server (vLLM: load `research-ts-v{version}`, then unload the previous
   * adapter; SGLang: update the weights from disk) and makes it the version that generate calls use.
   * A failed load leaves the previous version in place and throws (`ApiCallError`, `TimeoutError`).
   */
  sync(request: { version: number; localDirectory: string; signal?: AbortSignal }): Promise<WeightSyncResult>;
}

/** Checks the options and returns the {@link WeightSync} of one inference server. */
export function createWeightSync(options: WeightSyncOptions): WeightSync {
  if (!(weightSyncKinds as readonly string[]).includes(options.kind)) {
    throw new InvalidConfigError(
      'kind',
      `must be one of ${weightSyncKinds.join(', ')} (LoRA on vLLM, full weights on SGLang), got ${JSON.stringify(options.kind)}`,
    );
  }
  if (typeof options.write !== 'function') throw new InvalidConfigError('write', 'must be a function');
  const initialVersion = options.initialVersion ?? 0;
  if (!Number.isInteger(initialVersion) || initialVersion < 0)
    throw new InvalidConfigError('initialVersion', `must be an integer >= 0, got ${String(initialVersion)}`);
  if (options.loadFormat !== undefined && options.kind !== 'sglang-full')
    throw new InvalidConfigError('loadFormat', `applies to sglang-full only, not ${options.kind}`);
  const serverPath = createServerPathMapping(options);
  const vllm = options.kind === 'vllm-lora' ? createVllmLoraClient(options) : undefined;
  const sglang = options.kind === 'sglang-full' ? createSglangWeightsClient(options) : undefined;
  const lock = createReadWriteLock();
  let version = initialVersion;
  let adapterName: string | undefined;

  const checkVersion = (next: number) => {
    if (!Number.isInteger(next) || next <= version)
      throw new InvalidInputError(`must be an integer greater than the served version ${version}, got ${next}`, {
        field: 'version',
      });
  };

  return {
    kind: options.kind,
    get version() {
      return version;
    },
    get adapterName() {
      return adapterName;
    },
    serverPath,
    async pin(signal) {
      const release = await lock.read(signal);
      return { version, adapterName, release };
    },
    async sync({ version: next, localDirectory, signal }) {
      checkVersion(next);
      const target = serverPath(localDirectory);
      const writeStart = performance.now();
      await options.write(localDirectory, { version: next, ...(signal === undefined ? {} : { signal }) });
      const waitStart = performance.now();
      const release = await lock.write(signal);
      const serverStart = performance.now();
      try {
        checkVersion(next);
        const previousVersion = version;
        if (sglang !== undefined) {
          const answer = await sglang.updateWeightsFromDisk(
            {
              modelPath: target,
              weightVersion: String(next),
              ...(options.loadFormat === undefined ? {} : { loadFormat: options.loadFormat }),
            },
            { ...(signal === undefined ? {} : { signal }) },
          );
          version = next;
          return result(previousVersion, target, answer.message, undefined, undefined);
        }
        const name = adapterNameFor(next);
        const loaded = await vllm!.loadLoraAdapter(
          { name, path: target },
          { ...(signal === undefined ? {} : { signal }) },
        );
        const previousAdapter = adapterName;
        version = next;
        adapterName = name;
        let unloadError: Error | undefined;
        if (previousAdapter !== undefined) {
          // No request uses the previous adapter any more: the lock is held.
          try {
            await vllm!.unloadLoraAdapter(previousAdapter, { ...(signal === undefined ? {} : { signal }) });
          } catch (error) {
            unloadError = error instanceof Error ? error : new Error(String(error));
          }
        }
        return result(previousVersion, target, loaded, previousAdapter, unloadError);
      } finally {
        release();
      }

      function result(
        previousVersion: number,
        target: string,
        serverMessage: string,
        unloadedAdapter: string | undefined,
        unloadError: Error | undefined,
      ): WeightSyncResult {
        const end = performance.now();
        return {
          version: next,
          previousVersion,
          serverPath: target,
          adapterName,
          unloadedAdapter: unloadError === undefined ? unloadedAdapter : undefined,
          unloadError,
          serverMessage,
          writeMs: waitStart - writeStart,
          waitMs: serverStart - waitStart,
          serverMs: end - serverStart,
        };
      }
    },
  };
}
