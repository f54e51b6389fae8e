#!/usr/bin/env bash
# GPU check for @research-ts/policy-onnx: on a machine with an NVIDIA GPU, shows what the machine offers
# (driver, Vulkan loader and ICDs), which onnxruntime providers start, then runs the GPU tests
# (src/*.gpu.test.ts with RESEARCH_TS_GPU=1) and the decoder benchmark on each working GPU provider,
# and prints a summary. Usage, from anywhere: packages/policy-onnx/tools/gpu-check.sh [bench options]
# (e.g. -- --layers 24 --train-shape 4x1024). Logs go to $GPU_CHECK_LOGS (default: a temporary folder).
set -uo pipefail
package="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
root="$(cd "$package/../.." && pwd)"
logs="${GPU_CHECK_LOGS:-$(mktemp -d -t policy-onnx-gpu-XXXXXX)}"
mkdir -p "$logs"
summary=()
section() { printf '\n=== %s\n' "$*"; }

section "machine"
uname -a; node --version
if command -v nvidia-smi >/dev/null; then nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader; else echo "nvidia-smi: not found"; fi

section "vulkan (webgpu runs on Dawn over Vulkan: it needs the loader libvulkan.so.1 and the NVIDIA ICD)"
ldconfig -p 2>/dev/null | grep -E 'libvulkan\.so' || echo "libvulkan.so.1: NOT FOUND (apt-get install libvulkan1)"
for dir in /usr/share/vulkan/icd.d /etc/vulkan/icd.d; do [ -d "$dir" ] && ls -l "$dir"; done
ldconfig -p 2>/dev/null | grep -E 'libGLdispatch\.so' || echo "libGLdispatch.so.0: NOT FOUND — the NVIDIA ICD (libGLX_nvidia.so.0) needs libglvnd: apt-get install libglvnd0 libglx0 libegl1 (without it: 'Found no drivers')"
ls /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json 2>/dev/null || echo "nvidia_icd.json: NOT FOUND (the NVIDIA driver's Vulkan ICD)"
command -v vulkaninfo >/dev/null && vulkaninfo --summary 2>&1 | sed -n '1,40p'

section "onnxruntime providers"
probe="$(cd "$package" && node --conditions=@research-ts/source --import tsx tools/probe-providers.ts 2>&1)"
echo "$probe"
working="$(echo "$probe" | sed -n 's/^WORKING_PROVIDERS=//p')"
for provider in webgpu cuda; do
  if [[ ",$working," == *",$provider,"* ]]; then summary+=("$provider: starts"); else summary+=("$provider: does NOT start (see above)"); fi
done

section "GPU tests (RESEARCH_TS_GPU=1 vitest run packages/policy-onnx/src/*.gpu.test.ts)"
(cd "$root" && RESEARCH_TS_GPU=1 npx vitest run packages/policy-onnx/src/onnx-policy.gpu.test.ts 2>&1) | tee "$logs/gpu-tests.log" | tail -60
tests_line="$(grep -E 'Tests ' "$logs/gpu-tests.log" | tail -1 | sed 's/\x1b\[[0-9;]*m//g')"
summary+=("gpu tests: ${tests_line:-no result line}")

for provider in cpu webgpu cuda; do
  [[ ",$working," == *",$provider,"* ]] || continue
  section "benchmark on $provider"
  (cd "$package" && node --expose-gc --import tsx bench/decoder.bench.ts --provider "$provider" "$@" 2>&1) | tee "$logs/bench-$provider.log"
  while IFS= read -r line; do summary+=("[$provider] $line"); done < <(sed -n '/^summary$/,$p' "$logs/bench-$provider.log" | tail -n +2)
done

section "summary (logs in $logs)"
printf '%s\n' "${summary[@]}"
