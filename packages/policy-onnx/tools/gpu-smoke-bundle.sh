#!/usr/bin/env bash
# tools/gpu-smoke.ts for a GPU machine that has neither node nor network (the device machines of this
# project), in two steps, from the repository root:
#   packages/policy-onnx/tools/gpu-smoke-bundle.sh pack [DIR]      (here: needs node_modules, esbuild, xz, apt-get)
#   packages/policy-onnx/tools/gpu-smoke-bundle.sh run [DIR] [LOGS] [gpu-smoke options]   (there, as root)
#   packages/policy-onnx/tools/gpu-smoke-bundle.sh bench [DIR] [LOGS] [bench options]     (there, as root, after run)
# bench runs the decoder benchmark (bench/decoder.bench.ts, bundled as bench.mjs) and one GRPO step
# (apps/trainer/bench/grpo-step.bench.ts) on webgpu with the CPU baseline
# in the same call, appends its rows to LOGS/results.jsonl (copy them into bench/results.jsonl) and polls
# nvidia-smi every 0.5 s for the device memory in use (LOGS/device-memory.csv: the peak per phase).
# pack writes DIR (default .gpu, keep it out of git): the esbuild bundle smoke.mjs, this machine's node
# binary and onnxruntime-node's linux-x64 native library (xz-compressed), onnxruntime-node's JS files,
# and the Debian packages of the Vulkan loader and libglvnd (the NVIDIA Vulkan ICD needs libglvnd:
# without it Dawn reports "Found no drivers"). About 37 MB. run unpacks the packages into / and the
# binaries into place, prints the GPU, the Vulkan loader and ICD files, then runs the check with its
# output in LOGS/smoke.log and the onnxruntime profiles of the placement check in LOGS/*.json
# (SMOKE_TIMEOUT_S bounds the check, so that the logs come back before a caller's own limit).
set -uo pipefail
command="${1:-}"
dir="${2:-.gpu}"
native="$dir/node_modules/onnxruntime-node/bin/napi-v6/linux/x64"
case "$command" in
  pack)
    set -e
    mkdir -p "$dir/debs" "$native" /tmp/amd64/partial
    npx esbuild packages/policy-onnx/tools/gpu-smoke.ts --bundle --platform=node --format=esm --target=node20 \
      --conditions=@research-ts/source --external:onnxruntime-node --outfile="$dir/smoke.mjs" --log-level=warning
    npx esbuild packages/policy-onnx/bench/decoder.bench.ts --bundle --platform=node --format=esm --target=node20 \
      --conditions=@research-ts/source --external:onnxruntime-node --outfile="$dir/bench.mjs" --log-level=warning
    npx esbuild apps/trainer/bench/grpo-step.bench.ts --bundle --platform=node --format=esm --target=node20 \
      --conditions=@research-ts/source --external:onnxruntime-node --outfile="$dir/grpo-step.mjs" --log-level=warning
    cp -r node_modules/onnxruntime-common "$dir/node_modules/"
    cp -r node_modules/onnxruntime-node/{package.json,dist,lib} "$dir/node_modules/onnxruntime-node/"
    cp node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node "$native/"
    [ -f "$dir/libonnxruntime.so.1.xz" ] || xz -9 -T2 -c node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1 >"$dir/libonnxruntime.so.1.xz"
    [ -f "$dir/node.xz" ] || xz -9 -T2 -c "$(command -v node)" >"$dir/node.xz"
    apt=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64)
    ls "$dir"/debs/libvulkan1_*.deb >/dev/null 2>&1 || (apt-get "${apt[@]}" update -qq && cd "$dir/debs" && apt-get "${apt[@]}" download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
    du -sh "$dir"
    ;;
  run)
    logs="${3:-${OUT:-/tmp/policy-onnx-gpu}}"
    shift $(($# < 3 ? $# : 3))
    mkdir -p "$logs"
    for f in "$dir"/debs/*.deb; do dpkg -x "$f" /; done
    ldconfig
    unxz() { xz -dc "$1" >"$2" 2>/dev/null || python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"; }
    unxz "$dir/node.xz" /tmp/node && chmod +x /tmp/node
    unxz "$dir/libonnxruntime.so.1.xz" "$native/libonnxruntime.so.1"
    for icd in /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json; do
      [ -f "$icd" ] && echo "ICD: $icd" && export VK_DRIVER_FILES="${VK_DRIVER_FILES:-$icd}"
    done >"$logs/machine.log"
    {
      nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
      uname -r
      ldconfig -p | grep -E 'libvulkan\.so|libGLdispatch\.so' || echo "Vulkan loader or libglvnd missing"
      echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-unset}"
    } 2>&1 | tee -a "$logs/machine.log"
    profiles=/tmp/policy-onnx-profiles
    timeout "${SMOKE_TIMEOUT_S:-3000}" /tmp/node "$dir/smoke.mjs" packages/policy-onnx/src/__fixtures__ --profile-dir "$profiles" "$@" 2>&1 | tee "$logs/smoke.log"
    status=${PIPESTATUS[0]}
    for run in tiny-fused half-b1 half-b16; do cp "$profiles/$run"/*.json "$logs/profile-$run.json" 2>/dev/null; done
    exit "$status"
    ;;
  bench)
    logs="${3:-${OUT:-/tmp/policy-onnx-gpu}}"
    shift $(($# < 3 ? $# : 3))
    mkdir -p "$logs"
    [ -x /tmp/node ] || { echo "run '$0 run' first (it unpacks node and the libraries)" >&2; exit 2; }
    nvidia-smi --query-gpu=timestamp,memory.used --format=csv,noheader -lms 500 >"$logs/device-memory.csv" 2>/dev/null &
    poller=$!
    timeout "${BENCH_TIMEOUT_S:-3000}" /tmp/node --expose-gc "$dir/bench.mjs" --provider webgpu --results "$logs/results.jsonl" "$@" 2>&1 | tee "$logs/bench.log"
    status=${PIPESTATUS[0]}
    # one whole GRPO step (16 questions × 5 rollouts, ≤ 256 new tokens) with a 0.5B-shaped policy, then the CPU's
    timeout "${GRPO_TIMEOUT_S:-900}" /tmp/node --expose-gc "$dir/grpo-step.mjs" --model 0.5b --provider webgpu 2>&1 | tee "$logs/grpo-step.log"
    [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
    kill "$poller" 2>/dev/null
    exit "$status"
    ;;
  *)
    echo "usage: $0 pack|run|bench [DIR] [LOGS] [options]" >&2
    exit 2
    ;;
esac
