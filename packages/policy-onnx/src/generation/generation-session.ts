import { createSession, type ExecutionProvider, type OnnxSession, type SessionFeed } from '../backend/onnxruntime';
import type { DecoderConfig } from '../model/decoder-config';
import { buildInferenceGraph } from '../decoder/decoder-graph';
import type { DeviceParameters } from '../device/device-parameters';
import type { LoraSettings } from '../lora/lora-settings';
import { parameterFeeds } from '../training/decoder-training';
import { buildDeviceStepGraph, deviceStepOutputNames } from './device-step';

/** What the generation graph is built from. */
export interface GenerationSessionOptions {
  config: DecoderConfig;
  executionProvider: ExecutionProvider;
  /** Threads of one operator on the CPU provider. */
  threads: number | undefined;
  /** The host parameters: the live arrays on `cpu`; on a GPU provider the initial values only. */
  parameters: ReadonlyMap<string, Float32Array>;
  /** On a GPU provider, the parameters on the device. */
  deviceParameters: DeviceParameters | undefined;
  /** See `OnnxPolicyOptions.inferenceWeights`. */
  weights: 'inputs' | 'initializers';
  /** See `OnnxPolicyOptions.fusedOps`. */
  fusedOps: boolean;
  /** LoRA adapters, whose tensors are among the parameters (see `DecoderGraphOptions.lora`). */
  lora: LoraSettings | undefined;
}

/**
 * Builds the generation graph and opens its session: on `cpu` the inference graph, on a GPU provider the
 * step graph (`buildDeviceStepGraph`: the cache and the logits stay on the device, the graph samples);
 * with `weights: 'initializers'` the current parameters stored in it (on a GPU provider read back from
 * the device, as the host map holds the initial values only).
 */
async function openGenerationSession(options: GenerationSessionOptions): Promise<OnnxSession> {
  const { config, deviceParameters, fusedOps, lora } = options;
  const sessionOptions = { executionProvider: options.executionProvider, intraOpNumThreads: options.threads };
  const inGraph = options.weights === 'initializers';
  if (deviceParameters !== undefined) {
    const deviceOptions = { ...sessionOptions, deviceOutputs: deviceStepOutputNames(config) };
    if (!inGraph) return createSession(buildDeviceStepGraph(config, { fusedOps, lora }).serialize(), deviceOptions);
    const current = await deviceParameters.read();
    const { model: bytes, externalData } = buildDeviceStepGraph(config, {
      initializers: current,
      fusedOps,
      lora,
    }).serializeWithExternalData({ thresholdBytes: 1024 });
    return createSession(bytes, { ...deviceOptions, externalData: [...externalData] });
  }
  if (!inGraph) return createSession(buildInferenceGraph(config, { fusedOps, lora }).serialize(), sessionOptions);
  const { model: bytes, externalData } = buildInferenceGraph(config, {
    initializers: options.parameters,
    fusedOps,
    lora,
  }).serializeWithExternalData({ thresholdBytes: 1024 });
  return createSession(bytes, { ...sessionOptions, externalData: [...externalData] });
}

/**
 * The generation graph's session over a policy's life. It is opened at creation, so that a missing
 * provider fails there with its `UnsupportedError`. When the session holds the weights, `retire()` (after
 * the parameters change) sets it aside and the next run opens one from the current parameters; a retired
 * session is released once no generation is running.
 */
export class GenerationSession {
  readonly #options: GenerationSessionOptions;
  #current: OnnxSession | undefined;
  #opening: Promise<OnnxSession> | undefined;
  /** Sessions replaced by `retire()`, released when no generation is running. */
  readonly #retired: OnnxSession[] = [];
  #running = 0;

  private constructor(options: GenerationSessionOptions, session: OnnxSession) {
    this.#options = options;
    this.#current = session;
  }

  /** Builds the generation graph and opens its session (see `GenerationSessionOptions`). */
  static async open(options: GenerationSessionOptions): Promise<GenerationSession> {
    return new GenerationSession(options, await openGenerationSession(options));
  }

  /** The session of the next run (opened from the current parameters after a `retire()`). */
  async session(): Promise<OnnxSession> {
    if (this.#current !== undefined) return this.#current;
    this.#opening ??= openGenerationSession(this.#options).then((session) => {
      this.#current = session;
      this.#opening = undefined;
      return session;
    });
    return this.#opening;
  }

  /** The parameter feeds of one run: none when the graph holds the weights, else the device tensors or the live host arrays. */
  parameterFeeds(): Readonly<Record<string, SessionFeed>> {
    const { config, parameters, deviceParameters, weights, lora } = this.#options;
    if (weights === 'initializers') return {};
    return deviceParameters?.feeds() ?? parameterFeeds(config, parameters, lora);
  }

  /** Runs one generation call; retired sessions are released when the last running call ends. */
  async whileRunning<T>(generation: () => Promise<T>): Promise<T> {
    this.#running += 1;
    try {
      return await generation();
    } finally {
      this.#running -= 1;
      await this.#releaseRetired();
    }
  }

  /** After the parameters changed: a session that holds the weights is set aside, to be reopened from the new ones. */
  retire(): void {
    if (this.#options.weights !== 'initializers' || this.#current === undefined) return;
    this.#retired.push(this.#current);
    this.#current = undefined;
    void this.#releaseRetired();
  }

  /** Frees the session (and the retired ones, unless a generation is still running). */
  async release(): Promise<void> {
    if (this.#current !== undefined) this.#retired.push(this.#current);
    this.#current = undefined;
    await this.#releaseRetired();
  }

  async #releaseRetired(): Promise<void> {
    while (this.#running === 0 && this.#retired.length > 0) await this.#retired.pop()!.release();
  }
}
