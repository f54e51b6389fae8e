import { GraphBuilder } from '@research-ts/onnx-graph';
import { UnsupportedError } from '@research-ts/spec';
import { createSession, readDeviceTensors, runOnDevice } from '../backend/onnxruntime';

let probe: Promise<string | undefined> | undefined;

/** Starts the webgpu provider on a one-op graph with a device output read back; the error's text when that fails. */
async function probeWebgpu(): Promise<string | undefined> {
  const graph = new GraphBuilder({ opset: 17, name: 'webgpu_probe' });
  const x = graph.input('x', 'float32', [2]);
  graph.output(graph.add(x, x), 'y');
  try {
    const session = await createSession(graph.serialize(), { executionProvider: 'webgpu', deviceOutputs: ['y'] });
    try {
      const { device } = await runOnDevice(session, { x: { data: new Float32Array([1, 2]), dims: [2] } });
      const [values] = await readDeviceTensors([device.y!]);
      device.y!.dispose();
      if (values![0] !== 2 || values![1] !== 4)
        return `webgpu computed [${Array.from(values!).join(', ')}] for 2·[1, 2]`;
    } finally {
      await session.release();
    }
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * Why the webgpu execution provider cannot run here (no Vulkan/GPU adapter, provider missing), or
 * `undefined` when it runs: the tests of the device paths skip with this reason in their title. Where
 * `CI` is set in `environment` (default `process.env`) the provider is required (CI installs Mesa's
 * lavapipe), so a failure to start throws instead (see {@link requireUnlessSkippable}). The probe runs
 * once per process.
 */
export async function webgpuSkipReason(
  environment: Readonly<Record<string, string | undefined>> = process.env,
): Promise<string | undefined> {
  probe ??= probeWebgpu();
  return requireUnlessSkippable(await probe, environment);
}

/**
 * The skip decision for a probe's outcome: `reason` as it is, unless `CI` is set (non-empty) and webgpu
 * failed, which throws an `UnsupportedError` naming the reason.
 */
export function requireUnlessSkippable(
  reason: string | undefined,
  environment: Readonly<Record<string, string | undefined>>,
): string | undefined {
  if (reason !== undefined && environment.CI !== undefined && environment.CI !== '') {
    throw new UnsupportedError(
      'the webgpu execution provider',
      `CI is set, so it must run, but it does not start: ${reason}`,
    );
  }
  return reason;
}
