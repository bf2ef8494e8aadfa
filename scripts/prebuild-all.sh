#!/usr/bin/env bash
# npm run prebuild:all: every prebuilt binary this machine can make, into prebuilds/, so that an
# `npm pack` right after holds them all (one release tarball). On a linux-x64 host: linux-x64
# (npm run prebuild), linux-arm64 (scripts/prebuild-linux-arm64.sh, g++-aarch64-linux-gnu) and
# win32-x64 (scripts/prebuild-win32.sh, MinGW-w64); missing cross compilers are installed with apt
# when that is possible. Elsewhere: the host's own prebuild only.
#
# Usage: bash scripts/prebuild-all.sh [--list]
# Environment: TAPEGRAD_PREBUILD_PLATFORMS, a comma-separated subset (default: all of the above).
# Fails, naming it, if a requested prebuild cannot be made: a release tarball must not silently
# lack a platform. Old prebuilds of the requested platforms are removed first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

host=$(node -p 'process.platform + "-" + process.arch')
if [[ $host == linux-x64 ]]; then all=linux-x64,linux-arm64,win32-x64; else all=$host; fi
IFS=, read -r -a want <<<"${TAPEGRAD_PREBUILD_PLATFORMS:-$all}"
# --list: the platforms it would make, one a line (pack-check checks the tarball against them).
if [[ ${1:-} == --list ]]; then printf '%s\n' "${want[@]}"; exit 0; fi

failed=()
for plat in "${want[@]}"; do
  echo "=== prebuild:all: $plat"
  [[ ,$all, == *,$plat,* ]] || { echo "prebuild:all: $plat cannot be built on $host (it can build: $all)" >&2; failed+=("$plat"); continue; }
  rm -rf "prebuilds/$plat"
  rc=0
  case $plat in
    "$host") npm run prebuild || rc=$? ;;
    linux-arm64) bash scripts/prebuild-linux-arm64.sh --install || rc=$? ;;
    win32-x64) bash scripts/prebuild-win32.sh --install || rc=$? ;;
  esac
  ((rc == 0)) || failed+=("$plat")
done

echo "=== prebuild:all: prebuilds/"
find prebuilds -name '*.node' -printf '%p %s bytes\n' 2>/dev/null | sort
if ((${#failed[@]} > 0)); then
  echo "prebuild:all: FAILED to make: ${failed[*]}" >&2
  exit 1
fi
