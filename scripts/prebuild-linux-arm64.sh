#!/usr/bin/env bash
# The linux-arm64 prebuilt binary on an x86-64 Linux machine, as `npm run prebuild` makes the host's:
# prebuildify + node-gyp (binding.gyp) with Debian's g++-aarch64-linux-gnu, from a copy of the
# sources so that build/ (the host's addon) is left alone. Output: prebuilds/linux-arm64/*.node.
#
# Usage: bash scripts/prebuild-linux-arm64.sh [--install]
#   --install: apt-get install the cross compiler if it is missing (needs root or sudo).
# Exits 3 if the cross compiler is missing (and could not be installed), non-zero on other failures.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD

if ! command -v aarch64-linux-gnu-g++ >/dev/null; then
  if [[ ${1:-} == --install ]]; then
    sudo=()
    ((EUID == 0)) || sudo=(sudo)
    { "${sudo[@]}" apt-get update -q &&
      DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q g++-aarch64-linux-gnu; } ||
      { echo "prebuild-linux-arm64: could not install g++-aarch64-linux-gnu with apt" >&2; exit 3; }
  else
    echo "prebuild-linux-arm64: aarch64-linux-gnu-g++ not found (Debian: apt-get install g++-aarch64-linux-gnu)" >&2
    exit 3
  fi
fi

src=$repo/build-arm64/prebuild-src # inside the repository, so require('node-addon-api') resolves
rm -rf "$src" "$repo/prebuilds/linux-arm64"
mkdir -p "$src"
cp -r binding.gyp package.json native "$src/"
CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ LINK=aarch64-linux-gnu-g++ AR=aarch64-linux-gnu-ar \
  npm run prebuild -- --arch arm64 --strip-bin aarch64-linux-gnu-strip --cwd "$src" --out "$repo"
built=$(ls "$repo"/prebuilds/linux-arm64/*.node)
aarch64-linux-gnu-readelf -h "$built" | grep -q AArch64 || { echo "$built is not aarch64" >&2; exit 1; }
echo "prebuilt: $built ($(stat -c %s "$built") bytes)"
