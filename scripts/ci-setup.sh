#!/usr/bin/env bash
# CI setup: installs the Debian packages some tests need, without prompts. Usage: ci-setup.sh [chromium] [lavapipe]
# (no argument: both).
# - chromium: Debian's chromium at /usr/bin/chromium, for tests/report-browser.test.ts (the run report in a
#   headless browser).
# - lavapipe: Mesa's software Vulkan driver, so that onnxruntime-node's WebGPU provider (Dawn over Vulkan) runs on
#   a machine without a GPU: the device-resident paths of @research-ts/policy-onnx are tested on it. Mesa 25 from
#   bookworm-backports (Debian 12's own Mesa 22.3 was not checked); the suite is added beside the machine's other
#   Debian sources, on the same mirror.
# Safe to run again: it installs only what is missing. Needs root (or sudo) and apt-get.
set -euo pipefail

wanted=("$@")
[ ${#wanted[@]} -eq 0 ] && wanted=(chromium lavapipe)

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then as_root=(sudo); else
    echo "ci-setup: need root (or sudo) to run apt-get install" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
updated=0
apt_update() {
  if [ "$updated" -eq 0 ]; then "${as_root[@]}" apt-get update -qq; updated=1; fi
}
require_apt() {
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "ci-setup: apt-get not found; install $1 by hand, then rerun the tests" >&2
    exit 1
  fi
}

for item in "${wanted[@]}"; do
  case "$item" in
    chromium)
      if [ -x /usr/bin/chromium ]; then
        echo "ci-setup: chromium already installed ($(/usr/bin/chromium --version 2>/dev/null || echo 'version unknown'))"
        continue
      fi
      require_apt chromium
      apt_update
      "${as_root[@]}" apt-get install -y -qq chromium >/dev/null
      echo "ci-setup: installed $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
      ;;
    lavapipe)
      if ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1 && ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1'; then
        echo "ci-setup: lavapipe already installed"
        continue
      fi
      require_apt "Mesa's lavapipe (mesa-vulkan-drivers) and the Vulkan loader (libvulkan1)"
      codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
      target=()
      if [ "$codename" = bookworm ]; then
        # the mirror the machine already uses, with the backports suite
        # (some of these files may not exist; pipefail must not stop the script for that)
        mirror="$( (cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null || true) | grep -v '^[[:space:]]*#' | grep -oE 'https?://[^ ]+/debian/?( |$)' | head -1 | tr -d ' ' || true)"
        mirror="${mirror:-http://deb.debian.org/debian}"
        if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
          echo "deb ${mirror%/} bookworm-backports main" | "${as_root[@]}" tee /etc/apt/sources.list.d/research-ts-backports.list >/dev/null
          updated=0
        fi
        target=(-t bookworm-backports)
      fi
      apt_update
      "${as_root[@]}" apt-get install -y -qq "${target[@]}" mesa-vulkan-drivers libvulkan1 >/dev/null
      echo "ci-setup: installed lavapipe ($(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || echo mesa-vulkan-drivers))"
      ;;
    *)
      echo "ci-setup: unknown item '$item' (known: chromium, lavapipe)" >&2
      exit 2
      ;;
  esac
done
