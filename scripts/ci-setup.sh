#!/usr/bin/env bash
# CI setup: installs what the tests need beyond npm, without prompts.
# - Debian's chromium at /usr/bin/chromium, for tests/report-browser.test.ts (the run report in a headless browser).
# Safe to run again: it installs only what is missing. Needs root (or sudo) and apt-get.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  echo "ci-setup: chromium already installed ($(/usr/bin/chromium --version 2>/dev/null || echo 'version unknown'))"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ci-setup: apt-get not found; install Chromium so that /usr/bin/chromium exists, then rerun the tests" >&2
  exit 1
fi
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then as_root=(sudo); else
    echo "ci-setup: need root (or sudo) to run apt-get install chromium" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq chromium >/dev/null
echo "ci-setup: installed $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
