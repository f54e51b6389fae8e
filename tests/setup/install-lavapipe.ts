// Vitest global setup: the WebGPU provider of onnxruntime-node runs on Mesa's lavapipe (software Vulkan) on
// machines without a GPU, so that the device-resident paths of @research-ts/policy-onnx are tested by
// `npm test` everywhere. When no Vulkan driver is installed, scripts/ci-setup.sh installs lavapipe with
// apt-get (as root). Where that is impossible, the WebGPU tests say so in their skip reason — and fail
// under CI=true (see packages/policy-onnx/src/device/webgpu-available.ts).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const icdDirectories = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d'];

function hasVulkanDriver(): boolean {
  return icdDirectories.some(
    (directory) => existsSync(directory) && readdirSync(directory).some((name) => name.endsWith('.json')),
  );
}

export default function setup(): void {
  if (process.platform !== 'linux' || hasVulkanDriver()) return;
  const script = join(import.meta.dirname, '..', '..', 'scripts', 'ci-setup.sh');
  const result = spawnSync('bash', [script, 'lavapipe'], { encoding: 'utf8', timeout: 300_000 });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
  if (result.status === 0) console.info(output);
  else console.warn(`WebGPU tests: no Vulkan driver, and scripts/ci-setup.sh could not install lavapipe:\n${output}`);
}
