import { InvalidInputError } from '@research-ts/spec';
import { readDeviceTensors, uploadTensor, type DeviceTensor, type ExecutionProvider } from '../backend/onnxruntime';
import type { DecoderConfig } from '../model/decoder-config';
import { graphParameterShapes, type LoraSettings } from '../lora/lora-settings';

/**
 * A decoder's parameters held on a GPU provider's device: uploaded once when the policy is created;
 * the inference and training graphs take them as feeds (`feeds()`); an optimizer update replaces them
 * with its device outputs (`replace`), so nothing is uploaded again; `read` copies them back for
 * checkpoints.
 */
export class DeviceParameters {
  readonly executionProvider: ExecutionProvider;
  readonly #tensors: Map<string, DeviceTensor>;

  private constructor(executionProvider: ExecutionProvider, tensors: Map<string, DeviceTensor>) {
    this.executionProvider = executionProvider;
    this.#tensors = tensors;
  }

  /** Uploads every parameter of `config` (and its LoRA adapters, with `lora`) from host arrays (one upload each). */
  static async upload(
    executionProvider: ExecutionProvider,
    config: DecoderConfig,
    parameters: ReadonlyMap<string, Float32Array>,
    lora?: LoraSettings,
  ): Promise<DeviceParameters> {
    const tensors = new Map<string, DeviceTensor>();
    try {
      for (const { name, shape } of graphParameterShapes(config, lora)) {
        const data = parameters.get(name);
        if (data === undefined) throw new InvalidInputError('missing parameter', { source: 'parameters', field: name });
        tensors.set(name, await uploadTensor(executionProvider, { data, dims: shape }));
      }
    } catch (error) {
      for (const tensor of tensors.values()) tensor.dispose();
      throw error;
    }
    return new DeviceParameters(executionProvider, tensors);
  }

  get names(): string[] {
    return [...this.#tensors.keys()];
  }

  /** The device tensor of one parameter. */
  get(name: string): DeviceTensor {
    const tensor = this.#tensors.get(name);
    if (tensor === undefined)
      throw new InvalidInputError('no such parameter', { source: 'DeviceParameters', field: name });
    return tensor;
  }

  /** Feeds of every parameter, by name (the device tensors themselves: no copy). */
  feeds(): Record<string, DeviceTensor> {
    return Object.fromEntries(this.#tensors);
  }

  /** Puts a new device tensor in place of a parameter's and disposes the old one. */
  replace(name: string, tensor: DeviceTensor): void {
    const old = this.get(name);
    if (old.size !== tensor.size)
      throw new InvalidInputError(`holds ${tensor.size} values, the parameter ${old.size}`, {
        source: 'DeviceParameters.replace',
        field: name,
      });
    this.#tensors.set(name, tensor);
    if (old !== tensor) old.dispose();
  }

  /** Host copies (one download per parameter). */
  async read(names: readonly string[] = this.names): Promise<Map<string, Float32Array>> {
    const copies = await readDeviceTensors(names.map((name) => this.get(name)));
    return new Map(names.map((name, index) => [name, copies[index]!]));
  }

  /** Frees every device tensor. */
  dispose(): void {
    for (const tensor of this.#tensors.values()) tensor.dispose();
    this.#tensors.clear();
  }
}
